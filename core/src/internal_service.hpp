// SPDX-License-Identifier: Apache-2.0
// InternalService: a daemon component that serves some methods on its own thread (the store
// admin, the people directory), so slow database work never stalls the broker. It speaks the
// plugin protocol on the broker's plugin socket under an identity starting with '@': requests
// and replies go through the broker's usual pending and timeout handling, and the request's
// principal arrives in its header as it does for plugins.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "coach/plugin.hpp"
#include "coach/v1/envelope.pb.h"
#include "envelope.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

// The RequestContext of a request an internal service handles (for coach/access.hpp's rules).
inline RequestContext request_context(const v1::Envelope& request, const RequestTail& principal) {
  return {principal.tenant, request.message_id(),
          request.method(), std::chrono::steady_clock::time_point::max(),
          principal.person, Roles(principal.roles)};
}

class InternalService {
 public:
  // Returns the reply to request, or throws (coach::Error, StoreError or any exception): the
  // error reply then names service and method, with the error's status.
  using Handler = std::function<v1::Envelope(const v1::Envelope& request, const RequestTail&)>;

  // service: the bus name the replies' errors carry ("coachd", "people", "tokens").
  InternalService(zmq::context_t& zmq, std::string backend_endpoint, std::string identity,
                  std::string service, Handler handler);
  ~InternalService();  // stops and joins
  InternalService(const InternalService&) = delete;
  InternalService& operator=(const InternalService&) = delete;

 private:
  void run();

  zmq::context_t& zmq_;
  std::string endpoint_;
  std::string identity_;
  std::string service_;
  Handler handler_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace coach::core
