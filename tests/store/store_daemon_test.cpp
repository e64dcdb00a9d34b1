// SPDX-License-Identifier: Apache-2.0
// The store and the scheduler end to end: real coachd processes with the kv fixture plugin, on
// SQLite and on PostgreSQL, killed, restarted, doubled, and cut off from their database.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "store_backends.hpp"

namespace coach::testing {
namespace {

using core::BusClient;
using google::protobuf::Empty;
using google::protobuf::Int64Value;
using google::protobuf::StringValue;
using google::protobuf::Struct;
using namespace std::chrono_literals;

const std::string kKvPlugins = "  kv: {}\n  kv_other: {}\n";

Struct fields(std::initializer_list<std::pair<std::string, google::protobuf::Value>> kv) {
  Struct s;
  for (auto& [k, v] : kv) (*s.mutable_fields())[k] = v;
  return s;
}
google::protobuf::Value str(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  return v;
}
google::protobuf::Value num(double d) {
  google::protobuf::Value v;
  v.set_number_value(d);
  return v;
}

// Calls and expects OK; returns the reply payload as Out.
template <typename Out>
Out ok(BusClient& c, const std::string& service, const std::string& method,
       const google::protobuf::Message& in) {
  auto reply = c.call(service, method, in, 10s);
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_OK)
      << service << "." << method << ": " << reply.status().message();
  Out out;
  reply.payload().UnpackTo(&out);
  return out;
}

std::int64_t put(BusClient& c, const std::string& key, const std::string& value,
                 const std::string& plugin = "kv") {
  return ok<Int64Value>(c, plugin, "Put", fields({{"key", str(key)}, {"value", str(value)}}))
      .value();
}

std::optional<std::string> get(BusClient& c, const std::string& key,
                               const std::string& plugin = "kv") {
  StringValue k;
  k.set_value(key);
  auto out = ok<Struct>(c, plugin, "Get", k);
  if (!out.fields().at("found").bool_value()) return std::nullopt;
  return out.fields().at("value").string_value();
}

std::int64_t schedule(BusClient& c, const std::string& note, std::int64_t delay_ms,
                      bool announce = false) {
  google::protobuf::Value a;
  a.set_bool_value(announce);
  return ok<Int64Value>(c, "kv", "Schedule",
                        fields({{"note", str(note)},
                                {"delay_ms", num(static_cast<double>(delay_ms))},
                                {"announce", a}}))
      .value();
}

// Deliveries per entry id, as the kv fixture counted them.
std::map<std::int64_t, int> fired(BusClient& c) {
  auto out = ok<Struct>(c, "kv", "Fired", Empty());
  std::map<std::int64_t, int> counts;
  for (const auto& [id, n] : out.fields().at("ids").struct_value().fields())
    counts[std::stoll(id)] = static_cast<int>(n.number_value());
  return counts;
}

// Waits until pred() holds, up to timeout.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

v1::ListScheduleReply schedule_list(BusClient& c, const std::string& plugin = "kv") {
  v1::ListScheduleRequest req;
  req.set_plugin(plugin);
  req.set_limit(10000);
  return ok<v1::ListScheduleReply>(c, "coachd", "ListSchedule", req);
}

class StoreDaemonTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    COACH_REQUIRE_BACKEND(GetParam());
    if (GetParam() == "postgresql") dsn_ = fresh_pg_dsn();
  }

  // A daemon on this suite's backend; the daemons of one test share its database.
  std::unique_ptr<DaemonProcess> daemon(const std::string& sections_extra = "",
                                        const std::string& tenant = "") {
    auto d = std::make_unique<DaemonProcess>(
        kKvPlugins, "  tenant: " + (tenant.empty() ? tenant_ : tenant) + "\n", "info");
    d->set_sections(store_yaml(GetParam(), shared_, dsn_) + sections_extra);
    return d;
  }

  TempDir shared_;   // the SQLite file every daemon of one test shares
  std::string dsn_;  // the PostgreSQL database every daemon of one test shares
  std::string tenant_ = unique_name("t");
};

