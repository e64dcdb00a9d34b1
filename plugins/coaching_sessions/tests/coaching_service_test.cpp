// SPDX-License-Identifier: Apache-2.0
// coaching_sessions in-process, through coach/testing.hpp's manual clock and captured events and
// schedules: a relationship's weekly sessions with the salesperson's prep, the agenda with signals
// from other plugins, the four steps with action items carried forward, reminders and nudges, the
// outside perspective after a recurring gap, measures, and refused input.
#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include <chrono>

#include "plugin_client.hpp"
#include "session_model.hpp"

namespace coach::coaching_sessions {
namespace {

using namespace std::chrono_literals;
using testing::InProcessClient;
using testing::Reply;

const std::string kRel = "carl~ana";

class CoachingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.start();
    audit_ = client_.ok<pb::SkillsAudit>("GetSkillsAudit", pb::GetSkillsAuditRequest());
    pb::StartRelationshipRequest r;
    r.set_coach_id("carl");
    r.set_salesperson_id("ana");
    r.set_coach_role(pb::COACH_ROLE_MANAGER);
    r.set_team_id("north");
    r.set_cadence("weekly");
    rel_ = client_.ok<pb::Relationship>("StartRelationship", r);
  }

  // A prep whose audit scores prospecting at `prospecting` and everything else at 4.
  Reply prep(int prospecting, const std::string& by = "ana") {
    pb::SubmitPrepRequest r;
    r.set_relationship_id(kRel);
    r.set_submitted_by(by);
    auto* p = r.mutable_prep();
    auto* f = p->add_figures();
    f->set_name("new revenue");
    f->set_this_period(95'000);
    f->set_previous_period(100'000);
    for (const auto& item : audit_.items())
      p->add_audit_answers(item.area() == "prospecting" ? prospecting : 4);
    p->add_gaps("too few first meetings");
    p->add_internal_factors("two weeks on a tender");
    p->add_external_factors("a competitor cut prices");
    p->set_focus("book four first meetings in the north");
    p->add_upskilling("read about discovery questions");
    p->add_keep("weekly account reviews");
    p->add_drop("cold email blasts");
    p->add_create("a referral ask after each delivery");
    return client_.call("SubmitPrep", r);
  }
  pb::RecordSessionRequest session(std::vector<std::string> done = {}) {
    pb::RecordSessionRequest r;
    r.set_relationship_id(kRel);
    r.mutable_steps()->set_acknowledge("New revenue is 5 % below last month; you named why.");
    r.mutable_steps()->set_explore("What was different this month?");
    r.mutable_steps()->set_plan("Four first meetings; referral asks after deliveries.");
    r.mutable_steps()->set_offer_help("I will introduce you to the north region's partner.");
    r.add_coach_questions("What was different this month compared with last month?");
    r.add_coach_questions("Which of these factors can you influence?");
    r.add_coach_questions("How can I help you get there?");
    r.mutable_talk()->set_coach_seconds(600);
    r.mutable_talk()->set_salesperson_seconds(1500);
    r.set_duration_minutes(40);
    auto* item = r.add_action_items();
    item->set_text("book four first meetings");
    item->set_owner(pb::ITEM_OWNER_SALESPERSON);
    item->set_due_ms(t_.now_ms() + 6 * kDayMs);
    for (const auto& id : done) r.add_items_done(id);
    return r;
  }
  pb::Agenda agenda() {
    pb::GetAgendaRequest r;
    r.set_relationship_id(kRel);
    return client_.ok<pb::Agenda>("GetAgenda", r);
  }
  void trust_dropped() {
    google::protobuf::Struct e;
    auto set = [&](const char* k, const char* v) { (*e.mutable_fields())[k].set_string_value(v); };
    set("salesperson_id", "ana");
    set("account_id", "acme");
    set("role", "RATER_ROLE_CUSTOMER");
    set("previous", "6");
    set("current", "3");
    set("drop", "3");
    t_.deliver("motivation_keys.trust_dropped", e);
  }
  // To the session's time.
  void to_session() {
    t_.set_now(std::chrono::system_clock::time_point(std::chrono::milliseconds(
        client_.ok<pb::Relationship>("GetRelationship", rel_request()).next_session_ms())));
  }
  pb::GetRelationshipRequest rel_request() {
    pb::GetRelationshipRequest r;
    r.set_relationship_id(kRel);
    return r;
  }

  coach::testing::TestContext t_;
  InProcessClient client_{t_};
  pb::SkillsAudit audit_;
  pb::Relationship rel_;
};

TEST_F(CoachingServiceTest, TheSalespersonPreparesAndTheAgendaStartsWithTheirPrep) {
  EXPECT_EQ(rel_.relationship_id(), kRel);
  EXPECT_EQ(rel_.cadence_days(), 7);
  EXPECT_EQ(t_.events("coaching_sessions.session_scheduled").size(), 1u);
  // The reminder to prepare fires a day before the session.
  t_.advance(6 * 24h + 1h);
  t_.fire_due();
  auto reminders = t_.events("coaching_sessions.prep_reminder");
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].as<pb::PrepReminder>().salesperson_id(), "ana");

