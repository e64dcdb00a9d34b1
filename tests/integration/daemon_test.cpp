// SPDX-License-Identifier: Apache-2.0
// End-to-end: a real coachd process with real fixture plugins, reached over real ipc sockets.
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "bus_client.hpp"
#include "coach/abi.hpp"
#include "coach/v1/admin.pb.h"
#include "cpu_scheduling.hpp"
#include "daemon_process.hpp"
#include "envelope.hpp"
#include "plugin_loader.hpp"

namespace coach::testing {

using core::BusClient;
using google::protobuf::Duration;
using google::protobuf::Empty;
using google::protobuf::Int64Value;
using google::protobuf::StringValue;
using namespace std::chrono_literals;

namespace {

const std::string kAllFixtures =
    "  good:\n    config:\n      suffix: '!'\n"
    "  slow:\n    request_timeout_ms: 300\n"
    "  publisher: {}\n"
    "  wrong_abi: {}\n"
    "  throws_on_start: {}\n"
    "  no_symbol: {}\n"
    "  missing: {}\n"
    "  unserved: {}\n"
    "  undeclared: {}\n"
    "  off:\n    enabled: false\n"
    "  good:\n    library: good.so\n";  // the same name twice: the second is refused

StringValue text(const std::string& s) {
  StringValue v;
  v.set_value(s);
  return v;
}

Duration millis(int ms) {
  Duration d;
  d.set_nanos(ms * 1'000'000);
  return d;
}

v1::ListPluginsReply plugins(BusClient& c) {
  auto reply = c.call("coachd", "ListPlugins", v1::ListPluginsRequest(), 5s);
  v1::ListPluginsReply out;
  EXPECT_TRUE(reply.payload().UnpackTo(&out));
  return out;
}

const v1::PluginInfo* find(const v1::ListPluginsReply& list, const std::string& name) {
  for (const auto& p : list.plugins()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

v1::HealthReply health(BusClient& c) {
  v1::HealthReply h;
  EXPECT_TRUE(c.call("coachd", "Health", v1::HealthRequest(), 5s).payload().UnpackTo(&h));
  return h;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { daemon_.start(); }
  DaemonProcess daemon_{kAllFixtures};
};

}  // namespace

TEST_F(DaemonTest, RefusesBrokenPluginsWithOneLineEachAndServesTheOthers) {
  BusClient c(daemon_.request_endpoint());
  auto list = plugins(c);
  EXPECT_EQ(find(list, "good")->state(), "running");
  EXPECT_EQ(find(list, "slow")->state(), "running");
  EXPECT_EQ(find(list, "publisher")->state(), "running");
  for (auto name :
       {"wrong_abi", "throws_on_start", "no_symbol", "missing", "unserved", "undeclared"}) {
    ASSERT_NE(find(list, name), nullptr) << name;
    EXPECT_EQ(find(list, name)->state(), "failed") << name;
  }
  EXPECT_EQ(find(list, "off")->state(), "disabled");
  EXPECT_NE(find(list, "throws_on_start")->reason().find("database password missing"),
            std::string::npos);
  // Methods are the rpcs of the service the manifest declares: all of them, and only them.
  EXPECT_EQ(find(list, "unserved")->reason(),
            "plugin unserved leaves rpc Burst of service coach.test.Publisher without a handler");
  EXPECT_NE(find(list, "undeclared")
                ->reason()
                .find("serves 'Bogus', which its service coach.test.Publisher does not declare"),
            std::string::npos)
      << find(list, "undeclared")->reason();

  auto log = daemon_.log();
  EXPECT_NE(log.find("plugin wrong_abi (" COACH_FIXTURE_DIR
                     "/wrong_abi.so) refused: built for plugin ABI version " +
                     std::to_string(coach::kAbiVersion + 41)),
            std::string::npos)
      << log;
  EXPECT_NE(
      log.find("plugin no_symbol (" COACH_FIXTURE_DIR "/no_symbol.so) refused: missing symbol"),
      std::string::npos);
  EXPECT_NE(log.find("plugin missing (missing.so) refused: library missing.so not found"),
            std::string::npos);
  EXPECT_NE(log.find("plugin good (" COACH_FIXTURE_DIR "/good.so) refused: duplicate plugin name"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("plugin throws_on_start (" COACH_FIXTURE_DIR
                     "/throws_on_start.so) refused: start failed"),
            std::string::npos);

  auto h = health(c);
  EXPECT_EQ(h.state(), "serving");
  EXPECT_EQ(h.plugins_running(), 3u);
  EXPECT_EQ(h.plugins_failed(), 6u);
  EXPECT_EQ(h.plugins_disabled(), 1u);
}

TEST_F(DaemonTest, RoutesRequestToPluginAndStampsTenant) {
  BusClient c(daemon_.request_endpoint());
  auto request = core::make_request("good", "Echo", text("hi"));
  request.set_tenant("evil_other_tenant");  // the daemon, not the caller, decides the tenant
  auto reply = c.call(request, 5s);
  ASSERT_EQ(reply.status().code(), v1::STATUS_CODE_OK) << reply.status().message();
  EXPECT_EQ(reply.correlation_id(), request.message_id());
  StringValue out;
  ASSERT_TRUE(reply.payload().UnpackTo(&out));
  EXPECT_EQ(out.value(), "hi!@default");
}

TEST_F(DaemonTest, EveryFailureHasItsOwnStatusCode) {
  BusClient c(daemon_.request_endpoint());
  auto code = [&](const v1::Envelope& env) { return c.call(env, 5s).status().code(); };

  c.send_raw("\x0a\xff\xff garbage that is no envelope");
  auto raw = c.recv_raw(5s);
  ASSERT_TRUE(raw);
  v1::Envelope malformed;
  ASSERT_TRUE(malformed.ParseFromString(*raw));
  EXPECT_EQ(malformed.status().code(), v1::STATUS_CODE_MALFORMED_FRAME);

  EXPECT_EQ(code(core::make_request("nobody", "Echo", text("x"))), v1::STATUS_CODE_UNKNOWN_SERVICE);
  EXPECT_EQ(code(core::make_request("good", "Nope", text("x"))), v1::STATUS_CODE_UNKNOWN_METHOD);
  EXPECT_EQ(code(core::make_request("off", "Echo", text("x"))), v1::STATUS_CODE_PLUGIN_DISABLED);
  EXPECT_EQ(code(core::make_request("wrong_abi", "Echo", text("x"))),
            v1::STATUS_CODE_PLUGIN_DISABLED);
  EXPECT_EQ(code(core::make_request("good", "Echo", Empty())), v1::STATUS_CODE_WRONG_PAYLOAD_TYPE);
  EXPECT_EQ(code(core::make_request("good", "Echo", text(std::string(2 << 20, 'x')))),
            v1::STATUS_CODE_OVERSIZED_FRAME);
  auto threw = c.call(core::make_request("good", "Throw", Empty()), 5s);
  EXPECT_EQ(threw.status().code(), v1::STATUS_CODE_HANDLER_FAILED);
  EXPECT_NE(threw.status().message().find("plugin 'good' method 'Throw': boom on purpose"),
            std::string::npos);
  EXPECT_EQ(code(core::make_request("good", "Reject", text("x"))),
            v1::STATUS_CODE_INVALID_ARGUMENT);

  // A bad payload under the right type name: the bytes do not parse.
  auto bad_bytes = core::make_request("good", "Echo", text("x"));
  bad_bytes.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(code(bad_bytes), v1::STATUS_CODE_WRONG_PAYLOAD_TYPE);

  auto slow = c.call(core::make_request("slow", "Sleep", millis(900)), 5s);
  EXPECT_EQ(slow.status().code(), v1::STATUS_CODE_HANDLER_TIMEOUT);
  EXPECT_NE(slow.status().message().find("300 ms"), std::string::npos);

  // None of it disturbed the daemon.
  EXPECT_EQ(code(core::make_request("good", "Echo", text("still here"))), v1::STATUS_CODE_OK);
  auto h = health(c);
  EXPECT_EQ(h.errors_by_code().at("HANDLER_TIMEOUT"), 1u);
  EXPECT_EQ(h.errors_by_code().at("UNKNOWN_SERVICE"), 1u);
  EXPECT_EQ(h.errors_by_code().at("MALFORMED_FRAME"), 1u);
}

TEST_F(DaemonTest, SlowPluginDoesNotDelayOthers) {
  BusClient slow_client(daemon_.request_endpoint());
  slow_client.send_raw(core::make_request("slow", "Sleep", millis(250)).SerializeAsString());
  BusClient c(daemon_.request_endpoint());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.call(core::make_request("good", "Echo", text("x")), 5s).status().code(),
              v1::STATUS_CODE_OK);
  }
  // Behavioural, not a timing test: the 20 replies came while slow was still sleeping.
  auto slow_reply = slow_client.recv_raw(5s);
  ASSERT_TRUE(slow_reply);
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(*slow_reply));
  EXPECT_EQ(env.status().code(), v1::STATUS_CODE_OK);
}

TEST_F(DaemonTest, AHandlerPastItsDeadlineStopsAndExpiredQueuedRequestsAreSkipped) {
  BusClient c(daemon_.request_endpoint());
  Int64Value steps;
  steps.set_value(40);  // 2 s of work against a 300 ms timeout
  // Three requests queued at once: the first runs until its deadline, the other two expire in
  // the queue behind it and are never started.
  for (int i = 0; i < 3; ++i)
    c.send_raw(core::make_request("slow", "Steps", steps).SerializeAsString());
  for (int i = 0; i < 3; ++i) {
    auto raw = c.recv_raw(5s);
    ASSERT_TRUE(raw);
    v1::Envelope reply;
    ASSERT_TRUE(reply.ParseFromString(*raw));
    EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_HANDLER_TIMEOUT);
  }
  auto done = c.call(core::make_request("slow", "StepsDone", Empty()), 5s);
  ASSERT_EQ(done.status().code(), v1::STATUS_CODE_OK) << done.status().message();
  StringValue counts;
  ASSERT_TRUE(done.payload().UnpackTo(&counts));
  std::int64_t ran = 0, started = 0;
  std::istringstream(counts.value()) >> ran >> started;
  EXPECT_EQ(started, 1) << "requests that expired while queued must not start";
  EXPECT_GE(ran, 3);
  EXPECT_LE(ran, 12) << "the handler ran on past its deadline";
}

