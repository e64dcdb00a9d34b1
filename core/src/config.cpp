// SPDX-License-Identifier: Apache-2.0
#include "config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "names.hpp"
#include "runtime_paths.hpp"

namespace coach::core {

extern const char* const kEmbeddedDefaultConfig;

ConfigError::ConfigError(const std::string& source, int line, const std::string& key,
                         const std::string& why)
    : std::runtime_error(source + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                         (key.empty() ? why : key + ": " + why)),
      line_(line),
      key_(key) {}

bool TenantConfig::enables(std::string_view plugin) const {
  if (all_plugins) return true;
  for (const auto& p : plugins) {
    if (p == plugin) return true;
  }
  return false;
}

const TenantConfig* DaemonConfig::find_tenant(std::string_view name) const {
  for (const auto& t : tenants) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const PluginConfig* DaemonConfig::find_plugin(const std::string& name) const {
  for (const auto& p : plugins) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

namespace {

// Walks one YAML document, knowing where it came from, so every error names key and line.
class ConfigReader {
 public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& why) const {
    int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    throw ConfigError(source_, line, key, why);
  }

  void require_map(const YAML::Node& node, const std::string& key) const {
    if (!node.IsMap()) fail(node, key, "expected a mapping");
  }

  // Fails on the first key of node that is not in allowed.
  void check_keys(const YAML::Node& node, const std::string& path,
                  std::initializer_list<const char*> allowed) const {
    require_map(node, path);
    for (const auto& kv : node) {
      auto k = kv.first.as<std::string>();
      bool ok = false;
      for (const char* a : allowed) ok = ok || k == a;
      if (!ok) fail(kv.first, join(path, k), "unknown key");
    }
  }

  const std::string& source() const { return source_; }

  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "expected a single value");
    return node.Scalar();
  }

  template <typename Int>
  Int integer(const YAML::Node& node, const std::string& key, Int min, Int max) const {
    auto text = scalar(node, key);
    long long v = 0;
    std::size_t used = 0;
    try {
      v = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size())
      fail(node, key, "expected an integer, got '" + text + "'");
    if (v < static_cast<long long>(min) || v > static_cast<long long>(max)) {
      fail(node, key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               text);
    }
    return static_cast<Int>(v);
  }

  // Reads section[key] into out when present.
  template <typename Int>
  void optional_integer(const YAML::Node& section, const std::string& path, const char* key,
                        Int& out, Int min, Int max) const {
    if (section[key]) out = integer<Int>(section[key], join(path, key), min, max);
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    auto text = scalar(node, key);
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    fail(node, key, "expected true or false, got '" + text + "'");
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(node, key, "expected a list");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      out.push_back(scalar(node[i], key + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // Flattens a plugin's free-form section into dotted keys, with the line each came from.
  void flatten(const YAML::Node& node, const std::string& prefix, int line,
               std::map<std::string, std::string>& out, std::map<std::string, int>& lines) const {
    if (node.IsMap()) {
      for (const auto& kv : node) {
        flatten(kv.second, join(prefix, kv.first.as<std::string>()), kv.first.Mark().line + 1, out,
                lines);
      }
    } else if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) {
        const int item_line = node[i].Mark().line >= 0 ? node[i].Mark().line + 1 : line;
        flatten(node[i], join(prefix, std::to_string(i)), item_line, out, lines);
      }
    } else if (node.IsScalar()) {
      out[prefix] = node.Scalar();
      lines[prefix] = line;
    }
  }

 private:
  std::string source_;
};

void check_endpoint(const ConfigReader& r, const YAML::Node& node, const std::string& key,
                    const std::string& value, std::string_view scheme) {
  if (value.rfind(scheme, 0) == 0 && value.size() > scheme.size()) return;
  if (scheme == "ipc://" && value.rfind("tcp://", 0) == 0) {
    r.fail(node, key,
           "tcp is served with CURVE keys only: put it in security.curve.request_endpoint or "
           "security.curve.event_endpoint");
  }
  r.fail(node, key,
         std::string("expected ") + (scheme == "ipc://" ? "ipc://PATH" : "tcp://HOST:PORT") +
             ", got '" + value + "'");
}

bool is_z85_key(std::string_view key) {
  static constexpr std::string_view kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 && key.find_first_not_of(kZ85) == std::string_view::npos;
}

// One client key: {public_key, tenant, person}, {public_key, tenant, role: operator} or
// {public_key, role: gateway}.
ClientKeyConfig parse_client(const ConfigReader& r, const YAML::Node& node, const std::string& path,
                             std::string name, std::string source) {
  ClientKeyConfig c;
  c.name = std::move(name);
  c.source = std::move(source);
  if (!node["public_key"]) r.fail(node, path + ".public_key", "required");
  c.public_key = r.scalar(node["public_key"], path + ".public_key");
  if (!is_z85_key(c.public_key)) {
    r.fail(node["public_key"], path + ".public_key",
           "expected a 40-character Z85 key as coachctl keygen writes it");
  }
  const std::string role = node["role"] ? r.scalar(node["role"], path + ".role") : "";
  if (role == "operator") {
    if (!node["tenant"] || node["person"])
      r.fail(node, path, "an operator key names its tenant and no person");
    c.tenant = r.scalar(node["tenant"], path + ".tenant");
    c.tenant_operator = true;
    return c;
  }
  if (node["role"]) {
    if (role != "gateway")
      r.fail(node["role"], path + ".role", "expected gateway or operator, got '" + role + "'");
    if (node["tenant"] || node["person"])
      r.fail(node, path, "a gateway key names no tenant or person: it states them per request");
    c.gateway = true;
    return c;
  }
  if (!node["tenant"] || !node["person"])
    r.fail(node, path, "needs tenant and person (or role: operator with a tenant, or gateway)");
  c.tenant = r.scalar(node["tenant"], path + ".tenant");
  c.person = r.scalar(node["person"], path + ".person");
  if (c.person.empty()) r.fail(node["person"], path + ".person", "must not be empty");
  return c;
}

void parse_tenants(const ConfigReader& r, const YAML::Node& tenants, DaemonConfig& cfg) {
  r.require_map(tenants, "tenants");
  for (const auto& kv : tenants) {
    TenantConfig t;
    t.name = kv.first.as<std::string>();
    t.line = kv.first.Mark().line + 1;
    const std::string path = "tenants." + t.name;
    if (!is_plugin_name(t.name)) r.fail(kv.first, path, "tenant names are [a-z][a-z0-9_]*");
    if (cfg.find_tenant(t.name)) r.fail(kv.first, path, "listed twice");
    const YAML::Node& body = kv.second;
    if (!body.IsNull()) {
      r.check_keys(body, path, {"plugins"});
      if (auto p = body["plugins"]) {
        if (p.IsScalar() && p.Scalar() == "all") {
          t.all_plugins = true;
        } else {
          t.all_plugins = false;
          t.plugins = r.string_list(p, path + ".plugins");
          for (std::size_t i = 0; i < t.plugins.size(); ++i) {
            if (!is_plugin_name(t.plugins[i]))
              r.fail(p[i], path + ".plugins", "'" + t.plugins[i] + "' is not a plugin name");
          }
        }
      }
    }
    cfg.tenants.push_back(std::move(t));
  }
  if (cfg.tenants.empty()) r.fail(tenants, "tenants", "lists no tenant");
}

void parse_security(const ConfigReader& r, const YAML::Node& sec, const std::string& base_dir,
                    DaemonConfig& cfg) {
  r.check_keys(sec, "security", {"ipc_group", "curve"});
  auto& s = cfg.security;
  if (sec["ipc_group"]) s.ipc_group = r.scalar(sec["ipc_group"], "security.ipc_group");
  auto curve = sec["curve"];
  if (!curve || curve.IsNull()) return;
  r.check_keys(curve, "security.curve",
               {"request_endpoint", "event_endpoint", "server_key", "clients_dir", "clients"});
  auto path_of = [&](const char* key) {
    std::filesystem::path p(
        expand_path_variables(r.scalar(curve[key], std::string("security.curve.") + key)));
    if (!p.empty() && p.is_relative()) p = std::filesystem::path(base_dir) / p;
    return p.lexically_normal().string();
  };
  for (auto [key, out] : {std::pair{"request_endpoint", &s.curve_request_endpoint},
                          std::pair{"event_endpoint", &s.curve_event_endpoint}}) {
    if (!curve[key]) continue;
    *out = r.scalar(curve[key], std::string("security.curve.") + key);
    if (!out->empty())
      check_endpoint(r, curve[key], std::string("security.curve.") + key, *out, "tcp://");
  }
  if (curve["server_key"] && !curve["server_key"].Scalar().empty())
    s.server_key_file = path_of("server_key");
  if (curve["clients_dir"] && !curve["clients_dir"].Scalar().empty())
    s.clients_dir = path_of("clients_dir");
  if (auto list = curve["clients"]) {
    if (!list.IsSequence()) r.fail(list, "security.curve.clients", "expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = "security.curve.clients[" + std::to_string(i) + "]";
      r.check_keys(list[i], path, {"name", "public_key", "tenant", "person", "role"});
      if (!list[i]["name"]) r.fail(list[i], path + ".name", "required");
      s.clients.push_back(parse_client(r, list[i], path, r.scalar(list[i]["name"], path + ".name"),
                                       r.source() + ":" + std::to_string(list[i].Mark().line + 1)));
    }
  }
  if (!s.clients_dir.empty()) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(s.clients_dir, ec)) {
      if (entry.path().extension() == ".client") files.push_back(entry.path());
    }
    if (ec) {
      r.fail(curve["clients_dir"], "security.curve.clients_dir",
             "cannot read " + s.clients_dir + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      ConfigReader fr(file.string());
      YAML::Node node;
      try {
        node = YAML::Load(text.str());
      } catch (const YAML::Exception& e) {
        throw ConfigError(file.string(), e.mark.line + 1, "", e.msg);
      }
      fr.check_keys(node, "", {"public_key", "tenant", "person", "role"});
      s.clients.push_back(parse_client(fr, node, "", file.stem().string(), file.string()));
    }
  }
  const bool tcp = !s.curve_request_endpoint.empty() || !s.curve_event_endpoint.empty();
  if (tcp && s.server_key_file.empty()) {
    r.fail(curve, "security.curve.server_key",
           "required with a tcp endpoint (make one with: coachctl keygen coachd)");
  }
}

}  // namespace

