// SPDX-License-Identifier: Apache-2.0
// BusPipe: the gateway's one connection to coachd, with many requests in flight on one DEALER.
// The DEALER lives on the HTTP thread's io_context: its ZeroMQ descriptor is watched by Asio, so
// a request goes out and its reply comes back without a hand-off to another thread. A request
// coachd does not answer within the timeout is completed with UNAVAILABLE.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "bus_client.hpp"
#include "coach/v1/envelope.pb.h"
#include "zmq_watch.hpp"

namespace coach::gateway {

class BusPipe {
 public:
  using Callback = std::function<void(v1::Envelope reply)>;

  BusPipe(boost::asio::io_context& io, const std::string& endpoint,
          const core::BusClientOptions& keys, std::chrono::milliseconds timeout);
  ~BusPipe();
  BusPipe(const BusPipe&) = delete;
  BusPipe& operator=(const BusPipe&) = delete;

  // Sends request (its message_id set); done runs once with the reply, on the io_context's
  // thread. From that thread only.
  void send(const v1::Envelope& request, Callback done);
  std::size_t in_flight() const { return pending_.size(); }

 private:
  struct Pending {
    Callback done;
    std::chrono::steady_clock::time_point deadline;
  };
  void drain();  // receives every reply ZeroMQ holds
  void tick();   // completes expired requests, every 100 ms
  void complete(const std::string& id, v1::Envelope reply);

  zmq::context_t zmq_{1};
  zmq::socket_t dealer_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  std::map<std::string, Pending, std::less<>> pending_;
  std::optional<ZmqWatch> watch_;  // last: stops watching before the socket closes
};

}  // namespace coach::gateway