TEST_P(StoreDaemonTest, PluginsAndTenantsCannotSeeEachOthersKeys) {
  auto acme = daemon("", tenant_);
  auto globex = daemon("", tenant_ + "_globex");
  acme->start();
  globex->start();
  BusClient a(acme->request_endpoint());
  BusClient g(globex->request_endpoint());
  put(a, "contract", "acme's");
  EXPECT_EQ(get(a, "contract"), "acme's");
  EXPECT_EQ(get(a, "contract", "kv_other"), std::nullopt) << "another plugin read kv's key";
  EXPECT_EQ(get(g, "contract"), std::nullopt) << "another tenant read acme's key";
  put(g, "contract", "globex's");
  put(a, "contract", "kv_other's", "kv_other");
  EXPECT_EQ(get(a, "contract"), "acme's");
  EXPECT_EQ(get(g, "contract"), "globex's");
  EXPECT_EQ(get(a, "contract", "kv_other"), "kv_other's");
}

TEST_P(StoreDaemonTest, WritesAndSchedulesSurviveARestart) {
  auto d = daemon();
  d->start();
  std::int64_t id = 0;
  {
    BusClient c(d->request_endpoint());
    put(c, "case/7", "solved");
    id = schedule(c, "check in", 86'400'000);
  }
  d->signal(SIGTERM);
  ASSERT_EQ(d->wait_exit(10s), 0);
  d->start();
  BusClient c(d->request_endpoint());
  EXPECT_EQ(get(c, "case/7"), "solved");
  auto list = schedule_list(c);
  ASSERT_EQ(list.entries_size(), 1);
  EXPECT_EQ(list.entries(0).id(), id);
  EXPECT_EQ(list.entries(0).state(), "pending");
  EXPECT_EQ(list.entries(0).payload_type(), "google.protobuf.StringValue");
}

TEST_P(StoreDaemonTest, TestClockFiresEntriesOnTimeOnceAndCancelled) {
  auto d = daemon("deployment: test\nscheduler:\n  clock: test\n");
  d->start();
  BusClient c(d->request_endpoint());
  zmq::context_t ctx;
  zmq::socket_t events(ctx, zmq::socket_type::sub);
  events.set(zmq::sockopt::subscribe, tenant_ + "/kv.due");
  events.connect(d->event_endpoint());
  std::this_thread::sleep_for(200ms);  // let the subscription reach the daemon

  const auto day = schedule(c, "24h check-in", 24 * 3'600'000, /*announce=*/true);
  const auto cancelled = schedule(c, "auto-close", 24 * 3'600'000);
  const auto later = schedule(c, "in 4 days", 4 * 24 * 3'600'000);
  google::protobuf::BoolValue was;
  Int64Value which;
  which.set_value(cancelled);
  EXPECT_TRUE(ok<google::protobuf::BoolValue>(c, "kv", "Cancel", which).value());
  EXPECT_FALSE(ok<google::protobuf::BoolValue>(c, "kv", "Cancel", which).value());

  v1::AdvanceClockRequest step;
  step.set_by_ms(24 * 3'600'000 - 1000);
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(fired(c).empty()) << "fired a second early";

  step.set_by_ms(1000);
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] { return fired(c).count(day) == 1; })) << d->log();
  std::vector<zmq::message_t> ev;
  events.set(zmq::sockopt::rcvtimeo, 5000);
  ASSERT_TRUE(zmq::recv_multipart(events, std::back_inserter(ev))) << "no announce event";
  EXPECT_EQ(ev[0].to_string(), tenant_ + "/kv.due");

  step.set_by_ms(3 * 24 * 3'600'000);
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] { return fired(c).count(later) == 1; })) << d->log();
  std::this_thread::sleep_for(300ms);
  auto counts = fired(c);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[day], 1) << "fired twice";
  EXPECT_EQ(counts.count(cancelled), 0u) << "a cancelled entry fired";
  std::map<std::int64_t, std::string> states;
  const auto list = schedule_list(c);
  for (const auto& e : list.entries()) states[e.id()] = e.state();
  EXPECT_EQ(states[day], "done");
  EXPECT_EQ(states[cancelled], "cancelled");
  EXPECT_EQ(states[later], "done");
}

