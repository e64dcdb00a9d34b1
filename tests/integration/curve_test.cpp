// SPDX-License-Identifier: Apache-2.0
// coachd over tcp, tried as an outsider and as another tenant would: no key and unknown keys get
// nothing (a python zmq client included), listed keys are their principal, a gateway states one,
// tenants reach only their own data, their own plugins and their own events.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "curve_keys.hpp"
#include "event_listener.hpp"
#include "visibility_samples.hpp"

namespace coach {
namespace {

class CurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = d_.dir().file("keys");
    ::mkdir(keys_.c_str(), 0700);
    for (const char* name : {"coachd", "ana", "globex_ops", "gateway", "intruder"})
      core::write_key_files(keys_, name, core::generate_curve_key_pair());
    requests_ = "tcp://127.0.0.1:" + std::to_string(testing::free_tcp_port());
    events_ = "tcp://127.0.0.1:" + std::to_string(testing::free_tcp_port());
    write_config();
  }

  void write_config(
      const std::string& globex_plugins = "[echo, motivation_keys, behavior_styles]") {
    auto pub = [&](const char* name) {
      return core::read_key_file(keys_ + "/" + name + ".pub", false).public_key;
    };
    d_.set_sections(d_.default_sections() +
                    "tenants:\n  default: {plugins: all}\n  globex: {plugins: " + globex_plugins +
                    "}\nsecurity:\n  curve:\n    request_endpoint: " + requests_ +
                    "\n    event_endpoint: " + events_ + "\n    server_key: " + keys_ +
                    "/coachd.key\n    clients:\n"
                    "      - {name: ana, public_key: \"" +
                    pub("ana") +
                    "\", tenant: default, person: ana}\n"
                    "      - {name: globex_ops, public_key: \"" +
                    pub("globex_ops") +
                    "\", tenant: globex, role: operator}\n"
                    "      - {name: gateway, public_key: \"" +
                    pub("gateway") + "\", role: gateway}\n");
  }

  BusClientOptions as(const std::string& key, std::string person = {}, std::string tenant = {}) {
    BusClientOptions o;
    o.client_key = core::read_key_file(keys_ + "/" + key + ".key", true);
    o.server_public_key = core::read_key_file(keys_ + "/coachd.pub", false).public_key;
    o.person = std::move(person);
    o.tenant = std::move(tenant);
    return o;
  }

  v1::WhoAmIReply who(BusClient& c) {
    auto reply = c.call("coachd", "WhoAmI", v1::WhoAmIRequest(), 5s);
    EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_OK) << reply.status().message();
    v1::WhoAmIReply me;
    reply.payload().UnpackTo(&me);
    return me;
  }

  // Sends Health and waits up to 1 s for any reply.
  static bool answered(BusClient& c) {
    c.send(core::make_request("coachd", "Health", v1::HealthRequest()));
    return c.recv_raw(1s).has_value();
  }

  zmq::context_t ctx_;
  DaemonProcess d_{kPlugins + "  echo: {}\n", "", "info"};
  std::string keys_;
  std::string requests_;
  std::string events_;
};

