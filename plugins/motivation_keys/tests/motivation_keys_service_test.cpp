// SPDX-License-Identifier: Apache-2.0
// motivation_keys' logic in-process, through coach/testing.hpp: pulses and trends with the
// crisis-push signal, team aggregates, coaching questions, the Trust Equation with drop and
// self-orientation signals, bounded histories, plateaus, service events as reliability signals,
// and refused input, in milliseconds.
#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include <optional>

#include "motivation_model.hpp"
#include "motivation_requests.hpp"
#include "plugin_client.hpp"

namespace coach::motivation_keys {
namespace {

using testing::InProcessClient;
using testing::Reply;

// The events the plugin published, counted by topic.
class Events {
 public:
  explicit Events(coach::testing::TestContext& t) : t_(t) {}
  int count(const std::string& topic, int = 1) { return static_cast<int>(t_.events(topic).size()); }
  template <typename Msg>
  Msg last(const std::string& topic) {
    return t_.events(topic).back().template as<Msg>();
  }

 private:
  coach::testing::TestContext& t_;
};

class MotivationKeysServiceTest : public ::testing::Test {
 protected:
  void start(std::initializer_list<std::pair<std::string_view, std::string_view>> config = {}) {
    t_.emplace(config);
    t_->start();
    client_.emplace(*t_);
    questionnaire_ = ok<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest());
  }
  coach::testing::TestContext& t() { return *t_; }

  Reply call(const std::string& method, const google::protobuf::Message& in) {
    return client_->call(method, in);
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
  pb::TrustHistory trust(const std::string& sp, const std::string& account) {
    pb::GetTrustRequest g;
    g.set_salesperson_id(sp);
    g.set_account_id(account);
    return ok<pb::TrustHistory>("GetTrust", g);
  }

  std::optional<coach::testing::TestContext> t_;
  std::optional<InProcessClient> client_;
  pb::Questionnaire questionnaire_;
};

TEST_F(MotivationKeysServiceTest, PulsesTrendAndACrisisPushIsSignalled) {
  start();
  person("ana", "east");
  Events events(t());
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

TEST_F(MotivationKeysServiceTest, TeamViewShowsMeansSpreadWeakestAndMovers) {
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

TEST_F(MotivationKeysServiceTest, TrustEquationDropsAndSelfOrientationClimb) {
  start();
  person("ana", "east");
  Events events(t());
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

TEST_F(MotivationKeysServiceTest, EveryHistoryKeepsTheLastHistoryKeptRecords) {
  start({{"history_kept", "3"}, {"plateau_periods", "3"}});
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

TEST_F(MotivationKeysServiceTest, PlateauIsDetectedAfterNPeriods) {
  start();
  person("ana", "east");
  Events events(t());
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

TEST_F(MotivationKeysServiceTest, BadInputGetsAClearErrorAndStoresNothing) {
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

TEST_F(MotivationKeysServiceTest, ServiceEventsBecomeReliabilitySignalsOnTheRelationship) {
  start();
  person("ana", "east");
  ASSERT_EQ(rate("ana", "acme", 7, 7, 7, 2).code, v1::STATUS_CODE_OK);
  google::protobuf::Struct event;
  auto set = [&](const char* k, const char* v) {
    (*event.mutable_fields())[k].set_string_value(v);
  };
  set("account_id", "acme");
  set("case_id", "c-17");
  t().deliver("service_followup.case_reopened", event);  // found through the account
  t().deliver("service_followup.case_closed", event);    // not a reliability signal
  auto history = trust("ana", "acme");
  ASSERT_EQ(history.signals_size(), 1);
  EXPECT_EQ(history.signals(0).kind(), "reopen");
  EXPECT_EQ(history.signals(0).case_id(), "c-17");
}

TEST(MotivationKeysConfig, HistoryKeptMustCoverTheWindows) {
  try {
    coach::testing::TestContext t{{"history_kept", "3"}, {"plateau_periods", "4"}};
    t.start();
    FAIL() << "started";
  } catch (const coach::Error& e) {
    EXPECT_NE(std::string(e.what()).find("history_kept"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace coach::motivation_keys

namespace coach::motivation_keys {
namespace {

// Who may see what, in-process: the same rules the daemon test checks cell by cell, here with
// the principal set on the test context.
class MotivationVisibilityTest : public ::testing::Test {
 protected:
  void start(std::initializer_list<std::pair<std::string_view, std::string_view>> config = {}) {
    t_.emplace(config);
    t_->start();
    auto& people = t_->directory();
    people.put({"max", "Max", "", "east", Roles{Role::kManager}, "", ""});
    people.put({"cora", "Cora", "", "east", Roles{Role::kCoach}, "", "max"});
    people.put({"ana", "Ana", "", "east", Roles{Role::kSalesperson}, "cora", "max"});
    people.put({"ben", "Ben", "", "east", Roles{Role::kSalesperson}, "cora", "max"});
    t_->act_as("ana");
    const auto q = t_->call<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest());
    t_->call<pb::Pulse>("RecordPulse", pulse_answers(q, "ana", 4, 3, 2, 4));
  }
  v1::StatusCode history_as(const std::string& who) {
    t_->act_as(who);
    pb::GetPulseHistoryRequest r;
    r.set_person_id("ana");
    return t_->call_status("GetPulseHistory", r).code();
  }
  std::optional<coach::testing::TestContext> t_;
};

TEST_F(MotivationVisibilityTest, AColleagueAndByDefaultTheManagerDoNotReadPulseAnswers) {
  start();
  EXPECT_EQ(history_as("ana"), v1::STATUS_CODE_OK);
  EXPECT_EQ(history_as("cora"), v1::STATUS_CODE_OK);
  EXPECT_EQ(history_as("ben"), v1::STATUS_CODE_PERMISSION_DENIED);
  EXPECT_EQ(history_as("max"), v1::STATUS_CODE_PERMISSION_DENIED);
  // ben may not answer ana's pulse either, whatever the payload says.
  t_->act_as("ben");
  const auto q = t_->call<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest());
  EXPECT_EQ(t_->call_status("RecordPulse", pulse_answers(q, "ana", 1, 1, 1, 1)).code(),
            v1::STATUS_CODE_PERMISSION_DENIED);
  // The manager sees the team's aggregates.
  t_->act_as("max");
  pb::GetTeamViewRequest team;
  team.set_team_id("east");
  EXPECT_EQ(t_->call_status("GetTeamView", team).code(), v1::STATUS_CODE_OK);
}

TEST_F(MotivationVisibilityTest, ATenantThatAllowsItLetsTheManagerRead) {
  start({{"managers_see_answers.0", "default"}});
  EXPECT_EQ(history_as("max"), v1::STATUS_CODE_OK);
  EXPECT_EQ(history_as("ben"), v1::STATUS_CODE_PERMISSION_DENIED);
}

}  // namespace
}  // namespace coach::motivation_keys