  auto submitted = prep(2);
  ASSERT_EQ(submitted.code, v1::STATUS_CODE_OK) << submitted.message;
  auto p = submitted.as<pb::Prep>();
  EXPECT_DOUBLE_EQ(p.figures(0).change(), -5'000);
  EXPECT_EQ(p.audit(0).area(), "prospecting");
  trust_dropped();
  auto a = agenda();
  EXPECT_TRUE(a.prep_submitted());
  EXPECT_EQ(a.items(0).title(), "ana's results, in their own figures");
  EXPECT_EQ(a.items(1).title(), "Their skills self-audit, weakest first");
  EXPECT_EQ(a.items(1).details(0), "prospecting: 2");
  EXPECT_EQ(a.items().rbegin()->source(), "signal");
  EXPECT_EQ(a.items().rbegin()->title(), "Trust with acme dropped from 6 to 3");
}

TEST_F(CoachingServiceTest, TheCoachsFourStepsAreRecordedAndOpenItemsCarryForward) {
  prep(3);
  to_session();
  auto held = client_.ok<pb::Session>("RecordSession", session());
  EXPECT_EQ(held.state(), pb::SESSION_STATE_HELD);
  EXPECT_TRUE(held.prep_submitted());
  EXPECT_FALSE(held.coach_led());
  EXPECT_EQ(held.language().verdict(), "engaging") << held.language().DebugString();
  ASSERT_EQ(held.action_items_size(), 1);
  EXPECT_EQ(held.action_items(0).item_id(), "s1-1");
  EXPECT_EQ(t_.events("coaching_sessions.session_held").size(), 1u);
  auto rel = client_.ok<pb::Relationship>("GetRelationship", rel_request());
  EXPECT_EQ(rel.sessions_held(), 1);
  EXPECT_EQ(rel.next_session_id(), kRel + ".2");

  // The item is still open at the next session: it carries over, linked to where it began.
  to_session();
  auto next = agenda();
  EXPECT_EQ(next.items(0).source(), "no_prep");
  ASSERT_GE(next.items_size(), 2);
  EXPECT_EQ(next.items(1).title(), "Carried over from carl~ana.1: book four first meetings");
  auto second = client_.ok<pb::Session>("RecordSession", session({"s1-1"}));
  EXPECT_FALSE(second.prep_submitted()) << "held without prep, recorded as such";
  pb::MeasuresRequest m;
  m.set_coach_id("carl");
  auto measures = client_.ok<pb::CoachingMeasures>("GetMeasures", m);
  EXPECT_EQ(measures.sessions_held(), 2);
  EXPECT_EQ(measures.sessions_planned(), 3);
  EXPECT_DOUBLE_EQ(measures.rep_led_share(), 0.5);
  EXPECT_NEAR(measures.coach_talk_share(), 0.286, 1e-9);
  EXPECT_EQ(measures.action_items(), 2);
  EXPECT_EQ(measures.action_items_done(), 1) << "s1-1, closed in the second session";
  pb::UpdateActionItemRequest drop;
  drop.set_relationship_id(kRel);
  drop.set_item_id("s2-1");
  drop.set_state(pb::ITEM_STATE_DONE);
  EXPECT_EQ(client_.ok<pb::ActionItem>("UpdateActionItem", drop).state(), pb::ITEM_STATE_DONE);
  EXPECT_EQ(client_.ok<pb::CoachingMeasures>("GetMeasures", m).action_items_done(), 2);
  EXPECT_EQ(client_.call("UpdateActionItem", drop).code, v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(agenda().items_size(), 1) << "no open item left to carry";
}

TEST_F(CoachingServiceTest, ASessionNotHeldNudgesTheCoachAndAnItemPastItsDateIsOverdue) {
  to_session();
  t_.advance(25h);
  t_.fire_due();
  auto nudges = t_.events("coaching_sessions.session_overdue");
  ASSERT_EQ(nudges.size(), 1u);
  EXPECT_EQ(nudges[0].as<pb::SessionOverdue>().coach_id(), "carl");
  auto rel = client_.ok<pb::Relationship>("GetRelationship", rel_request());
  EXPECT_EQ(rel.next_session_id(), kRel + ".2") << "the next session is planned";
  to_session();
  client_.ok<pb::Session>("RecordSession", session());
  t_.advance(7 * 24h);
  t_.fire_due();
  auto overdue = t_.events("coaching_sessions.action_item_overdue");
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].as<pb::ActionItemOverdue>().item().text(), "book four first meetings");
}

