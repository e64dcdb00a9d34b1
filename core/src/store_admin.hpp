// SPDX-License-Identifier: Apache-2.0
// StoreAdmin: serves the "coachd" admin methods that read the database (StoreStats,
// ListSchedule) as an InternalService under the identity "@admin", so a slow or unreachable
// database never stalls the broker.
#pragma once

#include <zmq.hpp>

#include <memory>
#include <string>

#include "clock.hpp"
#include "internal_service.hpp"
#include "store/store_service.hpp"

namespace coach::core {

inline constexpr std::string_view kStoreAdminIdentity = "@admin";

class StoreAdmin {
 public:
  StoreAdmin(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
             const Clock& clock, std::string node_id, std::uint32_t retention_hours);

  // Methods of the admin service served here.
  static bool serves(std::string_view method);

 private:
  v1::Envelope handle(const v1::Envelope& request);

  StoreService& store_;
  const Clock& clock_;
  std::string node_id_;
  std::uint32_t retention_hours_;
  InternalService service_;  // last: its thread calls handle() until it is destroyed
};

}  // namespace coach::core