TEST_F(CurveTest, NoKeyAndUnknownKeysGetNothingAndTheDaemonServesOn) {
  d_.start();
  BusClient plain(requests_);  // no CURVE at all
  EXPECT_FALSE(answered(plain));
  BusClient intruder(requests_, as("intruder"));
  EXPECT_FALSE(answered(intruder));
  // A python client (Debian's pyzmq), no key: no answer either.
  const std::string script =
      "import zmq,sys\n"
      "s=zmq.Context().socket(zmq.DEALER)\n"
      "s.connect(sys.argv[1])\n"
      "s.send(b'\\x08\\x01\\x12\\x01x\\x2a\\x06coachd\\x32\\x06Health')\n"
      "print('answered' if s.poll(1500) else 'no answer')\n";
  testing::write_file(d_.dir().file("client.py"), script);
  auto py = testing::run_command({"/usr/bin/python3", d_.dir().file("client.py"), requests_});
  EXPECT_EQ(py.exit_code, 0) << py.output;
  EXPECT_NE(py.output.find("no answer"), std::string::npos) << py.output;
  // The same bytes over ipc are answered: the frame was a valid Health request.
  auto local =
      testing::run_command({"/usr/bin/python3", d_.dir().file("client.py"), d_.request_endpoint()});
  EXPECT_NE(local.output.find("answered"), std::string::npos) << local.output;
  // A listed key is served, and the daemon still serves everyone else.
  BusClient ana(requests_, as("ana"));
  EXPECT_TRUE(answered(ana));
  BusClient op(d_.request_endpoint());
  EXPECT_EQ(op.call("coachd", "Health", v1::HealthRequest(), 5s).status().code(),
            v1::STATUS_CODE_OK);
  const auto log = d_.log();
  EXPECT_NE(log.find("refused a client from 127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find(core::read_key_file(keys_ + "/intruder.pub", false).public_key),
            std::string::npos);
}

TEST_F(CurveTest, AKeyIsItsPrincipalWhateverTheEnvelopeClaims) {
  d_.start();
  import_people(d_);
  BusClient ana(requests_, as("ana", "ada", "globex"));  // claims another person and tenant
  auto me = who(ana);
  EXPECT_EQ(me.tenant(), "default");
  EXPECT_EQ(me.person(), "ana");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0), "salesperson");
  BusClient ops(requests_, as("globex_ops"));
  me = who(ops);
  EXPECT_EQ(me.tenant(), "globex");
  EXPECT_EQ(me.roles(0), "operator");
  // The gateway states tenant and person; an unknown tenant or person is refused.
  BusClient gw(requests_, as("gateway", "zoe", "default"));
  me = who(gw);
  EXPECT_EQ(me.tenant(), "default");
  EXPECT_EQ(me.person(), "zoe");
  EXPECT_EQ(me.roles(0), "service_agent");
  BusClient lost(requests_, as("gateway", "zoe", "initech"));
  EXPECT_EQ(lost.call("coachd", "WhoAmI", v1::WhoAmIRequest(), 5s).status().code(),
            v1::STATUS_CODE_UNAUTHENTICATED);
  // Remote keys do not reach what spans tenants.
  EXPECT_EQ(ops.call("coachd", "StoreStats", v1::StoreStatsRequest(), 5s).status().code(),
            v1::STATUS_CODE_OK)
      << "an operator key is an operator";
  EXPECT_EQ(ana.call("coachd", "StoreStats", v1::StoreStatsRequest(), 5s).status().code(),
            v1::STATUS_CODE_PERMISSION_DENIED);
  // Health tells a remote client where its events are.
  v1::HealthReply health;
  ana.call("coachd", "Health", v1::HealthRequest(), 5s).payload().UnpackTo(&health);
  EXPECT_EQ(health.curve_event_endpoint(), events_);
  EXPECT_EQ(health.curve_request_endpoint(), requests_);
}

// What tenant default holds, per plugin: keys and bytes.
std::map<std::string, std::pair<std::int64_t, std::int64_t>> holdings(BusClient& op,
                                                                      const std::string& tenant) {
  auto reply = op.call("coachd", "StoreStats", v1::StoreStatsRequest(), 5s);
  v1::StoreStatsReply stats;
  reply.payload().UnpackTo(&stats);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& ns : stats.namespaces())
    if (ns.tenant() == tenant) out[ns.plugin()] = {ns.keys(), ns.bytes()};
  return out;
}

TEST_F(CurveTest, AnotherTenantReachesNothingOfThisOneThroughAnyMethod) {
  d_.start();
  import_people(d_);
  Caller local(d_.request_endpoint());
  const auto rows = visibility_table();
  for (const auto& row : rows) {  // the default tenant's data, as its operator
    local.call(row.plugin, row.method, kSamples.at(row.plugin + "." + row.method));
  }
  BusClient op(d_.request_endpoint());
  const auto before = holdings(op, "default");
  ASSERT_GT(before.size(), 4u);
  // globex's operator (its strongest principal) tries every method with the same requests.
  Caller globex(requests_, as("globex_ops"));
  int not_enabled = 0;
  for (const auto& row : rows) {
    auto reply = globex.call(row.plugin, row.method, kSamples.at(row.plugin + "." + row.method));
    const std::string bytes = reply.SerializeAsString();
    for (const char* secret : {"Secret-Salesperson", "Secret-Subject", "Secret-Focus"})
      EXPECT_EQ(bytes.find(secret), std::string::npos) << row.method << " leaked " << secret;
    if (reply.status().code() == v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT) ++not_enabled;
    if (row.plugin == "service_followup" || row.plugin == "coaching_sessions") {
      EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT) << row.method;
    }
  }
  EXPECT_GT(not_enabled, 20);
  EXPECT_EQ(holdings(op, "default"), before) << "another tenant changed this one's data";
  // And globex's people are not default's: ana is nobody there.
  BusClient raw(requests_, as("globex_ops", "ana"));
  EXPECT_EQ(raw.call("coachd", "Health", v1::HealthRequest(), 5s).status().code(),
            v1::STATUS_CODE_UNAUTHENTICATED);
}

