// SPDX-License-Identifier: Apache-2.0
// GatewayMetrics: what /metrics reports, in Prometheus' text format: the gateway's requests by
// service, method and HTTP status with latency histograms, and coachd's counters and plugin
// states as its Health and ListPlugins give them. Used on the HTTP thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "coach/v1/admin.pb.h"

namespace coach::gateway {

class GatewayMetrics {
 public:
  void record(const std::string& service, const std::string& method, unsigned status,
              std::chrono::steady_clock::duration took);
  // The exposition text; health and plugins are coachd's, or null when it did not answer.
  std::string render(const v1::HealthReply* health, const v1::ListPluginsReply* plugins,
                     std::size_t in_flight, std::size_t connections) const;

 private:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
};

}  // namespace coach::gateway
