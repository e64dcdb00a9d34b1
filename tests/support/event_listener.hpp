// SPDX-License-Identifier: Apache-2.0
// Test support: events from a real coachd's event endpoint, counted by topic and kept for reading.
// Subscribes to "<tenant>/<prefix>" (the daemon's external topics carry the tenant) and counts
// each event under its topic without the tenant.
#pragma once

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "coach/v1/envelope.pb.h"

namespace coach::testing {

class EventListener {
 public:
  EventListener(const std::string& endpoint, const std::string& prefix,
                const std::string& tenant = "default")
      : socket_(ctx_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::subscribe, tenant + "/" + prefix);
    socket_.set(zmq::sockopt::rcvtimeo, 50);
    socket_.connect(endpoint);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the subscription arrives
  }
  // Waits up to timeout until `want` events on topic arrived; returns how many did.
  int count(const std::string& topic, int want = 1,
            std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      std::vector<zmq::message_t> parts;
      while (zmq::recv_multipart(socket_, std::back_inserter(parts)) && parts.size() == 2) {
        std::string got = parts[0].to_string();
        got.erase(0, got.find('/') + 1);
        ++seen_[got];
        payloads_[got].push_back(parts[1].to_string());
        parts.clear();
      }
    } while (seen_[topic] < want && std::chrono::steady_clock::now() < deadline);
    return seen_[topic];
  }
  // The payloads of the events on topic received so far, as Msg.
  template <typename Msg>
  std::vector<Msg> all(const std::string& topic) {
    std::vector<Msg> out;
    for (const auto& bytes : payloads_[topic]) {
      v1::Envelope env;
      env.ParseFromString(bytes);
      Msg m;
      env.payload().UnpackTo(&m);
      out.push_back(m);
    }
    return out;
  }

 private:
  zmq::context_t ctx_;
  zmq::socket_t socket_;
  std::map<std::string, int> seen_;
  std::map<std::string, std::vector<std::string>> payloads_;
};

}  // namespace coach::testing