TEST_F(DaemonTest, ManyConcurrentClientsGetTheirOwnReplies) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      BusClient c(daemon_.request_endpoint());
      for (int i = 0; i < 200; ++i) {
        auto tag = std::to_string(t) + ":" + std::to_string(i);
        auto reply = c.call(core::make_request("good", "Echo", text(tag)), 5s);
        StringValue out;
        if (reply.payload().UnpackTo(&out) && out.value() == tag + "!@default") ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 800);
}

TEST_F(DaemonTest, EventsFanOutToSubscribedPluginsAndExternalSubscribers) {
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "default/publisher.");
  sub.connect(daemon_.event_endpoint());
  std::this_thread::sleep_for(300ms);  // an external subscriber is a slow joiner by nature

  BusClient c(daemon_.request_endpoint());
  Int64Value n;
  n.set_value(50);
  ASSERT_EQ(c.call(core::make_request("publisher", "Burst", n), 5s).status().code(),
            v1::STATUS_CODE_OK);
  auto count = c.call(core::make_request("good", "Count", Empty()), 5s);
  Int64Value heard;
  ASSERT_TRUE(count.payload().UnpackTo(&heard));
  EXPECT_EQ(heard.value(), 50);  // the plugin's queue delivered them in order before Count

  int received = 0;
  for (;;) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 2s) == 0) break;
    std::vector<zmq::message_t> parts;
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(parts)));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].to_string(), "default/publisher.tick");
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size())));
    Int64Value v;
    ASSERT_TRUE(env.payload().UnpackTo(&v));
    EXPECT_EQ(v.value(), ++received);
    EXPECT_EQ(env.tenant(), "default");
    if (received == 50) break;
  }
  EXPECT_EQ(received, 50);
  EXPECT_EQ(health(c).events_published(), 50u);
}

