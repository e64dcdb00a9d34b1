// SPDX-License-Identifier: Apache-2.0
// motivation_keys through a real coachd: pulses and trends, team views, coaching questions, the
// Trust Equation with drop and self-orientation signals, plateaus, service_followup events with
// and without that plugin, bad input, persistence across a restart, and coachctl.
#include <gtest/gtest.h>

#include <google/protobuf/struct.pb.h>
#include <thread>

#include "bus_client.hpp"
#include "coach/v1/motivation_keys.pb.h"
#include "daemon_process.hpp"
#include "plugin_client.hpp"
#include "pulse_answers.hpp"

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

// Collects events from the daemon's event endpoint.
class Events {
 public:
  Events(const std::string& endpoint, const std::string& prefix)
      : socket_(ctx_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::subscribe, prefix);
    socket_.set(zmq::sockopt::rcvtimeo, 100);
    socket_.connect(endpoint);
    std::this_thread::sleep_for(200ms);  // let the subscription reach the daemon
  }
  // Topics received so far (waits up to timeout for at least `want` of topic).
  int count(const std::string& topic, int want = 1, std::chrono::milliseconds timeout = 3s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (seen_[topic] < want && std::chrono::steady_clock::now() < deadline) {
      std::vector<zmq::message_t> parts;
      if (zmq::recv_multipart(socket_, std::back_inserter(parts)) && parts.size() == 2) {
        ++seen_[parts[0].to_string()];
        last_[parts[0].to_string()] = parts[1].to_string();
      }
    }
    return seen_[topic];
  }
  // The payload of the last event on topic, as Msg.
  template <typename Msg>
  Msg last(const std::string& topic) {
    v1::Envelope env;
    env.ParseFromString(last_[topic]);
    Msg msg;
    env.payload().UnpackTo(&msg);
    return msg;
  }

 private:
  zmq::context_t ctx_;
  zmq::socket_t socket_;
  std::map<std::string, int> seen_;
  std::map<std::string, std::string> last_;
};

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
    pb::RegisterPersonRequest r;
    r.set_person_id(id);
    r.set_team_id(team);
    ok<pb::Person>("RegisterPerson", r);
  }

  Reply pulse(const std::string& id, int engage, int empower, int perform, int enjoy) {
    return call("RecordPulse", pulse_answers(questionnaire_, id, engage, empower, perform, enjoy));
  }

  Reply rate(const std::string& sp, const std::string& account, double c, double r, double i,
             double s, pb::RaterRole role = pb::RATER_ROLE_CUSTOMER) {
    pb::RateTrustRequest t;
    t.set_salesperson_id(sp);
    t.set_account_id(account);
    t.set_role(role);
    t.set_credibility(c);
    t.set_reliability(r);
    t.set_intimacy(i);
    t.set_self_orientation(s);
    return call("RateTrust", t);
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PluginClient> client_;
  pb::Questionnaire questionnaire_;
};

