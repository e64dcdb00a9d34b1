// SPDX-License-Identifier: Apache-2.0
// coaching_sessions in a real coachd on a test clock, beside motivation_keys and service_followup:
// a month of weekly sessions with the salesperson's prep, signals from the other plugins arriving
// over the bus onto the agenda, a reminder to prepare, a session not held nudging the coach, an
// item carried over and then overdue, and an outside perspective after a recurring gap.
#include <gtest/gtest.h>

#include <thread>

#include "coach/v1/admin.pb.h"
#include "coach/v1/coaching_sessions.pb.h"
#include "coach/v1/motivation_keys.pb.h"
#include "coach/v1/service_followup.pb.h"
#include "daemon_process.hpp"
#include "event_listener.hpp"
#include "plugin_client.hpp"

namespace coach::coaching_sessions {
namespace {

namespace pb = coach::v1::coaching_sessions;
namespace mk = coach::v1::motivation_keys;
namespace sf = coach::v1::service_followup;
using testing::DaemonProcess;
using testing::EventListener;
using testing::PluginClient;
using namespace std::chrono_literals;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
const std::string kRel = "carl~ana";

class CoachingSessionsDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.set_sections(daemon_.default_sections() +
                         "deployment: test\nscheduler:\n  clock: test\n  poll_ms: 100\n");
    daemon_.start();
    cs_ = std::make_unique<PluginClient>(daemon_.request_endpoint(), "coaching_sessions");
    mk_ = std::make_unique<PluginClient>(daemon_.request_endpoint(), "motivation_keys");
    events_ = std::make_unique<EventListener>(daemon_.event_endpoint(), "coaching_sessions.");
    audit_ = cs_->ok<pb::SkillsAudit>("GetSkillsAudit", pb::GetSkillsAuditRequest());
  }

