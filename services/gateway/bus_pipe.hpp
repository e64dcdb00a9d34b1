// SPDX-License-Identifier: Apache-2.0
// BusPipe: the gateway's one connection to coachd, with many requests in flight. A DEALER owned
// by the pipe's own thread carries them; the HTTP thread hands each request over an inproc PUSH
// socket and gets its reply in a callback, run on the pipe's thread (the caller posts it on).
// A request coachd does not answer within the timeout is completed with UNAVAILABLE.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "bus_client.hpp"
#include "coach/v1/envelope.pb.h"

namespace coach::gateway {

class BusPipe {
 public:
  using Callback = std::function<void(v1::Envelope reply)>;

  BusPipe(const std::string& endpoint, const core::BusClientOptions& keys,
          std::chrono::milliseconds timeout);
  ~BusPipe();
  BusPipe(const BusPipe&) = delete;
  BusPipe& operator=(const BusPipe&) = delete;

  // Sends request (its message_id set); done runs once with the reply. From one thread only.
  void send(const v1::Envelope& request, Callback done);
  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  struct Pending {
    Callback done;
    std::chrono::steady_clock::time_point deadline;
  };
  void run(zmq::socket_t dealer, zmq::socket_t pull);

  zmq::context_t zmq_{1};
  zmq::socket_t push_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, Pending, std::less<>> pending_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace coach::gateway
