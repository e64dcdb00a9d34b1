// SPDX-License-Identifier: Apache-2.0
// StoreAdmin: serves the "coachd" admin methods that read the database (StoreStats,
// ListSchedule) on its own thread, so a slow or unreachable database never stalls the broker.
// It speaks the plugin protocol on the broker's plugin socket under the identity "@admin":
// requests and replies go through the broker's usual pending and timeout handling.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "clock.hpp"
#include "store/store_service.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

inline constexpr std::string_view kStoreAdminIdentity = "@admin";

class StoreAdmin {
 public:
  StoreAdmin(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
             const Clock& clock, std::string node_id, std::uint32_t retention_hours);
  ~StoreAdmin();  // stops and joins
  StoreAdmin(const StoreAdmin&) = delete;
  StoreAdmin& operator=(const StoreAdmin&) = delete;

  // Methods of the admin service served here.
  static bool serves(std::string_view method);

 private:
  void run();
  v1::Envelope handle(const v1::Envelope& request);

  zmq::context_t& zmq_;
  std::string endpoint_;
  StoreService& store_;
  const Clock& clock_;
  std::string node_id_;
  std::uint32_t retention_hours_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace coach::core
