// SPDX-License-Identifier: Apache-2.0
// motivation_keys through a real coachd: what only a daemon shows (another plugin's events
// arriving over the bus, or none without it; persistence across a restart; coachctl). Its logic is
// tested in-process in motivation_keys_service_test.cpp.
#include <gtest/gtest.h>

#include <google/protobuf/struct.pb.h>
#include <thread>

#include "bus_client.hpp"
#include "coach/v1/motivation_keys.pb.h"
#include "daemon_process.hpp"
#include "motivation_requests.hpp"
#include "plugin_client.hpp"

namespace coach::motivation_keys {
namespace {

namespace pb = coach::v1::motivation_keys;
using testing::DaemonProcess;
using testing::PluginClient;
using testing::Reply;
using namespace std::chrono_literals;

const std::string kPlugin = "  motivation_keys: {}\n";
const std::string kWithFakeFollowup =
    "  motivation_keys: {}\n  service_followup:\n    library: fake_service_followup.so\n";

class MotivationKeysTest : public ::testing::Test {
 protected:
  void start(const std::string& plugins = kPlugin) {
    daemon_ = std::make_unique<DaemonProcess>(plugins, "", "info");
    daemon_->start();
    client_ = std::make_unique<PluginClient>(daemon_->request_endpoint(), "motivation_keys");
    questionnaire_ = ok<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest());
  }

  Reply call(const std::string& method, const google::protobuf::Message& in,
             const std::string& service = "") {
    return client_->call(method, in, service);
  }
  template <typename Out>
  Out ok(const std::string& method, const google::protobuf::Message& in) {
    return client_->ok<Out>(method, in);
  }

  void person(const std::string& id, const std::string& team) {
    client_->add_person({id, id, "", team, coach::Roles{coach::Role::kSalesperson}, "", ""});
  }

  Reply pulse(const std::string& id, int engage, int empower, int perform, int enjoy) {
    return call("RecordPulse", pulse_answers(questionnaire_, id, engage, empower, perform, enjoy));
  }

  Reply rate(const std::string& sp, const std::string& account, double c, double r, double i,
             double s, pb::RaterRole role = pb::RATER_ROLE_CUSTOMER) {
    return call("RateTrust", rating(sp, account, c, r, i, s, role));
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PluginClient> client_;
  pb::Questionnaire questionnaire_;
};

TEST_F(MotivationKeysTest, ServiceFollowupEventsBecomeReliabilitySignals) {
  start(kWithFakeFollowup);
  person("ana", "east");
  ASSERT_EQ(rate("ana", "acme", 7, 7, 7, 2).code, v1::STATUS_CODE_OK);
  google::protobuf::Struct emit;
  auto set = [&](const char* k, const char* v) { (*emit.mutable_fields())[k].set_string_value(v); };
  set("event", "case_reopened");
  set("account_id", "acme");
  set("salesperson_id", "ana");
  set("case_id", "c-17");
  ASSERT_EQ(call("Emit", emit, "service_followup").code, v1::STATUS_CODE_OK);
  set("event", "repeat_contact");
  set("case_id", "c-18");
  emit.mutable_fields()->erase("salesperson_id");  // found through the account's relationships
  ASSERT_EQ(call("Emit", emit, "service_followup").code, v1::STATUS_CODE_OK);
  set("event", "case_closed");  // not a reliability signal
  ASSERT_EQ(call("Emit", emit, "service_followup").code, v1::STATUS_CODE_OK);
  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  pb::TrustHistory history;
  for (int tries = 0; tries < 50 && history.signals_size() < 2; ++tries) {
    std::this_thread::sleep_for(50ms);
    history = ok<pb::TrustHistory>("GetTrust", g);
  }
  ASSERT_EQ(history.signals_size(), 2);
  EXPECT_EQ(history.signals(0).kind(), "reopen");
  EXPECT_EQ(history.signals(0).case_id(), "c-17");
  EXPECT_EQ(history.signals(1).kind(), "repeat_contact");
}

TEST_F(MotivationKeysTest, WorksWithoutServiceFollowup) {
  start();  // no service_followup plugin: the subscription simply hears nothing
  person("ana", "east");
  ASSERT_EQ(rate("ana", "acme", 7, 7, 7, 2).code, v1::STATUS_CODE_OK);
  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  EXPECT_EQ(ok<pb::TrustHistory>("GetTrust", g).signals_size(), 0);
}

TEST_F(MotivationKeysTest, EverythingSurvivesARestartAndCoachctlCallsWork) {
  start();
  person("ana", "east");
  ASSERT_EQ(pulse("ana", 4, 4, 4, 4).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(rate("ana", "acme", 4, 4, 4, 2).code, v1::STATUS_CODE_OK);
  client_.reset();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(10s), 0);
  daemon_->start();
  client_ = std::make_unique<PluginClient>(daemon_->request_endpoint(), "motivation_keys");
  ASSERT_EQ(pulse("ana", 3, 4, 4, 4).code, v1::STATUS_CODE_OK);
  pb::GetPulseHistoryRequest h;
  h.set_person_id("ana");
  auto history = ok<pb::PulseHistory>("GetPulseHistory", h);
  ASSERT_EQ(history.pulses_size(), 2);
  EXPECT_DOUBLE_EQ(history.pulses(1).scores(0).change(), -1.0);  // against the pre-restart pulse
  auto out = testing::run_command({COACHCTL_BIN, "-e", daemon_->request_endpoint(), "call",
                                   "motivation_keys", "GetTrust",
                                   R"({"salesperson_id":"ana","account_id":"acme"})"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("\"trust\":6"), std::string::npos) << out.output;
}

}  // namespace
}  // namespace coach::motivation_keys
