// SPDX-License-Identifier: Apache-2.0
// GatewayMetrics: what /metrics reports, in Prometheus' text format: the gateway's requests by
// service, method and HTTP status with latency histograms, and coachd's counters and plugin
// states as its Health and ListPlugins give them. Used on the HTTP thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "coach/v1/admin.pb.h"
#include "latency_histogram.hpp"

namespace coach::gateway {

class GatewayMetrics {
 public:
  void record(const std::string& service, const std::string& method, unsigned status,
              std::chrono::steady_clock::duration took);
  // The gateway's own gauges and counters besides its requests.
  struct Gauges {
    std::size_t in_flight = 0;    // requests sent to coachd, not yet answered
    std::size_t connections = 0;  // open HTTP connections
    std::size_t streams = 0;      // open event streams
    std::uint64_t events_received = 0;
    std::uint64_t events_streamed = 0;
    std::uint64_t streams_cut = 0;
  };
  // The exposition text; health and plugins are coachd's, or null when it did not answer.
  std::string render(const v1::HealthReply* health, const v1::ListPluginsReply* plugins,
                     const Gauges& gauges) const;

 private:
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, core::LatencyHistogram> latency_;
};

}  // namespace coach::gateway
