// SPDX-License-Identifier: Apache-2.0
// coachd: the coaching engine's daemon. Foreground process; logs to stderr (and a file if set).
#include <google/protobuf/stubs/common.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <system_error>

#include "config.hpp"
#include "cpu_scheduling.hpp"
#include "daemon.hpp"
#include "logging.hpp"
#include "plugin_docs.hpp"
#include "signal_watcher.hpp"

int main(int argc, char** argv) {
  CLI::App app{"coachd: plugin-based sales-coaching engine (daemon)"};
  std::string config_path;
  std::string check_path;
  bool print_default = false;
  app.add_option("-c,--config", config_path,
                 "Config file (default: the embedded deploy/coachd.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("--check-config", check_path,
                 "Validate a config file and exit (0 valid, 1 invalid)");
  app.add_flag("--print-default-config", print_default,
               "Print the default config, every plugin key with its default and description, "
               "and exit (with --config: for the plugins that file configures)");
  std::string table_plugin, methods_plugin;
  app.add_option("--print-config-table", table_plugin,
                 "Print PLUGIN's config schema as the Markdown table of its README and exit");
  app.add_option("--print-method-table", methods_plugin,
                 "Print PLUGIN's rpcs with their .proto comments as a Markdown table and exit");
  app.set_version_flag("--version", std::string("coachd ") + PROJECT_VERSION);
  CLI11_PARSE(app, argc, argv);

  if (print_default || !table_plugin.empty() || !methods_plugin.empty()) {
    try {
      auto base = config_path.empty() ? coach::core::default_config()
                                      : coach::core::load_config_file(config_path);
      const std::string text = print_default ? coach::core::print_default_config(base)
                               : !table_plugin.empty()
                                   ? coach::core::plugin_config_table(base, table_plugin)
                                   : coach::core::plugin_method_table(base, methods_plugin);
      std::fputs(text.c_str(), stdout);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "coachd: %s\n", e.what());
      return 1;
    }
  }
  if (!check_path.empty()) {
    try {
      auto cfg = coach::core::load_config_file(check_path);
      std::fprintf(
          stdout, "%s: valid (%zu plugin(s), %zu enabled)\n", check_path.c_str(),
          cfg.plugins.size(),
          static_cast<std::size_t>(std::count_if(cfg.plugins.begin(), cfg.plugins.end(),
                                                 [](const auto& p) { return p.enabled; })));
      return 0;
    } catch (const coach::core::ConfigError& e) {
      std::fprintf(stderr, "coachd: invalid config: %s\n", e.what());
      return 1;
    }
  }

  coach::core::DaemonConfig config;
  try {
    config = config_path.empty() ? coach::core::default_config()
                                 : coach::core::load_config_file(config_path);
  } catch (const coach::core::ConfigError& e) {
    std::fprintf(stderr, "coachd: invalid config: %s\n", e.what());
    return 1;
  }
  coach::core::configure_logging(config.log);
  auto log = coach::core::make_logger("coachd");
  try {
    // Before any thread exists: every thread inherits the policy and the blocked signal mask.
    try {
      coach::core::apply_cpu_scheduling(config.cpu_scheduling);
    } catch (const std::system_error& e) {
      // A hint, not a requirement: a sandbox that forbids it leaves the kernel's default.
      log->warn("{}; running under the default policy", e.what());
    }
    coach::core::SignalWatcher signals;
    int code = 0;
    {
      coach::core::Daemon daemon(std::move(config), config_path, signals);
      log->info("coachd {} starting (pid {}, cpu scheduling {})", PROJECT_VERSION, ::getpid(),
                coach::core::cpu_scheduling_of());
      code = daemon.run();
    }
    spdlog::shutdown();
    // Frees protobuf's reflection data, including that of plugin messages (plugin libraries
    // are never unloaded, so this is the one place it can go).
    google::protobuf::ShutdownProtobufLibrary();
    return code;
  } catch (const std::exception& e) {
    log->critical("fatal: {}", e.what());
    spdlog::shutdown();
    return 1;
  }
}
