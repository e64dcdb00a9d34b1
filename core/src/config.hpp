// SPDX-License-Identifier: Apache-2.0
// DaemonConfig: coachd.yaml parsed and validated. Unknown keys are errors; every error names
// the key and its line. Pure data once parsed; safe to copy between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace coach::core {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& source, int line, const std::string& key, const std::string& why);

  int line() const noexcept { return line_; }
  const std::string& key() const noexcept { return key_; }

 private:
  int line_;
  std::string key_;
};

struct LogConfig {
  std::string level = "info";
  std::string file;  // empty: stderr only
  std::uint64_t max_size_mb = 10;
  std::uint32_t max_files = 3;
};

struct BusConfig {
  // Local endpoints (ipc): whoever can open the socket is an operator of `tenant`.
  std::string request_endpoint;
  std::string event_endpoint;
  // The tenant of local callers.
  std::string tenant = "default";
  std::uint64_t max_frame_bytes = 1 << 20;
  std::uint32_t request_timeout_ms = 5000;
  std::uint32_t start_timeout_ms = 5000;
  std::uint32_t shutdown_grace_ms = 3000;
  std::uint32_t linger_ms = 200;
  // High-water marks: per client connection, per plugin queue, per external event subscriber.
  std::uint32_t client_hwm = 10000;
  std::uint32_t plugin_hwm = 10000;
  std::uint32_t event_hwm = 10000;
};

struct PluginConfig {
  std::string name;  // the key under plugins:, must equal the library's manifest name
  bool enabled = true;
  std::string library;                        // file name looked up in plugin_dirs, or a path
  std::uint32_t request_timeout_ms = 0;       // 0: bus.request_timeout_ms
  std::map<std::string, std::string> values;  // the config: section, flattened
  std::map<std::string, int> lines;           // the line of each of values
  int line = 0;
};

// A tenant and the plugins it enabled.
struct TenantConfig {
  std::string name;
  bool all_plugins = true;  // plugins: all (every plugin the daemon runs)
  std::vector<std::string> plugins;
  int line = 0;

  bool enables(std::string_view plugin) const;
  friend bool operator==(const TenantConfig&, const TenantConfig&) = default;
};

// A CURVE client key coachd accepts on its tcp endpoints, and who its holder is.
struct ClientKeyConfig {
  std::string name;        // unique; what the logs and the ZAP user id call it
  std::string public_key;  // Z85, 40 characters
  // Either a person of a tenant (their roles come from the tenant's people directory) ...
  std::string tenant;
  std::string person;
  // ... or the tenant's operator (tenant, no person: a local operator's rights, from afar) ...
  bool tenant_operator = false;
  // ... or a gateway, which states the tenant and person of each request it forwards.
  bool gateway = false;
  std::string source;  // the file and line it came from
  friend bool operator==(const ClientKeyConfig&, const ClientKeyConfig&) = default;
};

struct SecurityConfig {
  // Group of the ipc sockets (mode 0660); empty: coachd's own group.
  std::string ipc_group;
  // tcp endpoints, served with ZeroMQ CURVE only; empty: none.
  std::string curve_request_endpoint;
  std::string curve_event_endpoint;
  // The daemon's key pair (coachctl keygen), readable by its owner only.
  std::string server_key_file;
  // A directory of *.client files, one client key each, read at start and on SIGHUP.
  std::string clients_dir;
  std::vector<ClientKeyConfig> clients;  // the inline ones and the directory's
};

struct StoreConfig {
  std::string backend = "sqlite";  // or "postgresql"
  std::string sqlite_path;
  std::uint64_t sqlite_max_size_mb = 0;  // 0: no limit
  std::string postgresql_dsn;
  std::uint32_t max_batch = 256;  // writes per group commit
  // Longest wait for the writers of the last group to write again before committing (0: never).
  std::uint32_t commit_delay_us = 500;
};
struct SchedulerConfig {
  std::string node_id;  // empty: the host name
  std::uint32_t lease_ms = 30000;
  std::uint32_t max_attempts = 10;
  std::uint32_t poll_ms = 1000;      // how often to look for entries other nodes added
  std::uint32_t max_in_flight = 64;  // per plugin
  // Done, cancelled and failed entries are kept this long (for coachctl schedule list), then
  // pruned together with expired store records, every prune_interval_ms of the daemon clock.
  std::uint32_t retention_hours = 168;
  std::uint32_t prune_interval_ms = 60'000;
};
struct DaemonConfig {
  std::string source;  // file path, or "<embedded>"
  LogConfig log;
  BusConfig bus;
  std::vector<std::string> plugin_dirs;
  std::vector<PluginConfig> plugins;  // in file order
  // "production" or "test"; only a test deployment may run on a test clock.
  std::string deployment = "production";
  std::string clock = "system";  // or "test": clients advance it with coachd AdvanceClock
  // "batch": the daemon's threads run under SCHED_BATCH, so a thread woken by another (a plugin
  // handed a request, the broker handed a reply) does not preempt it mid-batch; "normal": the
  // kernel's default policy. Applied at start, before any thread exists.
  std::string cpu_scheduling = "batch";
  StoreConfig store;
  SchedulerConfig scheduler;
  // At least one; without a tenants: section, bus.tenant with every plugin.
  std::vector<TenantConfig> tenants;
  SecurityConfig security;

  const PluginConfig* find_plugin(const std::string& name) const;
  const TenantConfig* find_tenant(std::string_view name) const;
};

// Parses YAML text. base_dir resolves relative plugin_dirs. Throws ConfigError.
DaemonConfig parse_config(const std::string& text, const std::string& source,
                          const std::string& base_dir);
// Reads and parses a file. Throws ConfigError (also for an unreadable file).
DaemonConfig load_config_file(const std::string& path);
// The embedded default (deploy/coachd.yaml compiled in).
DaemonConfig default_config();
const std::string& default_config_text();

}  // namespace coach::core
