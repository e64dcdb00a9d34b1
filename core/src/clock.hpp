// SPDX-License-Identifier: Apache-2.0
// The daemon's wall clock, injectable: the system clock in production, a TestClock that clients
// advance (coachd AdvanceClock) in a deployment marked as a test one, so time rules such as
// "close a solved case after 4 days" are tested end to end in seconds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace coach::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual std::int64_t now_ms() const = 0;
  virtual bool is_test_clock() const { return false; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Starts at the system time and moves only when advanced.
class TestClock final : public Clock {
 public:
  TestClock() : now_(SystemClock().now_ms()) {}
  std::int64_t now_ms() const override { return now_.load(); }
  bool is_test_clock() const override { return true; }
  // Returns the new time. Time never goes back: a negative step is ignored.
  std::int64_t advance(std::int64_t by_ms) {
    return by_ms > 0 ? now_.fetch_add(by_ms) + by_ms : now_.load();
  }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace coach::core