TEST_F(CoachingServiceTest, TellingIsFlaggedAndACoachWhoTalksMostLedTheSession) {
  to_session();
  auto r = session();
  r.clear_coach_questions();
  r.set_coach_notes("You need to make more calls. The problem is your pipeline is behind.");
  r.mutable_talk()->set_coach_seconds(2000);
  auto held = client_.ok<pb::Session>("RecordSession", r);
  EXPECT_TRUE(held.coach_led());
  EXPECT_EQ(held.language().verdict(), "telling");
  ASSERT_GE(held.language().telling_size(), 1);
  EXPECT_EQ(held.language().telling(0).suggested_question(),
            "What would help you make more calls?");
}

TEST_F(CoachingServiceTest, TheSameGapThreeSessionsRunningSuggestsAnOutsidePerspective) {
  for (int week = 0; week < 3; ++week) {
    ASSERT_EQ(prep(2).code, v1::STATUS_CODE_OK);
    to_session();
    client_.ok<pb::Session>("RecordSession", session());
  }
  auto suggested = t_.events("coaching_sessions.outside_perspective_suggested");
  ASSERT_EQ(suggested.size(), 1u);
  auto e = suggested[0].as<pb::OutsidePerspectiveSuggested>();
  EXPECT_EQ(e.theme(), "skill:prospecting");
  EXPECT_EQ(e.evidence_size(), 3);
  // Not again in the next session of the same window.
  ASSERT_EQ(prep(2).code, v1::STATUS_CODE_OK);
  to_session();
  client_.ok<pb::Session>("RecordSession", session());
  EXPECT_EQ(t_.events("coaching_sessions.outside_perspective_suggested").size(), 1u);
}

