// SPDX-License-Identifier: Apache-2.0
// PeopleService: the people directory's own service ("people", coach.v1.People), served by
// coachd as an InternalService under "@people". It keeps each tenant's directory in the store
// (plugin namespace "people", keys person/<id>) and in PeopleDirectories, whose snapshots the
// broker and the plugins read; each configured tenant's directory is loaded from the store before
// any plugin starts (a tenant added by SIGHUP, when it is added).
#pragma once

#include <zmq.hpp>

#include <memory>
#include <string>
#include <vector>

#include "coach/store.hpp"
#include "internal_service.hpp"
#include "people_directories.hpp"
#include "store/store_service.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

inline constexpr std::string_view kPeopleService = "people";
inline constexpr std::string_view kPeopleIdentity = "@people";

class PeopleService {
 public:
  // Loads the tenants' directories into directories, then serves.
  PeopleService(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
                PeopleDirectories& directories, const std::vector<std::string>& tenants);

  // Reads these tenants' directories from the store into directories (an indexed scan each).
  void load(const std::vector<std::string>& tenants);

 private:
  v1::Envelope handle(const v1::Envelope& request, const RequestTail& principal);

  StoreService& store_;
  PeopleDirectories& directories_;
  std::shared_ptr<spdlog::logger> log_;
  std::string tenant_;  // of the request being served; the store's scope
  std::unique_ptr<Store> tenant_store_;
  InternalService service_;  // last: its thread calls handle() until it is destroyed
};

}  // namespace coach::core