TEST_P(StoreDaemonTest, FinishedEntriesArePrunedAfterTheRetentionAndCountedUntilThen) {
  auto d = daemon(
      "deployment: test\nscheduler:\n  clock: test\n  retention_hours: 2\n"
      "  prune_interval_ms: 100\n");
  d->start();
  BusClient c(d->request_endpoint());
  const auto fires = schedule(c, "fires", 1000);
  const auto cancelled = schedule(c, "cancelled", 10 * 3'600'000);
  const auto pending = schedule(c, "pending", 100 * 3'600'000);
  Int64Value which;
  which.set_value(cancelled);
  ASSERT_TRUE(ok<google::protobuf::BoolValue>(c, "kv", "Cancel", which).value());
  v1::AdvanceClockRequest step;
  step.set_by_ms(2000);
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] { return fired(c).count(fires) == 1; })) << d->log();
  auto ids = [&] {
    std::set<std::int64_t> out;
    const auto list = schedule_list(c);
    for (const auto& e : list.entries()) out.insert(e.id());
    return out;
  };
  EXPECT_EQ(ids(), (std::set<std::int64_t>{fires, cancelled, pending})) << "kept for the retention";

  step.set_by_ms(2 * 3'600'000 - 5000);  // just short of the retention: still kept
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(ids().size(), 3u);
  step.set_by_ms(10'000);  // past it: both finished entries go, the pending one stays
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] { return ids() == std::set<std::int64_t>{pending}; })) << d->log();
  auto stats = ok<v1::StoreStatsReply>(c, "coachd", "StoreStats", v1::StoreStatsRequest());
  EXPECT_EQ(stats.prunable_schedule_entries(), 0);
  EXPECT_EQ(stats.retention_hours(), 2u);
  EXPECT_NE(d->log().find("finished schedule entries"), std::string::npos) << d->log();
}

TEST_P(StoreDaemonTest, AFailingHandlerIsRetriedWithBackoff) {
  auto d = daemon("deployment: test\nscheduler:\n  clock: test\n");
  d->start();
  BusClient c(d->request_endpoint());
  const auto id = schedule(c, "fail_first", 1000);
  v1::AdvanceClockRequest step;
  step.set_by_ms(1000);
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] {
    auto list = schedule_list(c);
    return list.entries_size() == 1 && list.entries(0).attempts() == 1 &&
           !list.entries(0).last_error().empty();
  })) << d->log();
  EXPECT_TRUE(fired(c).empty());
  step.set_by_ms(1000);  // the first backoff is 1 s
  ok<v1::AdvanceClockReply>(c, "coachd", "AdvanceClock", step);
  ASSERT_TRUE(eventually([&] { return fired(c).count(id) == 1; })) << d->log();
  // The entry is marked done once the plugin's acknowledgement reaches the scheduler, which can
  // be a moment after the handler's own write is visible.
  v1::ListScheduleReply list;
  ASSERT_TRUE(eventually([&] {
    list = schedule_list(c);
    return list.entries_size() == 1 && list.entries(0).state() == "done";
  })) << d->log();
  EXPECT_EQ(list.entries(0).attempts(), 2);
  EXPECT_EQ(fired(c).at(id), 1) << "delivered once";
}

