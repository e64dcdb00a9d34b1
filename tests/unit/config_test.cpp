// SPDX-License-Identifier: Apache-2.0
#include "config.hpp"

#include "coach/config_section.hpp"

#include <gtest/gtest.h>

namespace coach::core {

namespace {
DaemonConfig parse(const std::string& text) { return parse_config(text, "test.yaml", "/base"); }

void expect_error(const std::string& text, const std::string& key, int line) {
  try {
    parse(text);
    FAIL() << "expected ConfigError for key " << key;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), key) << e.what();
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.yaml:" + std::to_string(line)), std::string::npos)
        << e.what();
  }
}
}  // namespace

TEST(Config, EmptyFileGivesDefaults) {
  auto cfg = parse("");
  EXPECT_EQ(cfg.log.level, "info");
  EXPECT_EQ(cfg.bus.max_frame_bytes, 1u << 20);
  EXPECT_EQ(cfg.bus.request_timeout_ms, 5000u);
  EXPECT_EQ(cfg.bus.request_endpoint.rfind("ipc://", 0), 0u);
  EXPECT_TRUE(cfg.plugins.empty());
}

TEST(Config, EmbeddedDefaultIsValidAndEnablesEcho) {
  auto cfg = default_config();
  const auto* echo = cfg.find_plugin("echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(echo->enabled);
  EXPECT_EQ(echo->library, "echo.so");
  ASSERT_EQ(cfg.plugin_dirs.size(), 1u);
  EXPECT_EQ(cfg.plugin_dirs[0].find("$ORIGIN"), std::string::npos);
}

TEST(Config, UnknownTopLevelKeyNamesKeyAndLine) {
  expect_error("log:\n  level: info\nbogus: 1\n", "bogus", 3);
}

TEST(Config, UnknownNestedKeyNamesFullPath) {
  expect_error("bus:\n  request_timeout_ms: 10\n  request_timout: 5\n", "bus.request_timout", 3);
}

TEST(Config, OutOfRangeNumberIsRefused) {
  expect_error("bus:\n  max_frame_bytes: 10\n", "bus.max_frame_bytes", 2);
}

TEST(Config, NonNumberIsRefused) { expect_error("bus:\n  linger_ms: soon\n", "bus.linger_ms", 2); }

TEST(Config, BadLogLevelIsRefused) { expect_error("log:\n  level: loud\n", "log.level", 2); }

TEST(Config, BadEndpointIsRefused) {
  expect_error("bus:\n  request_endpoint: http://x\n", "bus.request_endpoint", 2);
}

TEST(Config, BadPluginNameIsRefused) {
  expect_error("plugins:\n  Bad-Name: {}\n", "plugins.Bad-Name", 2);
}

TEST(Config, UnknownPluginKeyIsRefused) {
  expect_error("plugins:\n  echo:\n    enabled: true\n    colour: red\n", "plugins.echo.colour", 4);
}

TEST(Config, SyntaxErrorNamesLine) {
  try {
    parse("bus:\n  tenant: [unclosed\n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_GE(e.line(), 2);
  }
}

TEST(Config, StoreAndSchedulerDefaultsAndOverrides) {
  auto defaults = parse("");
  EXPECT_EQ(defaults.store.backend, "sqlite");
  EXPECT_NE(defaults.store.sqlite_path.find("coachd.db"), std::string::npos);
  EXPECT_EQ(defaults.clock, "system");
  EXPECT_EQ(defaults.deployment, "production");
  EXPECT_EQ(defaults.cpu_scheduling, "batch");
  EXPECT_EQ(parse("cpu_scheduling: normal\n").cpu_scheduling, "normal");

  auto cfg = parse(
      "deployment: test\n"
      "store:\n  backend: postgresql\n  postgresql:\n    dsn: host=/run/pg dbname=c\n"
      "  sqlite:\n    path: data/x.db\n    max_size_mb: 5\n  max_batch: 32\n"
      "scheduler:\n  clock: test\n  node_id: n1\n  lease_ms: 500\n");
  EXPECT_EQ(cfg.store.backend, "postgresql");
  EXPECT_EQ(cfg.store.postgresql_dsn, "host=/run/pg dbname=c");
  EXPECT_EQ(cfg.store.sqlite_path, "/base/data/x.db");  // relative to the config file
  EXPECT_EQ(cfg.store.sqlite_max_size_mb, 5u);
  EXPECT_EQ(cfg.store.max_batch, 32u);
  EXPECT_EQ(cfg.clock, "test");
  EXPECT_EQ(cfg.scheduler.node_id, "n1");
  EXPECT_EQ(cfg.scheduler.lease_ms, 500u);
}

TEST(Config, StoreAndSchedulerMistakesNameKeyAndLine) {
  expect_error("store:\n  backend: mysql\n", "store.backend", 2);
  expect_error("store:\n  backend: postgresql\n", "store.postgresql.dsn", 2);
  expect_error("store:\n  sqlite:\n    file: x\n", "store.sqlite.file", 3);
  expect_error("scheduler:\n  clock: test\n", "scheduler.clock", 2);  // not a test deployment
  expect_error("deployment: staging\n", "deployment", 1);
  expect_error("log:\n  level: info\ncpu_scheduling: fifo\n", "cpu_scheduling", 3);
  expect_error("scheduler:\n  lease_ms: 5\n", "scheduler.lease_ms", 2);
}

TEST(Config, PluginSectionIsFlattenedAndLibraryDefaults) {
  auto cfg = parse(
      "plugin_dirs: [plugins, /abs]\n"
      "plugins:\n"
      "  good:\n"
      "    request_timeout_ms: 250\n"
      "    config:\n"
      "      suffix: '!'\n"
      "      limits: {reopen: 3}\n"
      "      words: [a, b]\n"
      "  slow:\n"
      "    enabled: false\n");
  ASSERT_EQ(cfg.plugins.size(), 2u);
  EXPECT_EQ(cfg.plugin_dirs[0], "/base/plugins");
  EXPECT_EQ(cfg.plugin_dirs[1], "/abs");
  const auto& good = cfg.plugins[0];
  EXPECT_EQ(good.library, "good.so");
  EXPECT_EQ(good.request_timeout_ms, 250u);
  EXPECT_EQ(good.values.at("suffix"), "!");
  EXPECT_EQ(good.values.at("limits.reopen"), "3");
  EXPECT_EQ(good.values.at("words.1"), "b");
  // Each key with its own line, for errors that name it.
  EXPECT_EQ(good.lines.at("limits.reopen"), good.lines.at("suffix") + 1);
  EXPECT_EQ(good.lines.at("words.1"), good.lines.at("suffix") + 2);
  EXPECT_FALSE(cfg.plugins[1].enabled);
}

TEST(ConfigSection, TypedGettersAndTypeErrors) {
  ConfigSection s(
      "good", {{"n", "3"}, {"x", "1.5"}, {"b", "yes"}, {"w.0", "a"}, {"w.1", "b"}, {"bad", "x"}});
  EXPECT_EQ(s.get_int("n", 0), 3);
  EXPECT_EQ(s.get_int("missing", 7), 7);
  EXPECT_DOUBLE_EQ(s.get_double("x", 0), 1.5);
  EXPECT_TRUE(s.get_bool("b", false));
  EXPECT_EQ(s.get_list("w"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.has("w"));
  EXPECT_THROW(s.get_int("bad", 0), coach::Error);
  try {
    s.get_bool("bad", false);
  } catch (const coach::Error& e) {
    EXPECT_NE(std::string(e.what()).find("plugins.good.config.bad"), std::string::npos);
  }
}

}  // namespace coach::core

namespace coach::core {

TEST(ConfigTenants, WithoutTheSectionTheLocalTenantHasEveryPlugin) {
  auto cfg = parse("bus:\n  tenant: acme\n");
  ASSERT_EQ(cfg.tenants.size(), 1u);
  EXPECT_EQ(cfg.tenants[0].name, "acme");
  EXPECT_TRUE(cfg.tenants[0].enables("anything"));
}

TEST(ConfigTenants, EachTenantEnablesItsPlugins) {
  auto cfg = parse(
      "tenants:\n  default: {plugins: all}\n  globex:\n    plugins: [echo, motivation_keys]\n");
  ASSERT_NE(cfg.find_tenant("globex"), nullptr);
  EXPECT_TRUE(cfg.find_tenant("globex")->enables("echo"));
  EXPECT_FALSE(cfg.find_tenant("globex")->enables("service_followup"));
  EXPECT_TRUE(cfg.find_tenant("default")->enables("service_followup"));
  expect_error("tenants:\n  globex: {plugins: [echo]}\n", "bus.tenant", 2);
  expect_error("tenants:\n  default: {}\n  Bad: {}\n", "tenants.Bad", 3);
  expect_error("tenants:\n  default: {plugins: [Echo]}\n", "tenants.default.plugins", 2);
  expect_error("tenants:\n  default: {modules: all}\n", "tenants.default.modules", 2);
}

TEST(ConfigSecurity, TcpIsServedWithCurveKeysOnly) {
  expect_error("bus:\n  request_endpoint: tcp://127.0.0.1:7400\n", "bus.request_endpoint", 2);
  expect_error("security:\n  curve:\n    request_endpoint: tcp://0.0.0.0:7400\n",
               "security.curve.server_key", 3);
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  auto cfg = parse(
      "security:\n  ipc_group: coach\n  curve:\n    request_endpoint: tcp://0.0.0.0:7400\n"
      "    server_key: keys/coachd.key\n    clients:\n"
      "      - {name: ana, public_key: \"" +
      key + "\", tenant: default, person: ana}\n");
  EXPECT_EQ(cfg.security.server_key_file, "/base/keys/coachd.key");
  ASSERT_EQ(cfg.security.clients.size(), 1u);
  EXPECT_EQ(cfg.security.clients[0].person, "ana");
  EXPECT_FALSE(cfg.security.clients[0].gateway);
  expect_error(
      "security:\n  curve:\n    clients:\n      - {name: x, public_key: short, "
      "tenant: default, person: ana}\n",
      "security.curve.clients[0].public_key", 4);
  expect_error("security:\n  curve:\n    clients:\n      - {name: x, public_key: \"" + key +
                   "\", role: gateway, tenant: default}\n",
               "security.curve.clients[0]", 4);
  expect_error("security:\n  curve:\n    clients:\n      - {name: x, public_key: \"" + key +
                   "\", role: admin, tenant: default}\n",
               "security.curve.clients[0].role", 4);
  try {
    parse("security:\n  curve:\n    clients:\n      - {name: x, public_key: \"" + key +
          "\", tenant: initech, person: ana}\n");
    FAIL() << "a key of an unknown tenant";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("tenant 'initech'"), std::string::npos) << e.what();
  }
}

}  // namespace coach::core