DaemonConfig parse_config(const std::string& text, const std::string& source,
                          const std::string& base_dir) {
  ConfigReader r(source);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg);
  }
  DaemonConfig cfg;
  cfg.source = source;
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  r.check_keys(root, "",
               {"deployment", "cpu_scheduling", "log", "bus", "plugin_dirs", "plugins", "store",
                "scheduler", "tenants", "security"});

  if (auto d = root["deployment"]) {
    cfg.deployment = r.scalar(d, "deployment");
    if (cfg.deployment != "production" && cfg.deployment != "test")
      r.fail(d, "deployment", "expected production or test, got '" + cfg.deployment + "'");
  }
  if (auto s = root["cpu_scheduling"]) {
    cfg.cpu_scheduling = r.scalar(s, "cpu_scheduling");
    if (cfg.cpu_scheduling != "batch" && cfg.cpu_scheduling != "normal")
      r.fail(s, "cpu_scheduling", "expected batch or normal, got '" + cfg.cpu_scheduling + "'");
  }

  cfg.store.sqlite_path = expand_path_variables("$STATE_DIR/coachd.db");
  if (auto store = root["store"]) {
    r.check_keys(store, "store",
                 {"backend", "sqlite", "postgresql", "max_batch", "commit_delay_us"});
    r.optional_integer<std::uint32_t>(store, "store", "commit_delay_us", cfg.store.commit_delay_us,
                                      0, 100'000);
    if (store["backend"]) {
      cfg.store.backend = r.scalar(store["backend"], "store.backend");
      if (cfg.store.backend != "sqlite" && cfg.store.backend != "postgresql") {
        r.fail(store["backend"], "store.backend",
               "expected sqlite or postgresql, got '" + cfg.store.backend + "'");
      }
    }
    if (auto sq = store["sqlite"]) {
      r.check_keys(sq, "store.sqlite", {"path", "max_size_mb"});
      if (sq["path"]) {
        std::filesystem::path p(expand_path_variables(r.scalar(sq["path"], "store.sqlite.path")));
        if (p.empty()) r.fail(sq["path"], "store.sqlite.path", "must not be empty");
        if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
        cfg.store.sqlite_path = p.lexically_normal().string();
      }
      if (sq["max_size_mb"]) {
        cfg.store.sqlite_max_size_mb =
            r.integer<std::uint64_t>(sq["max_size_mb"], "store.sqlite.max_size_mb", 0, 1u << 30);
      }
    }
    if (auto pg = store["postgresql"]) {
      r.check_keys(pg, "store.postgresql", {"dsn"});
      if (pg["dsn"]) cfg.store.postgresql_dsn = r.scalar(pg["dsn"], "store.postgresql.dsn");
    }
    if (store["max_batch"]) {
      cfg.store.max_batch =
          r.integer<std::uint32_t>(store["max_batch"], "store.max_batch", 1, 100'000);
    }
    if (cfg.store.backend == "postgresql" && cfg.store.postgresql_dsn.empty()) {
      r.fail(store, "store.postgresql.dsn", "required when store.backend is postgresql");
    }
  }

  if (auto sch = root["scheduler"]) {
    r.check_keys(sch, "scheduler",
                 {"node_id", "clock", "lease_ms", "max_attempts", "poll_ms", "max_in_flight",
                  "retention_hours", "prune_interval_ms"});
    if (sch["node_id"]) cfg.scheduler.node_id = r.scalar(sch["node_id"], "scheduler.node_id");
    if (sch["clock"]) {
      cfg.clock = r.scalar(sch["clock"], "scheduler.clock");
      if (cfg.clock != "system" && cfg.clock != "test")
        r.fail(sch["clock"], "scheduler.clock", "expected system or test, got '" + cfg.clock + "'");
      if (cfg.clock == "test" && cfg.deployment != "test") {
        r.fail(sch["clock"], "scheduler.clock",
               "a test clock lets clients move time; it needs 'deployment: test'");
      }
    }
    auto u32 = [&](const char* key, std::uint32_t& out, std::uint32_t min, std::uint32_t max) {
      r.optional_integer(sch, "scheduler", key, out, min, max);
    };
    u32("lease_ms", cfg.scheduler.lease_ms, 100, 86'400'000);
    u32("max_attempts", cfg.scheduler.max_attempts, 1, 1000);
    u32("poll_ms", cfg.scheduler.poll_ms, 10, 3'600'000);
    u32("max_in_flight", cfg.scheduler.max_in_flight, 1, 100'000);
    u32("retention_hours", cfg.scheduler.retention_hours, 1, 24 * 3650);
    u32("prune_interval_ms", cfg.scheduler.prune_interval_ms, 100, 86'400'000);
  }

  if (auto log = root["log"]) {
    r.check_keys(log, "log", {"level", "file", "max_size_mb", "max_files"});
    if (log["level"]) {
      cfg.log.level = r.scalar(log["level"], "log.level");
      static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
      if (!levels.count(cfg.log.level)) {
        r.fail(log["level"], "log.level",
               "expected one of trace, debug, info, warn, error, critical, off; got '" +
                   cfg.log.level + "'");
      }
    }
    if (log["file"]) cfg.log.file = expand_path_variables(r.scalar(log["file"], "log.file"));
    if (log["max_size_mb"]) {
      cfg.log.max_size_mb =
          r.integer<std::uint64_t>(log["max_size_mb"], "log.max_size_mb", 1, 4096);
    }
    if (log["max_files"]) {
      cfg.log.max_files = r.integer<std::uint32_t>(log["max_files"], "log.max_files", 1, 100);
    }
  }

  cfg.bus.request_endpoint = default_request_endpoint();
  cfg.bus.event_endpoint = default_event_endpoint();
  if (auto bus = root["bus"]) {
    r.check_keys(bus, "bus",
                 {"request_endpoint", "event_endpoint", "tenant", "max_frame_bytes",
                  "request_timeout_ms", "start_timeout_ms", "shutdown_grace_ms", "linger_ms",
                  "client_hwm", "plugin_hwm", "event_hwm"});
    auto endpoint = [&](const char* key, std::string& out) {
      if (!bus[key]) return;
      out = expand_path_variables(r.scalar(bus[key], std::string("bus.") + key));
      check_endpoint(r, bus[key], std::string("bus.") + key, out, "ipc://");
    };
    endpoint("request_endpoint", cfg.bus.request_endpoint);
    endpoint("event_endpoint", cfg.bus.event_endpoint);
    if (bus["tenant"]) {
      cfg.bus.tenant = r.scalar(bus["tenant"], "bus.tenant");
      if (!is_plugin_name(cfg.bus.tenant)) {
        r.fail(bus["tenant"], "bus.tenant", "expected [a-z][a-z0-9_]*");
      }
    }
    auto u32 = [&](const char* key, std::uint32_t& out, std::uint32_t min, std::uint32_t max) {
      r.optional_integer(bus, "bus", key, out, min, max);
    };
    if (bus["max_frame_bytes"]) {
      cfg.bus.max_frame_bytes =
          r.integer<std::uint64_t>(bus["max_frame_bytes"], "bus.max_frame_bytes", 1024, 256u << 20);
    }
    u32("request_timeout_ms", cfg.bus.request_timeout_ms, 1, 3'600'000);
    u32("start_timeout_ms", cfg.bus.start_timeout_ms, 1, 600'000);
    u32("shutdown_grace_ms", cfg.bus.shutdown_grace_ms, 0, 600'000);
    u32("linger_ms", cfg.bus.linger_ms, 0, 60'000);
    u32("client_hwm", cfg.bus.client_hwm, 1, 10'000'000);
    u32("plugin_hwm", cfg.bus.plugin_hwm, 1, 10'000'000);
    u32("event_hwm", cfg.bus.event_hwm, 1, 10'000'000);
  }
  if (cfg.bus.request_endpoint == cfg.bus.event_endpoint) {
    r.fail(root["bus"], "bus.event_endpoint", "must differ from bus.request_endpoint");
  }

  if (auto dirs = root["plugin_dirs"]) {
    for (auto& d : r.string_list(dirs, "plugin_dirs")) {
      std::filesystem::path p(expand_path_variables(d));
      if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
      cfg.plugin_dirs.push_back(p.lexically_normal().string());
    }
  }

  if (auto plugins = root["plugins"]) {
    r.require_map(plugins, "plugins");
    for (const auto& kv : plugins) {
      PluginConfig pc;
      pc.name = kv.first.as<std::string>();
      pc.line = kv.first.Mark().line + 1;
      std::string path = "plugins." + pc.name;
      if (!is_plugin_name(pc.name)) {
        r.fail(kv.first, path, "plugin names are [a-z][a-z0-9_]*");
      }
      const YAML::Node& body = kv.second;
      if (!body.IsNull()) {
        r.check_keys(body, path, {"enabled", "library", "request_timeout_ms", "config"});
        if (body["enabled"]) pc.enabled = r.boolean(body["enabled"], path + ".enabled");
        if (body["library"])
          pc.library = expand_path_variables(r.scalar(body["library"], path + ".library"));
        if (body["request_timeout_ms"]) {
          pc.request_timeout_ms = r.integer<std::uint32_t>(
              body["request_timeout_ms"], path + ".request_timeout_ms", 1, 3'600'000);
        }
        if (auto section = body["config"]; section && !section.IsNull()) {
          r.require_map(section, path + ".config");
          r.flatten(section, "", pc.line, pc.values, pc.lines);
        }
      }
      if (pc.library.empty()) pc.library = pc.name + ".so";
      cfg.plugins.push_back(std::move(pc));
    }
  }

  if (auto tenants = root["tenants"]) {
    parse_tenants(r, tenants, cfg);
    if (!cfg.find_tenant(cfg.bus.tenant)) {
      r.fail(root["bus"] ? root["bus"] : tenants, "bus.tenant",
             "'" + cfg.bus.tenant + "' (the tenant of local callers) is not under tenants:");
    }
  } else {
    cfg.tenants.push_back(TenantConfig{cfg.bus.tenant, true, {}, 0});
  }
  if (auto sec = root["security"]) parse_security(r, sec, base_dir, cfg);
  std::set<std::string> names;
  std::set<std::string> keys;
  for (const auto& c : cfg.security.clients) {
    if (!names.insert(c.name).second)
      throw ConfigError(c.source, 0, "", "client name '" + c.name + "' is used twice");
    if (!keys.insert(c.public_key).second)
      throw ConfigError(c.source, 0, "", "client '" + c.name + "': its public key is listed twice");
    if (!c.gateway && !cfg.find_tenant(c.tenant)) {
      throw ConfigError(c.source, 0, "",
                        "client '" + c.name + "': tenant '" + c.tenant + "' is not under tenants:");
    }
  }
  return cfg;
}

DaemonConfig load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, 0, "", "cannot read file");
  std::stringstream buf;
  buf << in.rdbuf();
  auto base = std::filesystem::absolute(path).parent_path().string();
  return parse_config(buf.str(), path, base);
}

const std::string& default_config_text() {
  static const std::string text(kEmbeddedDefaultConfig);
  return text;
}

DaemonConfig default_config() {
  return parse_config(default_config_text(), "<embedded deploy/coachd.yaml>", executable_dir());
}

}  // namespace coach::core