TEST_P(StoreDaemonTest, EntriesDueWhileDownFireRightAfterStart) {
  auto d = daemon();
  d->start();
  std::vector<std::int64_t> ids;
  {
    BusClient c(d->request_endpoint());
    for (int i = 0; i < 5; ++i) ids.push_back(schedule(c, "while down", 800));
  }
  d->signal(SIGKILL);
  d->wait_exit(10s);
  std::this_thread::sleep_for(1200ms);  // they come due while nothing runs
  d->start();
  BusClient c(d->request_endpoint());
  ASSERT_TRUE(eventually([&] { return fired(c).size() == ids.size(); }, 5s)) << d->log();
  for (auto id : ids) EXPECT_EQ(fired(c)[id], 1);
}

TEST_P(StoreDaemonTest, NothingAcknowledgedIsLostToSigkill) {
  auto d = daemon();
  std::mt19937 rng{std::random_device{}()};
  std::set<std::string> acked_keys;
  std::set<std::int64_t> acked_ids;
  for (int round = 0; round < 3; ++round) {
    d->start();
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      BusClient c(d->request_endpoint());
      for (int i = 0; !stop; ++i) {
        try {
          if (i % 4 == 3) {
            auto reply = c.call("kv", "Schedule",
                                fields({{"note", str("n")}, {"delay_ms", num(3.6e6)}}), 1s);
            if (reply.status().code() != v1::STATUS_CODE_OK) break;
            Int64Value id;
            reply.payload().UnpackTo(&id);
            acked_ids.insert(id.value());
          } else {
            const std::string key = fmt::format("r{}/{}", round, i);
            auto reply = c.call("kv", "Put", fields({{"key", str(key)}, {"value", str(key)}}), 1s);
            if (reply.status().code() != v1::STATUS_CODE_OK) break;
            acked_keys.insert(key);
          }
        } catch (const std::exception&) {
          break;  // killed mid-request: this one was never acknowledged
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 500));
    d->signal(SIGKILL);
    d->wait_exit(10s);
    stop = true;
    writer.join();
  }
  ASSERT_GT(acked_keys.size(), 20u);
  d->start();
  BusClient c(d->request_endpoint());
  for (const auto& key : acked_keys) EXPECT_EQ(get(c, key), key) << "lost acknowledged " << key;
  std::set<std::int64_t> listed;
  const auto list = schedule_list(c);
  for (const auto& e : list.entries()) listed.insert(e.id());
  for (auto id : acked_ids) EXPECT_TRUE(listed.count(id)) << "lost acknowledged entry " << id;
}

TEST_P(StoreDaemonTest, TwoDaemonsOnOneDatabaseFireEachEntryOnce) {
  auto a = daemon("scheduler:\n  node_id: node_a\n  poll_ms: 100\n");
  auto b = daemon("scheduler:\n  node_id: node_b\n  poll_ms: 100\n");
  a->start();
  b->start();
  BusClient ca(a->request_endpoint());
  BusClient cb(b->request_endpoint());
  constexpr int kEntries = 120;
  std::set<std::int64_t> ids;
  for (int i = 0; i < kEntries; ++i) ids.insert(schedule(i % 2 ? ca : cb, "once", 1500));
  ASSERT_TRUE(eventually([&] { return fired(ca).size() == ids.size(); }, 20s))
      << fired(ca).size() << " of " << ids.size() << "\n"
      << a->log() << b->log();
  std::this_thread::sleep_for(500ms);
  auto counts = fired(ca);
  int twice = 0;
  for (auto id : ids) twice += counts[id] != 1;
  EXPECT_EQ(twice, 0) << "entries delivered more than once";
  std::map<std::string, int> by_node;
  const auto list = schedule_list(ca);
  for (const auto& e : list.entries()) ++by_node[e.claimed_by()];
  std::cerr << "claimed: node_a " << by_node["node_a"] << ", node_b " << by_node["node_b"] << "\n";
}