TEST(DaemonEvents, EventsNobodyListensToAreCountedAndANewSubscriberGetsTheNextOnes) {
  DaemonProcess daemon("  publisher: {}\n");
  daemon.start();
  BusClient c(daemon.request_endpoint());
  Int64Value n;
  n.set_value(30);
  ASSERT_EQ(c.call(core::make_request("publisher", "Burst", n), 5s).status().code(),
            v1::STATUS_CODE_OK);
  EXPECT_EQ(health(c).events_published(), 30u);  // skipped at the publisher, still counted

  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "default/publisher.");
  sub.connect(daemon.event_endpoint());
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(c.call(core::make_request("publisher", "Burst", n), 5s).status().code(),
            v1::STATUS_CODE_OK);
  int received = 0;
  zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
  while (received < 30 && zmq::poll(&item, 1, 2s) > 0) {
    std::vector<zmq::message_t> parts;
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(parts)));
    ++received;
  }
  EXPECT_EQ(received, 30);
  EXPECT_EQ(health(c).events_published(), 60u);
}

TEST(DaemonEvents, DropsAtHighWaterMarkAreCountedNotSilent) {
  DaemonProcess daemon("  publisher: {}\n", "  event_hwm: 10\n");
  daemon.start();
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvhwm, 10);
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(daemon.event_endpoint());
  std::this_thread::sleep_for(300ms);
  BusClient c(daemon.request_endpoint());
  Int64Value n;
  n.set_value(20000);
  ASSERT_EQ(c.call(core::make_request("publisher", "Burst", n), 10s).status().code(),
            v1::STATUS_CODE_OK);
  std::this_thread::sleep_for(200ms);
  auto h = health(c);
  EXPECT_EQ(h.events_published(), 20000u);
  EXPECT_GT(h.events_dropped_external(), 0u);
  // Whatever the subscriber gets plus what was counted as dropped is everything published.
  std::uint64_t got = 0;
  zmq::message_t m;
  for (;;) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 500ms) == 0) break;
    while (sub.recv(m, zmq::recv_flags::dontwait)) {
      if (!m.more()) ++got;
    }
  }
  EXPECT_EQ(got + h.events_dropped_external(), 20000u);
}