  void advance(std::int64_t ms) {
    v1::AdvanceClockRequest r;
    r.set_by_ms(ms);
    auto reply = cs_->call("AdvanceClock", r, "coachd");
    ASSERT_EQ(reply.code, v1::STATUS_CODE_OK) << reply.message;
    now_ms_ = reply.as<v1::AdvanceClockReply>().now_ms();
  }
  std::int64_t next_session_ms() {
    pb::GetRelationshipRequest r;
    r.set_relationship_id(kRel);
    return cs_->ok<pb::Relationship>("GetRelationship", r).next_session_ms();
  }
  void to_session() {
    advance(0);
    advance(std::max<std::int64_t>(0, next_session_ms() - now_ms_));
  }
  void prep(int prospecting) {
    pb::SubmitPrepRequest r;
    r.set_relationship_id(kRel);
    r.set_submitted_by("ana");
    auto* f = r.mutable_prep()->add_figures();
    f->set_name("new revenue");
    f->set_this_period(95'000);
    f->set_previous_period(100'000);
    for (const auto& item : audit_.items())
      r.mutable_prep()->add_audit_answers(item.area() == "prospecting" ? prospecting : 4);
    r.mutable_prep()->set_focus("four first meetings in the north");
    cs_->ok<pb::Prep>("SubmitPrep", r);
  }
  pb::Session hold(bool with_item) {
    pb::RecordSessionRequest r;
    r.set_relationship_id(kRel);
    r.mutable_steps()->set_acknowledge("Revenue is 5 % down; you named why.");
    r.mutable_steps()->set_plan("Four first meetings.");
    r.add_coach_questions("What was different this month?");
    r.add_coach_questions("What can you influence?");
    r.mutable_talk()->set_coach_seconds(500);
    r.mutable_talk()->set_salesperson_seconds(1500);
    r.set_duration_minutes(40);
    if (with_item) {
      auto* item = r.add_action_items();
      item->set_text("book four first meetings");
      item->set_owner(pb::ITEM_OWNER_SALESPERSON);
      item->set_due_ms(now_ms_ + 10 * kDayMs);
    }
    return cs_->ok<pb::Session>("RecordSession", r);
  }
  pb::Agenda agenda() {
    pb::GetAgendaRequest r;
    r.set_relationship_id(kRel);
    return cs_->ok<pb::Agenda>("GetAgenda", r);
  }
  // Waits until the agenda shows a signal of kind (events travel over the bus).
  bool agenda_has_signal(const std::string& kind) {
    for (int i = 0; i < 60; ++i) {
      const auto current = agenda();
      for (const auto& item : current.items())
        if (item.source() == "signal" && item.ref() == kind) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  DaemonProcess daemon_{
      "  coaching_sessions: {}\n  motivation_keys: {}\n  service_followup: {}\n"
      "  behavior_styles: {}\n",
      "", "info"};
  std::unique_ptr<PluginClient> cs_, mk_;
  std::unique_ptr<EventListener> events_;
  pb::SkillsAudit audit_;
  std::int64_t now_ms_ = 0;
};

TEST_F(CoachingSessionsDaemonTest, AMonthOfWeeklySessions) {
  pb::StartRelationshipRequest start;
  start.set_coach_id("carl");
  start.set_salesperson_id("ana");
  start.set_coach_role(pb::COACH_ROLE_MANAGER);
  start.set_cadence("weekly");
  cs_->ok<pb::Relationship>("StartRelationship", start);
  EXPECT_EQ(events_->count("coaching_sessions.session_scheduled"), 1);

  // Week 1: reminded the day before, Ana prepares; a customer's trust fell meanwhile.
  advance(6 * kDayMs + kHourMs);
  ASSERT_EQ(events_->count("coaching_sessions.prep_reminder"), 1);
  prep(2);
  mk_->add_person({"ana", "Ana", "", "east", Roles{Role::kSalesperson}, "", ""});
  for (double s : {2.0, 4.0}) {
    mk::RateTrustRequest rate;
    rate.set_salesperson_id("ana");
    rate.set_account_id("acme");
    rate.set_role(mk::RATER_ROLE_CUSTOMER);
    rate.set_credibility(4);
    rate.set_reliability(4);
    rate.set_intimacy(4);
    rate.set_self_orientation(s);
    mk_->ok<mk::TrustAssessment>("RateTrust", rate);
  }
  ASSERT_TRUE(agenda_has_signal("trust_dropped")) << agenda().DebugString();
  // ... and a case on her account was reopened twice after the sale.
  PluginClient service(daemon_.request_endpoint(), "service_followup");
  sf::OpenCaseRequest open;
  open.set_case_id("c1");
  open.set_account_id("acme");
  open.set_salesperson_id("ana");
  open.set_agent_id("zoe");
  service.ok<sf::Case>("OpenCase", open);
  for (int i = 0; i < 2; ++i) {
    sf::SolveCaseRequest solve;
    solve.set_case_id("c1");
    solve.set_agent_id("zoe");
    solve.mutable_root_cause()->set_category("billing");
    solve.mutable_root_cause()->set_cause("old price list");
    solve.mutable_root_cause()->set_fix("corrected");
    service.ok<sf::Case>("SolveCase", solve);
    sf::CaseActionRequest reopen;
    reopen.set_case_id("c1");
    reopen.set_actor("customer");
    service.ok<sf::Case>("ReopenCase", reopen);
  }
  ASSERT_TRUE(agenda_has_signal("account_at_risk")) << agenda().DebugString();
  EXPECT_EQ(agenda().items(0).source(), "prep") << "the salesperson's prep comes first";
  to_session();
  auto first = hold(true);
  EXPECT_EQ(first.language().verdict(), "engaging");

  // Week 2: the session is not held; the coach is nudged a day later.
  to_session();
  advance(25 * kHourMs);
  ASSERT_EQ(events_->count("coaching_sessions.session_overdue"), 1);
  EXPECT_EQ(events_->all<pb::SessionOverdue>("coaching_sessions.session_overdue")[0].coach_id(),
            "carl");

  // Week 3: the item from week 1 carries over, then falls overdue.
  prep(2);
  auto third = agenda();
  bool carried = false;
  for (const auto& item : third.items())
    carried |= item.title() == "Carried over from carl~ana.1: book four first meetings";
  EXPECT_TRUE(carried) << third.DebugString();
  to_session();
  hold(false);
  ASSERT_EQ(events_->count("coaching_sessions.action_item_overdue"), 1);

  // Week 4: prospecting is a gap for the third held session running: an outside perspective.
  prep(2);
  to_session();
  hold(false);
  ASSERT_EQ(events_->count("coaching_sessions.outside_perspective_suggested"), 1);
  auto suggested = events_->all<pb::OutsidePerspectiveSuggested>(
      "coaching_sessions.outside_perspective_suggested")[0];
  EXPECT_EQ(suggested.theme(), "skill:prospecting");
  EXPECT_EQ(suggested.evidence_size(), 3);

  pb::MeasuresRequest m;
  m.set_coach_id("carl");
  auto measures = cs_->ok<pb::CoachingMeasures>("GetMeasures", m);
  EXPECT_EQ(measures.sessions_held(), 3);
  EXPECT_EQ(measures.sessions_planned(), 5);
  EXPECT_DOUBLE_EQ(measures.rep_led_share(), 1.0);
  auto csv =
      testing::run_command({COACHCTL_BIN, "-e", daemon_.request_endpoint(), "call",
                            "coaching_sessions", "GetMeasuresCsv", R"({"coach_id":"carl"})"});
  EXPECT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_NE(csv.output.find("coach carl,5,3"), std::string::npos) << csv.output;

  // Everything is in the store: a restart keeps the relationship, its sessions and items.
  cs_.reset();
  daemon_.signal(SIGTERM);
  ASSERT_EQ(daemon_.wait_exit(10s), 0);
  daemon_.start();
  cs_ = std::make_unique<PluginClient>(daemon_.request_endpoint(), "coaching_sessions");
  pb::GetRelationshipRequest get;
  get.set_relationship_id(kRel);
  EXPECT_EQ(cs_->ok<pb::Relationship>("GetRelationship", get).sessions_held(), 3);
  pb::ListSessionsRequest list;
  list.set_relationship_id(kRel);
  list.set_page_size(2);
  auto page = cs_->ok<pb::SessionList>("ListSessions", list);
  ASSERT_EQ(page.sessions_size(), 2);
  EXPECT_EQ(page.sessions(0).session_id(), kRel + ".5") << "newest first";
  EXPECT_FALSE(page.next_page_token().empty());
}

TEST(CoachingSessionsConfig, ALexiconThatDoesNotParseRefusesThePluginNamingTheFile) {
  testing::TempDir dir;
  testing::write_file(dir.file("lexicon.json"), "{not json");
  DaemonProcess d(
      "  coaching_sessions:\n    config:\n      lexicon_file: " + dir.file("lexicon.json") + "\n",
      "", "info");
  d.start();
  EXPECT_NE(d.log().find(dir.file("lexicon.json")), std::string::npos) << d.log();
  PluginClient c(d.request_endpoint(), "coaching_sessions");
  EXPECT_EQ(c.call("GetSkillsAudit", pb::GetSkillsAuditRequest()).code,
            v1::STATUS_CODE_PLUGIN_DISABLED);
}

}  // namespace
}  // namespace coach::coaching_sessions
