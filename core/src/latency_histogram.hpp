// SPDX-License-Identifier: Apache-2.0
// LatencyHistogram: durations counted into fixed buckets, safe to record from one thread and read
// from another (relaxed atomics: a reader may see a count one ahead of the sum). What /metrics
// renders as a Prometheus histogram.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "coach/v1/admin.pb.h"

namespace coach::core {

class LatencyHistogram {
 public:
  // Upper bounds in seconds, from half a millisecond to a minute.
  static constexpr std::array<double, 14> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1.0,   5.0,  15.0,  60.0};

  void record(std::chrono::nanoseconds took) {
    const double s = std::chrono::duration<double>(took).count();
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      if (s <= kBounds[i]) {
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(took.count() > 0 ? took.count() : 0),
                      std::memory_order_relaxed);
  }

  // Cumulative counts per bound, as Prometheus wants them.
  void to_proto(v1::Histogram& out) const {
    out.Clear();
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      running += buckets_[i].load(std::memory_order_relaxed);
      out.add_upper_bounds(kBounds[i]);
      out.add_cumulative_counts(running);
    }
    out.set_count(count_.load(std::memory_order_relaxed));
    out.set_sum_seconds(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace coach::core
