// SPDX-License-Identifier: Apache-2.0
#include "logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <vector>

namespace coach::core {

namespace {
std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

void configure_logging(const LogConfig& config) {
  std::lock_guard lock(g_mutex);
  g_sinks.clear();
  g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!config.file.empty()) {
    g_sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        config.file, config.max_size_mb * 1024 * 1024, config.max_files));
  }
  g_level = spdlog::level::from_str(config.level);
  spdlog::drop_all();
  spdlog::set_level(g_level);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  spdlog::flush_on(spdlog::level::warn);
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  if (g_sinks.empty()) g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>(name, g_sinks.begin(), g_sinks.end());
  logger->set_level(g_level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

void set_log_level(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  spdlog::set_level(g_level);
}

}  // namespace coach::core
