// SPDX-License-Identifier: Apache-2.0
#include "logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <google/protobuf/stubs/logging.h>

#include <chrono>
#include <mutex>
#include <vector>

namespace coach::core {

namespace {
std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
spdlog::level::level_enum g_level = spdlog::level::info;

// libprotobuf's own log lines (a frame with invalid UTF-8 makes one each) go through spdlog as
// [protobuf], rate-limited: a client must not be able to make the daemon write without bound.
LogRateLimit g_protobuf_limit;

void protobuf_log(google::protobuf::LogLevel level, const char* file, int line,
                  const std::string& message) {
  auto log = make_logger("protobuf");
  std::uint64_t suppressed = 0;
  if (!g_protobuf_limit.allow(suppressed)) return;
  if (suppressed) log->warn("{} more libprotobuf messages were not logged", suppressed);
  const auto lvl = level >= google::protobuf::LOGLEVEL_ERROR     ? spdlog::level::err
                   : level == google::protobuf::LOGLEVEL_WARNING ? spdlog::level::warn
                                                                 : spdlog::level::info;
  log->log(lvl, "{} ({}:{})", message, file ? file : "?", line);
}
}  // namespace

bool LogRateLimit::allow(std::uint64_t& suppressed) {
  std::lock_guard lock(mutex_);
  suppressed = 0;
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= window_) {
    suppressed = suppressed_;
    suppressed_ = 0;
    lines_ = 0;
    window_start_ = now;
  }
  if (++lines_ > burst_) {
    ++suppressed_;
    return false;
  }
  return true;
}

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
  google::protobuf::SetLogHandler(&protobuf_log);
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