TEST_F(CoachingServiceTest, BadInputNamesTheFieldAndStoresNothing) {
  EXPECT_EQ(prep(3, "carl").code, v1::STATUS_CODE_INVALID_ARGUMENT) << "the coach fills no prep";
  pb::RecordSessionRequest no_owner = session();
  no_owner.mutable_action_items(0)->set_owner(pb::ITEM_OWNER_UNSPECIFIED);
  auto r = client_.call("RecordSession", no_owner);
  EXPECT_EQ(r.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("action_items[0].owner"), std::string::npos) << r.message;
  pb::RecordSessionRequest no_due = session();
  no_due.mutable_action_items(0)->set_due_ms(0);
  EXPECT_NE(client_.call("RecordSession", no_due).message.find("action_items[0].due_ms"),
            std::string::npos);
  pb::GetAgendaRequest unknown;
  unknown.set_relationship_id("nobody~ana");
  EXPECT_EQ(client_.call("GetAgenda", unknown).code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_FALSE(agenda().prep_submitted());
  pb::StartRelationshipRequest again;
  again.set_coach_id("carl");
  again.set_salesperson_id("ana");
  again.set_coach_role(pb::COACH_ROLE_PEER);
  again.set_cadence("weekly");
  EXPECT_EQ(client_.call("StartRelationship", again).code, v1::STATUS_CODE_FAILED_PRECONDITION);
  again.set_salesperson_id("ben");
  again.set_cadence("monthly");
  EXPECT_NE(client_.call("StartRelationship", again).message.find("cadence"), std::string::npos);
  EXPECT_EQ(t_.events("coaching_sessions.session_held").size(), 0u);
  EXPECT_THROW(
      coach::testing::TestContext({{"recurrence.times", "5"}, {"recurrence.window", "3"}}).start(),
      coach::Error);
}

TEST_F(CoachingServiceTest, EverySignalKindReachesTheAgendaWithItsEvidence) {
  auto field = [](google::protobuf::Struct& s, const std::string& k) -> google::protobuf::Value& {
    return (*s.mutable_fields())[k];
  };
  google::protobuf::Struct crisis;
  field(crisis, "person_id").set_string_value("ana");
  field(crisis, "evidence")
      .mutable_list_value()
      ->add_values()
      ->set_string_value("Perform rose from 2.00 to 4.00");
  t_.deliver("motivation_keys.crisis_push_risk", crisis);
  google::protobuf::Struct plateau;
  auto& status = *field(plateau, "status").mutable_struct_value();
  field(status, "person_id").set_string_value("ana");
  field(status, "evidence").set_string_value("4 periods within 5 % of 100");
  t_.deliver("motivation_keys.plateau_detected", plateau);
  for (const char* weakest : {"KEY_ENGAGE", "KEY_ENJOY"}) {  // only the latest counts
    google::protobuf::Struct pulse;
    auto& p = *field(pulse, "pulse").mutable_struct_value();
    field(p, "person_id").set_string_value("ana");
    field(p, "weakest").set_string_value(weakest);
    t_.deliver("motivation_keys.pulse_recorded", pulse);
  }
  google::protobuf::Struct risk;
  field(risk, "account_id").set_string_value("globex");
  field(risk, "salesperson_id").set_string_value("ana");
  field(risk, "evidence")
      .mutable_list_value()
      ->add_values()
      ->set_string_value("case c7 reopened 2 times");
  t_.deliver("service_followup.account_at_risk", risk);
  // Ana is a Driver; a customer estimated Amiable is opposite on both axes.
  google::protobuf::Struct profile;
  auto& prof = *field(profile, "profile").mutable_struct_value();
  field(*field(prof, "person").mutable_struct_value(), "person_id").set_string_value("ana");
  field(*field(prof, "effective").mutable_struct_value(), "quadrant")
      .set_string_value("QUADRANT_TELLS_CONTROLS");
  t_.deliver("behavior_styles.profile_updated", profile);
  google::protobuf::Struct estimate;
  auto& est = *field(estimate, "estimate").mutable_struct_value();
  field(est, "salesperson_id").set_string_value("ana");
  field(est, "account_id").set_string_value("initech");
  auto& style = *field(est, "style").mutable_struct_value();
  field(style, "quadrant").set_string_value("QUADRANT_ASKS_EMOTES");
  field(style, "name").set_string_value("Amiable");
  t_.deliver("behavior_styles.customer_style_estimated", estimate);
  // Another salesperson's signal stays off Ana's agenda.
  field(risk, "salesperson_id").set_string_value("ben");
  t_.deliver("service_followup.account_at_risk", risk);

  std::map<std::string, pb::AgendaItem> signals;
  const auto current = agenda();
  for (const auto& item : current.items())
    if (item.source() == "signal") signals[item.ref()] = item;
  ASSERT_EQ(signals.size(), 5u);
  EXPECT_EQ(signals["crisis_push_risk"].details(0), "Perform rose from 2.00 to 4.00");
  EXPECT_EQ(signals["plateau_detected"].details(0), "4 periods within 5 % of 100");
  EXPECT_EQ(signals["weakest_key"].title(), "Weakest motivation key in the latest pulse: Enjoy");
  EXPECT_EQ(signals["account_at_risk"].title(), "Account globex is at risk after the sale");
  EXPECT_EQ(signals["hardest_pairing"].title(),
            "Hardest pairing with initech: the customer's style (Amiable) is opposite on both "
            "axes");
}

TEST_F(CoachingServiceTest, PrepForASessionAlreadyHeldIsRefused) {
  to_session();
  client_.ok<pb::Session>("RecordSession", session());
  pb::SubmitPrepRequest late;
  late.set_relationship_id(kRel);
  late.set_submitted_by("ana");
  late.set_session_id(kRel + ".1");
  auto r = client_.call("SubmitPrep", late);
  EXPECT_EQ(r.code, v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_NE(r.message.find("already held"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace coach::coaching_sessions

namespace coach::coaching_sessions {
namespace {

TEST(CoachingDirectory, WhatARelationshipLeavesOutComesFromThePeopleDirectory) {
  coach::testing::TestContext t;
  t.start();
  t.directory().put({"bo", "Bo Lind", "", "west", Roles{Role::kSalesperson}, "carl", ""});
  pb::StartRelationshipRequest r;
  r.set_coach_id("carl");
  r.set_salesperson_id("bo");
  r.set_coach_role(pb::COACH_ROLE_MANAGER);
  r.set_cadence("weekly");
  const auto rel = t.call<pb::Relationship>("StartRelationship", r);
  EXPECT_EQ(rel.team_id(), "west");
  EXPECT_EQ(rel.salesperson_name(), "Bo Lind");
  // Someone not in the directory keeps what the request says.
  r.set_salesperson_id("cy");
  EXPECT_EQ(t.call<pb::Relationship>("StartRelationship", r).team_id(), "");
}

}  // namespace
}  // namespace coach::coaching_sessions