TEST_F(MotivationKeysTest, PulsesTrendAndACrisisPushIsSignalled) {
  start();
  person("ana", "east");
  Events events(daemon_->event_endpoint(), "motivation_keys.");
  ASSERT_EQ(pulse("ana", 4, 3, 2, 4).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(pulse("ana", 4, 3, 3, 3).code, v1::STATUS_CODE_OK);
  auto third = pulse("ana", 3, 3, 4, 2);  // Perform up, Engage and Enjoy down
  ASSERT_EQ(third.code, v1::STATUS_CODE_OK) << third.message;
  pb::Pulse p;
  third.payload.UnpackTo(&p);
  EXPECT_DOUBLE_EQ(p.scores(0).score(), 3.0);
  EXPECT_DOUBLE_EQ(p.scores(0).change(), -1.0);
  EXPECT_NEAR(p.scores(0).moving_average(), 3.667, 1e-9);
  EXPECT_EQ(p.weakest(), pb::KEY_ENJOY);
  EXPECT_EQ(events.count("motivation_keys.pulse_recorded", 3), 3);
  ASSERT_EQ(events.count("motivation_keys.crisis_push_risk"), 1);
  auto risk = events.last<pb::CrisisPushRisk>("motivation_keys.crisis_push_risk");
  EXPECT_EQ(risk.person_id(), "ana");
  ASSERT_EQ(risk.evidence_size(), 3);
  EXPECT_NE(risk.evidence(0).find("Perform rose from 2.00 to 4.00"), std::string::npos);

  pb::GetPulseHistoryRequest h;
  h.set_person_id("ana");
  EXPECT_EQ(ok<pb::PulseHistory>("GetPulseHistory", h).pulses_size(), 3);
  h.set_limit(2);
  EXPECT_EQ(ok<pb::PulseHistory>("GetPulseHistory", h).pulses_size(), 2);

  pb::GetCoachingPromptsRequest q;
  q.set_person_id("ana");
  auto prompts = ok<pb::CoachingPrompts>("GetCoachingPrompts", q);
  EXPECT_EQ(prompts.key(), pb::KEY_ENJOY);  // the weakest
  EXPECT_GE(prompts.questions_size(), 3);
  for (const auto& question : prompts.questions()) EXPECT_EQ(question.back(), '?') << question;
  EXPECT_NE(prompts.reminder().find("Coaches engage, managers tell"), std::string::npos);
  q.set_key(pb::KEY_EMPOWER);
  EXPECT_EQ(ok<pb::CoachingPrompts>("GetCoachingPrompts", q).name(), "Empower");
}

TEST_F(MotivationKeysTest, TeamViewShowsMeansSpreadWeakestAndMovers) {
  start();
  person("ana", "east");
  person("ben", "east");
  person("cy", "east");  // no pulse yet
  ASSERT_EQ(pulse("ana", 4, 4, 4, 2).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(pulse("ben", 2, 4, 4, 2).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(pulse("ben", 2, 4, 1, 2).code, v1::STATUS_CODE_OK);  // ben's Perform fell by 3
  pb::GetTeamViewRequest r;
  r.set_team_id("east");
  auto view = ok<pb::TeamView>("GetTeamView", r);
  EXPECT_EQ(view.members(), 3);
  EXPECT_EQ(view.members_with_pulse(), 2);
  ASSERT_EQ(view.keys_size(), 4);
  EXPECT_DOUBLE_EQ(view.keys(0).mean(), 3.0);  // Engage: 4 and 2
  EXPECT_DOUBLE_EQ(view.keys(0).spread(), 1.0);
  EXPECT_DOUBLE_EQ(view.keys(3).mean(), 2.0);  // Enjoy
  EXPECT_EQ(view.weakest(), pb::KEY_ENJOY);
  ASSERT_GE(view.moved_most_size(), 1);
  EXPECT_EQ(view.moved_most(0).person_id(), "ben");
  EXPECT_EQ(view.moved_most(0).key(), pb::KEY_PERFORM);
  EXPECT_DOUBLE_EQ(view.moved_most(0).change(), -3.0);
}

TEST_F(MotivationKeysTest, TrustEquationDropsAndSelfOrientationClimb) {
  start();
  person("ana", "east");
  Events events(daemon_->event_endpoint(), "motivation_keys.");
  auto first = rate("ana", "acme", 4, 4, 4, 2);
  ASSERT_EQ(first.code, v1::STATUS_CODE_OK) << first.message;
  pb::TrustAssessment t;
  first.payload.UnpackTo(&t);
  EXPECT_DOUBLE_EQ(t.trust(), 6.0);
  auto second = rate("ana", "acme", 4, 4, 4, 4);
  second.payload.UnpackTo(&t);
  EXPECT_DOUBLE_EQ(t.trust(), 3.0);
  EXPECT_DOUBLE_EQ(t.change(), -3.0);
  ASSERT_EQ(events.count("motivation_keys.trust_dropped"), 1);
  auto dropped = events.last<pb::TrustDropped>("motivation_keys.trust_dropped");
  EXPECT_DOUBLE_EQ(dropped.previous(), 6.0);
  EXPECT_DOUBLE_EQ(dropped.drop(), 3.0);
  // A self rating does not count against the customer's trend.
  ASSERT_EQ(rate("ana", "acme", 8, 8, 8, 2, pb::RATER_ROLE_SELF).code, v1::STATUS_CODE_OK);
  // Third customer rating: self-orientation has climbed 2 -> 4 -> 5 over three ratings.
  ASSERT_EQ(rate("ana", "acme", 4, 4, 4, 5).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(events.count("motivation_keys.crisis_push_risk"), 1);
  auto risk = events.last<pb::CrisisPushRisk>("motivation_keys.crisis_push_risk");
  EXPECT_EQ(risk.account_id(), "acme");
  EXPECT_NE(risk.evidence(0).find("self-orientation"), std::string::npos);

  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  auto history = ok<pb::TrustHistory>("GetTrust", g);
  EXPECT_EQ(history.ratings_size(), 4);
  EXPECT_EQ(history.latest_size(), 2);  // self and customer
}

TEST_F(MotivationKeysTest, EveryHistoryKeepsTheLastHistoryKeptRecords) {
  start("  motivation_keys:\n    config:\n      history_kept: 3\n      plateau_periods: 3\n");
  person("ana", "east");
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(rate("ana", "acme", 5 + i * 0.5, 6, 6, 3).code, v1::STATUS_CODE_OK);
  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  auto history = ok<pb::TrustHistory>("GetTrust", g);
  ASSERT_EQ(history.ratings_size(), 3);
  EXPECT_DOUBLE_EQ(history.ratings(2).credibility(), 7.0) << "the newest are kept";
  EXPECT_DOUBLE_EQ(history.ratings(0).credibility(), 6.0);
  for (int i = 0; i < 5; ++i) {
    pb::RecordAttainmentRequest r;
    r.set_person_id("ana");
    r.set_period("2026-0" + std::to_string(1 + i));
    r.set_target(100);
    r.set_attainment(50 + i * 20);
    ASSERT_EQ(call("RecordAttainment", r).code, v1::STATUS_CODE_OK);
  }
  const auto items =
      ok<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest()).items_size();
  for (int i = 0; i < 5; ++i) {
    pb::RecordPulseRequest p;
    p.set_person_id("ana");
    for (int k = 0; k < items; ++k) p.add_answers(3);
    ASSERT_EQ(call("RecordPulse", p).code, v1::STATUS_CODE_OK);
  }
  pb::GetPulseHistoryRequest ph;
  ph.set_person_id("ana");
  EXPECT_EQ(ok<pb::PulseHistory>("GetPulseHistory", ph).pulses_size(), 3);
}

TEST_F(MotivationKeysTest, PlateauIsDetectedAfterNPeriods) {
  start();
  person("ana", "east");
  Events events(daemon_->event_endpoint(), "motivation_keys.plateau");
  pb::PlateauStatus status;
  int i = 0;
  for (double attained : {95.0, 97.0, 96.0, 98.0}) {
    pb::RecordAttainmentRequest r;
    r.set_person_id("ana");
    r.set_period("2026-0" + std::to_string(6 + i++));
    r.set_target(100);
    r.set_attainment(attained);
    status = ok<pb::PlateauStatus>("RecordAttainment", r);
    if (i < 4) {
      EXPECT_FALSE(status.plateau()) << i;
    }
  }
  EXPECT_TRUE(status.plateau()) << status.evidence();
  EXPECT_EQ(status.periods_size(), 4);
  EXPECT_EQ(events.count("motivation_keys.plateau_detected"), 1);
}

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

TEST_F(MotivationKeysTest, BadInputGetsAClearErrorAndStoresNothing) {
  start();
  person("ana", "east");
  pb::RecordPulseRequest short_pulse;
  short_pulse.set_person_id("ana");
  short_pulse.add_answers(3);
  auto r = call("RecordPulse", short_pulse);
  EXPECT_EQ(r.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("answers: expected 16"), std::string::npos) << r.message;
  auto out_of_range = pulse("ana", 6, 3, 3, 3);
  EXPECT_EQ(out_of_range.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(out_of_range.message.find("is outside 1..5"), std::string::npos);
  auto zero_s = rate("ana", "acme", 4, 4, 4, 0);
  EXPECT_EQ(zero_s.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(zero_s.message.find("self_orientation: must be positive"), std::string::npos);
  EXPECT_EQ(rate("ghost", "acme", 4, 4, 4, 2).code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_EQ(pulse("ghost", 3, 3, 3, 3).code, v1::STATUS_CODE_NOT_FOUND);
  pb::GetTeamViewRequest team;
  team.set_team_id("nowhere");
  auto no_team = call("GetTeamView", team);
  EXPECT_EQ(no_team.code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_NE(no_team.message.find("team_id"), std::string::npos);
  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  auto no_account = call("GetTrust", g);
  EXPECT_EQ(no_account.code, v1::STATUS_CODE_NOT_FOUND) << "a refused rating was stored";
  EXPECT_NE(no_account.message.find("account_id"), std::string::npos);
  pb::GetPulseHistoryRequest h;
  h.set_person_id("ana");
  EXPECT_EQ(ok<pb::PulseHistory>("GetPulseHistory", h).pulses_size(), 0)
      << "a refused pulse was stored";
  pb::RecordAttainmentRequest a;
  a.set_person_id("ana");
  a.set_period("2026-11");
  a.set_target(0);
  auto bad_target = call("RecordAttainment", a);
  EXPECT_EQ(bad_target.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(bad_target.message.find("target"), std::string::npos);
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