TEST_P(StoreDaemonTest, CorruptValueIsAnErrorAndTheDaemonServesOn) {
  auto d = daemon();
  d->start();
  BusClient c(d->request_endpoint());
  StringValue key;
  key.set_value("bad");
  ok<Empty>(c, "kv", "PutGarbage", key);
  auto reply = c.call("kv", "Get", key, 5s);
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_DATA_CORRUPT) << reply.status().message();
  EXPECT_NE(reply.status().message().find("does not parse"), std::string::npos);
  put(c, "good", "still here");
  EXPECT_EQ(get(c, "good"), "still here");
}

TEST_P(StoreDaemonTest, StoreStatsCountKeysPerTenantAndPlugin) {
  auto d = daemon();
  d->start();
  BusClient c(d->request_endpoint());
  put(c, "a", "1");
  put(c, "b", "2");
  put(c, "a", "x", "kv_other");
  auto stats = ok<v1::StoreStatsReply>(c, "coachd", "StoreStats", v1::StoreStatsRequest());
  EXPECT_EQ(stats.backend().rfind(GetParam(), 0), 0u) << stats.backend();
  EXPECT_EQ(stats.schema_version(), 2);
  std::map<std::string, std::int64_t> keys;
  for (const auto& ns : stats.namespaces()) {
    if (ns.tenant() == tenant_) keys[ns.plugin()] = ns.keys();
  }
  EXPECT_EQ(keys["kv"], 2);
  EXPECT_EQ(keys["kv_other"], 1);
  EXPECT_GE(stats.commits(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreDaemonTest, ::testing::Values("sqlite", "postgresql"),
                         backend_param_name);

TEST(StoreDaemon, UnreachableStoreAtStartExitsNonZeroNamingTheBackend) {
  TempDir dir;
  for (auto [section, expect] :
       {std::pair{std::string("store:\n  backend: postgresql\n  postgresql:\n    dsn: "
                              "\"host=/nonexistent-coachd port=1 dbname=x\"\n"),
                  std::string("store (postgresql) unavailable at start")},
        std::pair{std::string("store:\n  sqlite:\n    path: /proc/coachd/none/x.db\n"),
                  std::string("store (sqlite) unavailable at start")}}) {
    write_file(dir.file("c.yaml"), section + "bus:\n  request_endpoint: ipc://" +
                                       dir.file("r.sock") + "\n  event_endpoint: ipc://" +
                                       dir.file("e.sock") + "\nplugins: {}\n");
    auto [code, out] = run_command({COACHD_BIN, "--config", dir.file("c.yaml")});
    EXPECT_NE(code, 0) << out;
    EXPECT_NE(out.find(expect), std::string::npos) << out;
  }
}

TEST(StoreDaemon, TestClockNeedsATestDeploymentAndAdvanceClockNeedsATestClock) {
  TempDir dir;
  write_file(dir.file("c.yaml"), "scheduler:\n  clock: test\n");
  auto [code, out] = run_command({COACHD_BIN, "--check-config", dir.file("c.yaml")});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("scheduler.clock"), std::string::npos) << out;
  EXPECT_NE(out.find("deployment: test"), std::string::npos) << out;

  DaemonProcess d(kKvPlugins);
  d.start();
  BusClient c(d.request_endpoint());
  v1::AdvanceClockRequest step;
  step.set_by_ms(1000);
  auto reply = c.call("coachd", "AdvanceClock", step, 5s);
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_FAILED_PRECONDITION);
}

