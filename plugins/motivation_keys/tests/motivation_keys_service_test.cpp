// SPDX-License-Identifier: Apache-2.0
// motivation_keys' logic in-process, through coach/testing.hpp: pulses and the crisis-push signal,
// team aggregates, trust drops, plateaus, service events as reliability signals, bounded
// histories and refused input, in milliseconds.
#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include "motivation_model.hpp"
#include "plugin_client.hpp"
#include "pulse_answers.hpp"

namespace coach::motivation_keys {
namespace {

using testing::InProcessClient;
using testing::Reply;

class MotivationKeysServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.start();
    questionnaire_ =
        client_.ok<pb::Questionnaire>("GetQuestionnaire", pb::GetQuestionnaireRequest());
  }

  void person(const std::string& id, const std::string& team) {
    pb::RegisterPersonRequest r;
    r.set_person_id(id);
    r.set_team_id(team);
    client_.ok<pb::Person>("RegisterPerson", r);
  }
  Reply pulse(const std::string& id, int engage, int empower, int perform, int enjoy) {
    return client_.call("RecordPulse",
                        pulse_answers(questionnaire_, id, engage, empower, perform, enjoy));
  }
  Reply rate(const std::string& sp, const std::string& account, double c, double r, double i,
             double s) {
    pb::RateTrustRequest t;
    t.set_salesperson_id(sp);
    t.set_account_id(account);
    t.set_role(pb::RATER_ROLE_CUSTOMER);
    t.set_credibility(c);
    t.set_reliability(r);
    t.set_intimacy(i);
    t.set_self_orientation(s);
    return client_.call("RateTrust", t);
  }
  pb::TrustHistory trust(const std::string& sp, const std::string& account) {
    pb::GetTrustRequest g;
    g.set_salesperson_id(sp);
    g.set_account_id(account);
    return client_.ok<pb::TrustHistory>("GetTrust", g);
  }

  coach::testing::TestContext t_{{"history_kept", "5"}};
  InProcessClient client_{t_};
  pb::Questionnaire questionnaire_;
};

