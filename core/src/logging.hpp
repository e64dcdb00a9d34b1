// SPDX-License-Identifier: Apache-2.0
// The daemon's log sinks (stderr, optional rotating file) and named loggers on them.
// configure_logging runs on the main thread before other threads log; make_logger is thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "config.hpp"

namespace coach::core {

void configure_logging(const LogConfig& config);
// A logger on the daemon's sinks; the same name returns the same logger.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);
// Applies a new level to every logger (SIGHUP).
void set_log_level(const std::string& level);

// What a client can make the daemon log (bad frames, refused keys) is rate-limited: at most
// burst lines per window. Thread-safe.
class LogRateLimit {
 public:
  explicit LogRateLimit(int burst = 10,
                        std::chrono::steady_clock::duration window = std::chrono::seconds(10))
      : burst_(burst), window_(window) {}
  // True when this line may be written; suppressed is set to the lines skipped in the window
  // that just ended, for one "N more were not logged" line.
  bool allow(std::uint64_t& suppressed);

 private:
  std::mutex mutex_;
  int burst_;
  std::chrono::steady_clock::duration window_;
  std::chrono::steady_clock::time_point window_start_;
  int lines_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace coach::core