TEST(DaemonStart, PluginWhoseStartHangsIsRefusedAndTheOthersServe) {
  DaemonProcess daemon("  hangs_on_start: {}\n  good: {}\n", "  start_timeout_ms: 200\n");
  daemon.start(5s);
  BusClient c(daemon.request_endpoint());
  auto list = plugins(c);
  EXPECT_EQ(find(list, "hangs_on_start")->state(), "failed");
  EXPECT_NE(find(list, "hangs_on_start")->reason().find("start did not return within 200 ms"),
            std::string::npos);
  EXPECT_EQ(c.call(core::make_request("good", "Echo", text("x")), 5s).status().code(),
            v1::STATUS_CODE_OK);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(10s), 0);  // does not wait for the stuck start()
}

TEST(DaemonReload, SighupStartsNewlyEnabledAndStopsDisabledPlugins) {
  DaemonProcess daemon("  good: {}\n  slow:\n    enabled: false\n");
  daemon.start();
  BusClient c(daemon.request_endpoint());
  ASSERT_EQ(c.call(core::make_request("good", "Echo", text("a")), 5s).status().code(),
            v1::STATUS_CODE_OK);
  EXPECT_EQ(c.call(core::make_request("slow", "Sleep", millis(1)), 5s).status().code(),
            v1::STATUS_CODE_PLUGIN_DISABLED);

  // A request to good that is in flight while the reload stops it still gets its answer.
  daemon.write_config("  good:\n    enabled: false\n  slow: {}\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_notify("RELOADING=1", 5s));
  ASSERT_TRUE(daemon.wait_notify("READY=1", 5s));
  std::this_thread::sleep_for(100ms);
  auto list = plugins(c);
  EXPECT_EQ(find(list, "good")->state(), "disabled");
  EXPECT_EQ(find(list, "slow")->state(), "running");
  EXPECT_EQ(c.call(core::make_request("good", "Echo", text("a")), 5s).status().code(),
            v1::STATUS_CODE_PLUGIN_DISABLED);
  EXPECT_EQ(c.call(core::make_request("slow", "Sleep", millis(1)), 5s).status().code(),
            v1::STATUS_CODE_OK);

  // An invalid config is refused and the running one kept.
  write_file(daemon.config_path(), "plugins:\n  slow: {}\nbogus_key: 1\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_notify("READY=1", 5s));
  EXPECT_EQ(c.call(core::make_request("slow", "Sleep", millis(1)), 5s).status().code(),
            v1::STATUS_CODE_OK);
  EXPECT_NE(daemon.log().find("config refused, keeping the running one"), std::string::npos);
  EXPECT_NE(daemon.log().find("bogus_key"), std::string::npos);

  // Re-enabling starts the plugin again under the same name.
  daemon.write_config("  good: {}\n  slow: {}\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_notify("READY=1", 5s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(c.call(core::make_request("good", "Echo", text("b")), 5s).status().code(),
            v1::STATUS_CODE_OK);
  EXPECT_EQ(health(c).config_generation(), 3u);
}

TEST(DaemonReload, RequestsToOtherPluginsFlowDuringReload) {
  DaemonProcess daemon("  good: {}\n  slow: {}\n");
  daemon.start();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, ok{0};
  std::thread load([&] {
    BusClient c(daemon.request_endpoint());
    while (!done) {
      auto r = c.call(core::make_request("good", "Echo", text("x")), 5s);
      (r.status().code() == v1::STATUS_CODE_OK ? ok : failures)++;
    }
  });
  while (ok < 20) std::this_thread::sleep_for(5ms);
  for (int i = 0; i < 3; ++i) {
    int before = ok;
    while (ok < before + 20) std::this_thread::sleep_for(5ms);
    daemon.write_config(i % 2 == 0 ? "  good: {}\n  slow:\n    enabled: false\n"
                                   : "  good: {}\n  slow: {}\n");
    daemon.signal(SIGHUP);
    ASSERT_TRUE(daemon.wait_notify("READY=1", 5s));
  }
  done = true;
  load.join();
  EXPECT_GE(ok, 80);
  EXPECT_EQ(failures, 0);
}

TEST(DaemonShutdown, SigtermAnswersInFlightRequestsAndExitsZero) {
  DaemonProcess daemon("  slow: {}\n");
  daemon.start();
  BusClient c(daemon.request_endpoint());
  auto request = core::make_request("slow", "Sleep", millis(400));
  c.send_raw(request.SerializeAsString());
  std::this_thread::sleep_for(100ms);
  daemon.signal(SIGTERM);
  EXPECT_TRUE(daemon.wait_notify("STOPPING=1", 5s));
  auto raw = c.recv_raw(5s);
  ASSERT_TRUE(raw);
  v1::Envelope reply;
  ASSERT_TRUE(reply.ParseFromString(*raw));
  EXPECT_EQ(reply.correlation_id(), request.message_id());
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_OK);
  EXPECT_EQ(daemon.wait_exit(10s), 0);
  EXPECT_NE(daemon.log().find("plugin slow: stopped"), std::string::npos);
}

TEST(DaemonShutdown, SigintExitsZeroAndRefusesNewWork) {
  DaemonProcess daemon("  good: {}\n");
  daemon.start();
  daemon.signal(SIGINT);
  EXPECT_EQ(daemon.wait_exit(10s), 0);
}

TEST(DaemonCli, CheckConfigNamesBadKeyAndLine) {
  TempDir dir;
  write_file(dir.file("bad.yaml"), "log:\n  level: info\nbus:\n  request_timeout: 5\n");
  auto r = run_command({COACHD_BIN, "--check-config", dir.file("bad.yaml")}, dir.file("out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.yaml:4: bus.request_timeout: unknown key"), std::string::npos)
      << r.output;

  write_file(dir.file("good.yaml"), "plugins:\n  echo: {}\n");
  r = run_command({COACHD_BIN, "--check-config", dir.file("good.yaml")}, dir.file("out"));
  EXPECT_EQ(r.exit_code, 0) << r.output;

  r = run_command({COACHD_BIN, "--help"}, dir.file("out"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("--check-config"), std::string::npos);
}

TEST(DaemonCli, PrintedDefaultConfigHasEveryPluginKeyAtItsDefault) {
  TempDir dir;
  auto r = run_command({COACHD_BIN, "--print-default-config"}, dir.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("      names:\n        tells_controls: \"Driver\"  # quadrant name"),
            std::string::npos)
      << r.output;
  const auto printed = core::parse_config(r.output, "printed", COACH_PLUGIN_DIR);
  core::PluginLoader loader;
  for (const char* name : {"echo", "behavior_styles", "motivation_keys", "service_followup"}) {
    const auto* entry = printed.find_plugin(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_FALSE(entry->values.empty()) << name;
    core::PluginConfig bare = *entry;
    bare.values.clear();
    // What the file says is exactly what the schema's defaults give.
    EXPECT_EQ(loader.load(*entry, {COACH_PLUGIN_DIR}).config,
              loader.load(bare, {COACH_PLUGIN_DIR}).config)
        << name;
  }
  r = run_command({COACHD_BIN, "--print-config-table", "echo"}, dir.file("out"));
  EXPECT_NE(r.output.find("| `max_text_bytes` | integer | `4096` | 1 .. 1048576 |"),
            std::string::npos)
      << r.output;
}

namespace {
// thread name -> policy ("batch", "normal", ...) for every thread of process pid.
std::map<std::string, std::string> thread_policies(pid_t pid) {
  std::map<std::string, std::string> out;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::string name = read_file(task.path().string() + "/comm");
    while (!name.empty() && name.back() == '\n') name.pop_back();
    // Empty: the thread ended while we looked (several threads may share a name).
    auto policy = core::cpu_scheduling_of(std::stoi(task.path().filename().string()));
    if (!policy.empty()) out[name] = std::move(policy);
  }
  return out;
}
}  // namespace

TEST(DaemonCli, EveryThreadRunsUnderTheConfiguredCpuScheduling) {
  DaemonProcess batch("  good: {}\n");
  batch.start();
  auto policies = thread_policies(batch.pid());
  // The broker, ZeroMQ's I/O thread, the store writer and the plugin's thread, among others.
  for (const char* name : {"coachd", "ZMQbg/IO/0", "coach-store", "p:good"})
    EXPECT_EQ(policies[name], "batch") << name;
  for (const auto& [name, policy] : policies) EXPECT_EQ(policy, "batch") << name;
  EXPECT_NE(batch.log().find("cpu scheduling batch"), std::string::npos) << batch.log();

  DaemonProcess normal("  good: {}\n");
  normal.set_sections(normal.default_sections() + "cpu_scheduling: normal\n");
  normal.start();
  policies = thread_policies(normal.pid());
  EXPECT_EQ(policies["p:good"], "normal");
  for (const auto& [name, policy] : policies) EXPECT_EQ(policy, "normal") << name;
}

TEST(DaemonCli, LogsToRotatingFileFromConfig) {
  DaemonProcess daemon("  good: {}\n");
  const std::string log_file = daemon.dir().file("coachd-file.log");
  write_file(daemon.config_path(),
             "log:\n  level: info\n  file: " + log_file +
                 "\n  max_size_mb: 1\n  max_files: 2\nbus:\n  request_endpoint: " +
                 daemon.request_endpoint() + "\n  event_endpoint: " + daemon.event_endpoint() +
                 "\nplugin_dirs: [" COACH_FIXTURE_DIR "]\nplugins:\n  good: {}\n");
  daemon.start();
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait_exit(10s), 0);
  auto text = read_file(log_file);
  EXPECT_NE(text.find("[coachd] ready in"), std::string::npos) << text;
  EXPECT_NE(text.find("[coachd] stopped after"), std::string::npos) << text;
}

TEST(DaemonCli, BindFailureExitsNonZeroWithReason) {
  TempDir dir;
  write_file(dir.file("c.yaml"), "bus:\n  request_endpoint: ipc:///proc/forbidden/x.sock\n");
  auto r = run_command({COACHD_BIN, "--config", dir.file("c.yaml")}, dir.file("out"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot bind ipc:///proc/forbidden/x.sock"), std::string::npos)
      << r.output;
}

TEST(DaemonCli, ASocketDirectoryAnotherUserOwnsIsRefusedAtStart) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  TempDir dir;
  const auto theirs = dir.file("theirs");
  ASSERT_EQ(::mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  write_file(dir.file("c.yaml"), "bus:\n  request_endpoint: ipc://" + theirs + "/req.sock\n");
  auto r = run_command({COACHD_BIN, "--config", dir.file("c.yaml")}, dir.file("out"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("belongs to uid 65534"), std::string::npos) << r.output;
}

// A client can make libprotobuf complain (a string that is not UTF-8); those lines go through
// spdlog as [protobuf], a bounded number of them, and the daemon serves on.
TEST(DaemonCli, ProtobufsOwnLogLinesAreRoutedAndRateLimited) {
  DaemonProcess d("  good: {}\n", "", "info");
  d.start();
  BusClient c(d.request_endpoint());
  v1::Envelope env;
  env.set_kind(v1::Envelope::KIND_REQUEST);
  env.set_message_id("m1");
  env.set_service(std::string("go\xff\xfe", 4));
  env.set_method("Echo");
  for (int i = 0; i < 50; ++i) {
    c.send_raw(env.SerializeAsString());
    (void)c.recv_raw(std::chrono::seconds(2));
  }
  auto h = health(c);
  EXPECT_EQ(h.state(), "serving");
  const auto log = d.log();
  int routed = 0, unrouted = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("UTF-8") == std::string::npos) continue;
    (line.find("[protobuf]") != std::string::npos ? routed : unrouted) += 1;
  }
  EXPECT_EQ(unrouted, 0) << log;
  EXPECT_GE(routed, 1) << log;
  EXPECT_LE(routed, 10) << log;
}

}  // namespace coach::testing