TEST_F(CurveTest, EventsReachOnlyTheirTenantAndPluginsItEnabled) {
  d_.start();
  import_people(d_);
  import_people(d_, {"-e", requests_, "--key", keys_ + "/globex_ops.key", "--server-key",
                     keys_ + "/coachd.pub"});
  auto subscriber = [&](const std::string& key, const std::string& prefix) {
    auto s = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::sub);
    s->set(zmq::sockopt::linger, 0);
    core::use_curve(*s, as(key));
    s->set(zmq::sockopt::subscribe, prefix);
    s->set(zmq::sockopt::rcvtimeo, 300);
    s->connect(events_);
    return s;
  };
  auto ana_all = subscriber("ana", "");            // narrowed to default/
  auto ana_globex = subscriber("ana", "globex/");  // refused
  auto globex_all = subscriber("globex_ops", "");  // narrowed to globex/
  auto gateway_all = subscriber("gateway", "");    // every tenant
  std::this_thread::sleep_for(500ms);
  Caller local(d_.request_endpoint());
  Caller globex(requests_, as("globex_ops"));
  local.call("echo", "Echo", R"({"text":"default"})");
  globex.call("echo", "Echo", R"({"text":"globex"})");
  globex.call("echo", "Echo", R"({"text":"globex again"})");
  auto drain = [](zmq::socket_t& s) {
    std::vector<std::string> topics;
    for (;;) {
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(s, std::back_inserter(parts))) return topics;
      topics.push_back(parts[0].to_string());
    }
  };
  EXPECT_EQ(drain(*ana_all), std::vector<std::string>{"default/echo.echoed"});
  EXPECT_TRUE(drain(*ana_globex).empty());
  EXPECT_EQ(drain(*globex_all),
            (std::vector<std::string>{"globex/echo.echoed", "globex/echo.echoed"}));
  EXPECT_EQ(drain(*gateway_all).size(), 3u);
  EXPECT_NE(d_.log().find("refused a subscription to 'globex/'"), std::string::npos);

  // A pulse in each tenant: coaching_sessions (enabled in default only) keeps a signal from
  // default's and never sees globex's.
  Caller(d_.request_endpoint(), acting("ana"))
      .call("motivation_keys", "RecordPulse", kSamples.at("motivation_keys.RecordPulse"));
  Caller(requests_, as("globex_ops", "ana"))
      .call("motivation_keys", "RecordPulse", kSamples.at("motivation_keys.RecordPulse"));
  std::this_thread::sleep_for(300ms);
  BusClient op(d_.request_endpoint());
  EXPECT_GT(holdings(op, "default")["coaching_sessions"].first, 0);
  EXPECT_EQ(holdings(op, "globex").count("coaching_sessions"), 0u);
  EXPECT_GT(holdings(op, "globex")["motivation_keys"].first, 0);
}

TEST_F(CurveTest, SighupAppliesTenantsPluginsAndClientKeys) {
  d_.start();
  Caller globex(requests_, as("globex_ops"));
  EXPECT_EQ(globex.call("service_followup", "GetMeasures", "{}").status().code(),
            v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT);
  write_config("all");
  d_.signal(SIGHUP);
  ASSERT_TRUE(d_.wait_notify("READY=1", 5s)) << d_.log();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(globex.call("service_followup", "GetMeasures", "{}").status().code(),
            v1::STATUS_CODE_OK);
}

TEST_F(CurveTest, ASecretKeyOthersCanReadIsRefusedAtStart) {
  ::chmod((keys_ + "/coachd.key").c_str(), 0640);
  auto r =
      testing::run_command({"/usr/bin/timeout", "20", COACHD_BIN, "--config", d_.config_path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
}

TEST(Keygen, WritesASecretFileForItsOwnerAndNeverOverwrites) {
  testing::TempDir dir;
  auto r = testing::run_command({COACHCTL_BIN, "keygen", "crm", "--dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("crm.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto pair = core::read_key_file(dir.file("crm.key"), true);
  EXPECT_EQ(core::read_key_file(dir.file("crm.pub"), false).public_key, pair.public_key);
  EXPECT_NE(r.output.find(pair.public_key), std::string::npos);
  auto again = testing::run_command({COACHCTL_BIN, "keygen", "crm", "--dir", dir.path().string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(core::read_key_file(dir.file("crm.key"), true).secret_key, pair.secret_key);
}

}  // namespace
}  // namespace coach

namespace coach {
namespace {

TEST(IpcSocket, IsForCoachdAndItsOperatorGroupOnly) {
  struct group* g = ::getgrnam("daemon");
  ASSERT_NE(g, nullptr) << "Debian's daemon group";
  DaemonProcess d("  echo: {}\n", "", "info");
  d.set_sections(d.default_sections() + "security:\n  ipc_group: daemon\n");
  d.start();
  for (const auto& endpoint : {d.request_endpoint(), d.event_endpoint()}) {
    struct stat st {};
    ASSERT_EQ(::stat(endpoint.substr(6).c_str(), &st), 0) << endpoint;
    EXPECT_EQ(st.st_mode & 0777, 0660u) << endpoint;
    EXPECT_EQ(st.st_gid, g->gr_gid) << endpoint;
  }
  // An unknown group is refused at start with its name.
  DaemonProcess bad("  echo: {}\n", "", "info");
  bad.set_sections(bad.default_sections() + "security:\n  ipc_group: no_such_group\n");
  auto r =
      testing::run_command({"/usr/bin/timeout", "20", COACHD_BIN, "--config", bad.config_path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no group 'no_such_group'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace coach
