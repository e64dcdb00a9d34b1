// SPDX-License-Identifier: Apache-2.0
// ZapHandler: decides which CURVE clients coachd's tcp endpoints let in. libzmq asks the ZAP
// handler bound at inproc://zeromq.zap.01 in the same context about each CURVE handshake; with
// no handler bound it lets every key in, so the daemon constructs this before binding any tcp
// endpoint. A key listed in the config is accepted with its client name as the ZAP user id (the
// broker reads it from each message's "User-Id" property); any other key is refused and logged
// with the peer's address.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "logging.hpp"

namespace coach::core {

// The ZAP domain coachd's CURVE endpoints use.
inline constexpr const char* kZapDomain = "coachd";

class ZapHandler {
 public:
  // Binds the ZAP endpoint in zmq before returning, then serves it on its own thread.
  explicit ZapHandler(zmq::context_t& zmq);
  ~ZapHandler();  // stops and joins
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // The keys accepted from now on (SIGHUP); connections already made stay.
  void set_clients(const std::vector<ClientKeyConfig>& clients);
  std::uint64_t refused() const { return refused_.load(); }

 private:
  void run();
  // The client name for a 32-byte binary public key, or empty when it is not listed.
  std::string lookup(std::string_view key) const;

  zmq::socket_t socket_;
  std::shared_ptr<spdlog::logger> log_;
  LogRateLimit log_limit_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> names_by_key_;  // binary key -> client name
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace coach::core
