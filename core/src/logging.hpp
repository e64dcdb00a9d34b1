// SPDX-License-Identifier: Apache-2.0
// The daemon's log sinks (stderr, optional rotating file) and named loggers on them.
// configure_logging runs on the main thread before other threads log; make_logger is thread-safe.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "config.hpp"

namespace coach::core {

void configure_logging(const LogConfig& config);
// A logger on the daemon's sinks; the same name returns the same logger.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);
// Applies a new level to every logger (SIGHUP).
void set_log_level(const std::string& level);

}  // namespace coach::core