TEST(StoreDaemon, PostgresOutageGivesErrorsThenRecoversWithoutRestart) {
  TempDir dir;
  const std::string pg_dir = dir.file("pg");
  const std::string port = std::to_string(40000 + ::getpid() % 5000);
  auto [code, dsn] = run_command({COACH_SOURCE_DIR "/tests/pg.sh", "start", pg_dir, port});
  ASSERT_EQ(code, 0) << dsn;
  while (!dsn.empty() && dsn.back() == '\n') dsn.pop_back();
  dsn = dsn.substr(dsn.rfind('\n') + 1);  // the last line; warnings may come before it
  struct StopCluster {
    std::string dir;
    ~StopCluster() { run_command({COACH_SOURCE_DIR "/tests/pg.sh", "destroy", dir}); }
  } stop_at_end{pg_dir};

  DaemonProcess d(kKvPlugins, "", "info");
  d.set_sections("store:\n  backend: postgresql\n  postgresql:\n    dsn: \"" + dsn + "\"\n");
  d.start();
  BusClient c(d.request_endpoint());
  put(c, "before", "kept");

  ASSERT_EQ(run_command({COACH_SOURCE_DIR "/tests/pg.sh", "stop", pg_dir}).exit_code, 0);
  auto reply = c.call("kv", "Put", fields({{"key", str("during")}, {"value", str("x")}}), 10s);
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_UNAVAILABLE) << reply.status().message();
  EXPECT_NE(reply.status().message().find("postgresql"), std::string::npos)
      << reply.status().message();
  auto health = c.call("coachd", "Health", v1::HealthRequest(), 5s);
  EXPECT_EQ(health.status().code(), v1::STATUS_CODE_OK) << "the daemon stopped serving";

  ASSERT_EQ(run_command({COACH_SOURCE_DIR "/tests/pg.sh", "resume", pg_dir, port}).exit_code, 0);
  EXPECT_TRUE(eventually(
      [&] {
        auto r = c.call("kv", "Put", fields({{"key", str("after")}, {"value", str("y")}}), 10s);
        return r.status().code() == v1::STATUS_CODE_OK;
      },
      20s))
      << d.log();
  EXPECT_EQ(get(c, "before"), "kept");
  EXPECT_EQ(get(c, "after"), "y");
  EXPECT_NE(d.log().find("reconnected"), std::string::npos);
}

}  // namespace
}  // namespace coach::testing

namespace coach::testing {
namespace {

TEST(StoreDaemon, CoachctlShowsStoreStatsAndScheduleAndMovesATestClock) {
  DaemonProcess d(kKvPlugins, "", "info");
  d.set_sections(d.default_sections() + "deployment: test\nscheduler:\n  clock: test\n");
  d.start();
  BusClient c(d.request_endpoint());
  put(c, "a", "1");
  const auto id = schedule(c, "in an hour", 3'600'000);
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {COACHCTL_BIN, "-e", d.request_endpoint()});
    return run_command(args);
  };

  auto stats = ctl({"store", "stats"});
  EXPECT_EQ(stats.exit_code, 0) << stats.output;
  EXPECT_NE(stats.output.find("backend  sqlite " + d.dir().file("coachd.db")), std::string::npos)
      << stats.output;
  EXPECT_NE(stats.output.find("1 pending"), std::string::npos) << stats.output;
  EXPECT_NE(stats.output.find("kv "), std::string::npos) << stats.output;
  auto stats_json = ctl({"store", "stats", "--json"});
  EXPECT_NE(stats_json.output.find("\"plugin\":\"kv\""), std::string::npos) << stats_json.output;

  auto list = ctl({"schedule", "list", "--plugin", "kv"});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find(std::to_string(id)), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("pending"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("kv.due"), std::string::npos) << list.output;

  auto advanced = ctl({"clock", "advance", "61m"});
  EXPECT_EQ(advanced.exit_code, 0) << advanced.output;
  EXPECT_NE(advanced.output.find("clock now"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return fired(c).count(id) == 1; })) << d.log();
  ASSERT_TRUE(eventually([&] {
    return ctl({"schedule", "list", "--state", "done"}).output.find(std::to_string(id)) !=
           std::string::npos;
  }));
  EXPECT_EQ(ctl({"clock", "advance", "soon"}).exit_code, 2);
  EXPECT_EQ(ctl({"schedule", "list", "--state", "bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace coach::testing