TEST_F(MotivationKeysServiceTest, ACrisisPushIsSignalledWithItsEvidence) {
  person("ana", "east");
  ASSERT_EQ(pulse("ana", 4, 3, 2, 4).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(pulse("ana", 4, 3, 3, 3).code, v1::STATUS_CODE_OK);
  EXPECT_TRUE(t_.events("motivation_keys.crisis_push_risk").empty());
  auto third = pulse("ana", 3, 3, 4, 2);  // Perform up, Engage and Enjoy down
  ASSERT_EQ(third.code, v1::STATUS_CODE_OK) << third.message;
  EXPECT_EQ(third.as<pb::Pulse>().weakest(), pb::KEY_ENJOY);
  EXPECT_EQ(t_.events("motivation_keys.pulse_recorded").size(), 3u);
  auto risks = t_.events("motivation_keys.crisis_push_risk");
  ASSERT_EQ(risks.size(), 1u);
  auto risk = risks[0].as<pb::CrisisPushRisk>();
  EXPECT_EQ(risk.person_id(), "ana");
  EXPECT_NE(risk.evidence(0).find("Perform rose from 2.00 to 4.00"), std::string::npos);
}

TEST_F(MotivationKeysServiceTest, TeamViewIsAggregatesOfEachMembersLatestPulse) {
  person("ana", "east");
  person("ben", "east");
  person("cy", "east");  // no pulse yet
  ASSERT_EQ(pulse("ana", 2, 4, 4, 4).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(pulse("ana", 4, 4, 4, 4).code, v1::STATUS_CODE_OK);  // Engage +2
  ASSERT_EQ(pulse("ben", 2, 4, 4, 2).code, v1::STATUS_CODE_OK);
  pb::GetTeamViewRequest r;
  r.set_team_id("east");
  auto view = client_.ok<pb::TeamView>("GetTeamView", r);
  EXPECT_EQ(view.members(), 3);
  EXPECT_EQ(view.members_with_pulse(), 2);
  ASSERT_EQ(view.keys_size(), 4);
  EXPECT_DOUBLE_EQ(view.keys(0).mean(), 3.0);    // Engage: 4 and 2
  EXPECT_DOUBLE_EQ(view.keys(0).spread(), 1.0);  // population standard deviation
  EXPECT_EQ(view.weakest(), pb::KEY_ENGAGE);     // ties go to the first key
  ASSERT_GE(view.moved_most_size(), 1);
  EXPECT_EQ(view.moved_most(0).person_id(), "ana");
  EXPECT_DOUBLE_EQ(view.moved_most(0).change(), 2.0);
}

TEST_F(MotivationKeysServiceTest, ATrustDropIsPublishedAndHistoriesStayBounded) {
  person("ana", "east");
  ASSERT_EQ(rate("ana", "acme", 8, 8, 8, 2).code, v1::STATUS_CODE_OK);  // T = 12
  auto lower = rate("ana", "acme", 8, 8, 8, 4);                         // T = 6
  ASSERT_EQ(lower.code, v1::STATUS_CODE_OK) << lower.message;
  EXPECT_DOUBLE_EQ(lower.as<pb::TrustAssessment>().change(), -6.0);
  auto drops = t_.events("motivation_keys.trust_dropped");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_DOUBLE_EQ(drops[0].as<pb::TrustDropped>().drop(), 6.0);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(rate("ana", "acme", 8, 8, 8, 4).code, v1::STATUS_CODE_OK);
  EXPECT_EQ(trust("ana", "acme").ratings_size(), 5) << "history_kept is 5";
}

TEST_F(MotivationKeysServiceTest, ServiceEventsBecomeReliabilitySignalsOnTheRelationship) {
  person("ana", "east");
  ASSERT_EQ(rate("ana", "acme", 7, 7, 7, 2).code, v1::STATUS_CODE_OK);
  google::protobuf::Struct event;
  auto set = [&](const char* k, const char* v) {
    (*event.mutable_fields())[k].set_string_value(v);
  };
  set("account_id", "acme");
  set("case_id", "c-17");
  t_.deliver("service_followup.case_reopened", event);  // found through the account
  t_.deliver("service_followup.case_closed", event);    // not a reliability signal
  auto history = trust("ana", "acme");
  ASSERT_EQ(history.signals_size(), 1);
  EXPECT_EQ(history.signals(0).kind(), "reopen");
  EXPECT_EQ(history.signals(0).case_id(), "c-17");
}

TEST_F(MotivationKeysServiceTest, APlateauIsDetectedAfterTheConfiguredPeriods) {
  person("ana", "east");
  pb::RecordAttainmentRequest r;
  r.set_person_id("ana");
  r.set_target(100);
  for (const char* period : {"2026-01", "2026-02", "2026-03"}) {
    r.set_period(period);
    r.set_attainment(101);
    EXPECT_FALSE(client_.ok<pb::PlateauStatus>("RecordAttainment", r).plateau()) << period;
  }
  r.set_period("2026-04");
  r.set_attainment(99);
  EXPECT_TRUE(client_.ok<pb::PlateauStatus>("RecordAttainment", r).plateau());
  EXPECT_EQ(t_.events("motivation_keys.plateau_detected").size(), 1u);
}

TEST_F(MotivationKeysServiceTest, RefusedInputStoresNothing) {
  person("ana", "east");
  pb::RecordPulseRequest short_pulse;
  short_pulse.set_person_id("ana");
  short_pulse.add_answers(3);
  EXPECT_EQ(client_.call("RecordPulse", short_pulse).code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(pulse("nobody", 3, 3, 3, 3).code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_EQ(rate("ana", "acme", 7, 7, 7, 0).code, v1::STATUS_CODE_INVALID_ARGUMENT);
  pb::GetPulseHistoryRequest h;
  h.set_person_id("ana");
  EXPECT_EQ(client_.ok<pb::PulseHistory>("GetPulseHistory", h).pulses_size(), 0);
  pb::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id("acme");
  EXPECT_EQ(client_.call("GetTrust", g).code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_TRUE(t_.events().empty());
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
