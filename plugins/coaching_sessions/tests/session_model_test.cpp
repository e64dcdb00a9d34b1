// SPDX-License-Identifier: Apache-2.0
// The session model: cadences, the skills audit with its changes, the agenda (prep first), the
// language check against a corpus written for this project, the recurring-gap rule, and measures.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "coach/data_file.hpp"
#include "coaching_sessions_data.hpp"
#include "session_model.hpp"

namespace coach::coaching_sessions {
namespace {

pb::Lexicon builtin_lexicon() {
  return message_from_json<pb::Lexicon>(kLexiconJson, "built-in lexicon");
}
pb::SkillsAudit builtin_audit() {
  return message_from_json<pb::SkillsAudit>(kSkillsAuditJson, "built-in skills audit");
}

TEST(SessionModel, CadencesAreWeeklyFortnightlyOrDays) {
  EXPECT_EQ(cadence_days("weekly", 0), 7);
  EXPECT_EQ(cadence_days("fortnightly", 0), 14);
  EXPECT_EQ(cadence_days("", 10), 10);
  EXPECT_THROW(cadence_days("monthly", 0), Error);
  EXPECT_THROW(cadence_days("", 0), Error);
}

TEST(SessionModel, TheAuditScoresEachAreaWithItsChange) {
  const auto audit = builtin_audit();
  validate_audit(audit);
  google::protobuf::RepeatedField<std::int32_t> answers;
  for (int i = 0; i < audit.items_size(); ++i) answers.Add(i < 2 ? 2 : 4);  // prospecting low
  auto first = score_audit(audit, answers, {});
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0].area(), "prospecting");
  EXPECT_DOUBLE_EQ(first[0].score(), 2.0);
  EXPECT_FALSE(first[0].has_change());
  answers.Set(0, 4);
  auto second = score_audit(audit, answers, first);
  EXPECT_DOUBLE_EQ(second[0].score(), 3.0);
  EXPECT_DOUBLE_EQ(second[0].change(), 1.0);
  answers.RemoveLast();
  EXPECT_THROW(score_audit(audit, answers, {}), Error);
  answers.Add(6);
  try {
    score_audit(audit, answers, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prep.audit_answers[16]: 6 is outside 1..5"),
              std::string::npos)
        << e.what();
  }
}

TEST(SessionModel, TheAgendaStartsWithThePrepThenCarriedItemsThenSignals) {
  pb::Session s;
  s.set_session_id("carl~ana.2");
  s.set_prep_submitted(true);
  auto* f = s.mutable_prep()->add_figures();
  f->set_name("revenue");
  f->set_this_period(95);
  f->set_previous_period(100);
  f->set_change(-5);
  s.mutable_prep()->set_focus("two new accounts in the north");
  pb::ActionItem item;
  item.set_item_id("s1-1");
  item.set_origin_session_id("carl~ana.1");
  item.set_text("practise the pricing objection");
  item.set_owner(pb::ITEM_OWNER_SALESPERSON);
  item.set_due_ms(1000);
  pb::Signal trust;
  trust.set_kind("trust_dropped");
  trust.set_summary("Trust with acme dropped from 6 to 3");
  auto agenda = build_agenda(s, "ana", {item}, {trust}, 2000);
  ASSERT_EQ(agenda.items_size(), 4);
  EXPECT_EQ(agenda.items(0).source(), "prep");
  EXPECT_EQ(agenda.items(0).details(0), "revenue: 95 (previous period 100, -5)");
  EXPECT_EQ(agenda.items(1).title(), "Their focus for the coming period");
  EXPECT_EQ(agenda.items(2).source(), "carried_item");
  EXPECT_EQ(agenda.items(2).title(),
            "Carried over from carl~ana.1: practise the pricing objection");
  EXPECT_EQ(agenda.items(2).details(0), "owner: salesperson; overdue");
  EXPECT_EQ(agenda.items(3).source(), "signal");
  EXPECT_EQ(agenda.items(3).ref(), "trust_dropped");

  s.set_prep_submitted(false);
  EXPECT_EQ(build_agenda(s, "ana", {}, {}, 0).items(0).source(), "no_prep");
}

TEST(SessionModel, TellingSentencesGetAReasonAndAQuestionToAskInstead) {
  LanguageChecker checker(builtin_lexicon(), {});
  auto r = checker.check(
      "You need to call three new prospects. What would make the biggest difference?\n"
      "Send the proposal today!");
  EXPECT_EQ(r.sentences(), 3);
  EXPECT_EQ(r.questions(), 1);
  EXPECT_EQ(r.directives(), 2);
  ASSERT_EQ(r.telling_size(), 2);
  EXPECT_EQ(r.telling(0).reason(), "a directive: 'you need to'");
  EXPECT_EQ(r.telling(0).suggested_question(), "What would help you call three new prospects?");
  EXPECT_EQ(r.telling(1).suggested_question(), "What would it take to send the proposal today?");
  EXPECT_EQ(r.verdict(), "telling");
  auto engaging = checker.check("What options do you see? How can I help you with the plan?");
  EXPECT_EQ(engaging.verdict(), "engaging");
  EXPECT_DOUBLE_EQ(engaging.question_share(), 1.0);
}

// Precision and recall of "telling" on the corpus written for this project.
TEST(SessionModel, LanguageCheckCorpusPrecisionAndRecall) {
  LanguageChecker checker(builtin_lexicon(), {});
  std::ifstream in(COACHING_SESSIONS_DIR "/tests/language_corpus.tsv");
  ASSERT_TRUE(in) << "corpus missing";
  int tp = 0, fp = 0, fn = 0, tn = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    const bool tell = line.substr(0, tab) == "tell";
    const bool flagged = checker.check(line.substr(tab + 1)).directives() > 0;
    if (tell && flagged) ++tp;
    if (!tell && flagged) ++fp, ADD_FAILURE() << "flagged as telling: " << line;
    if (tell && !flagged) ++fn, ADD_FAILURE() << "missed: " << line;
    if (!tell && !flagged) ++tn;
  }
  const double precision = tp + fp ? static_cast<double>(tp) / (tp + fp) : 0;
  const double recall = tp + fn ? static_cast<double>(tp) / (tp + fn) : 0;
  std::printf("language check on %d sentences: precision %.3f, recall %.3f\n", tp + fp + fn + tn,
              precision, recall);
  EXPECT_GE(tp + fn, 30);
  EXPECT_GE(precision, 0.9);
  EXPECT_GE(recall, 0.9);
}

pb::Session held(const std::string& id, double prospecting, std::vector<std::string> themes) {
  pb::Session s;
  s.set_session_id(id);
  auto* a = s.mutable_prep()->add_audit();
  a->set_area("prospecting");
  a->set_score(prospecting);
  for (auto& t : themes) s.add_themes(t);
  return s;
}

TEST(SessionModel, AGapReturningWithoutImprovingIsRecurring) {
  std::vector<pb::Session> sessions{
      held("r.1", 2.0, {"skill:prospecting"}), held("r.2", 3.0, {}),
      held("r.3", 2.0, {"skill:prospecting", "signal:trust_dropped"}),
      held("r.4", 1.5, {"skill:prospecting", "signal:trust_dropped"})};
  auto found = recurring_themes(sessions, 3, 4);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].theme, "skill:prospecting");
  EXPECT_EQ(found[0].evidence.size(), 3u);
  EXPECT_EQ(found[0].evidence[0], "session r.1: prospecting scored 2");
  // Improving since it first appeared is not a band-aid.
  sessions[3] = held("r.4", 2.5, {"skill:prospecting"});
  EXPECT_TRUE(recurring_themes(sessions, 3, 4).empty());
  // Outside the window it does not count.
  EXPECT_TRUE(recurring_themes(sessions, 3, 2).empty());
}

TEST(SessionModel, MeasuresCountHeldRepLedItemsLanguageAndTalk) {
  std::vector<pb::SessionFacts> facts(3);
  for (int i = 0; i < 3; ++i) facts[i].set_planned_ms((i + 1) * 7 * kDayMs);
  facts[0].set_held(true);
  facts[0].set_prep_submitted(true);
  facts[0].set_has_language(true);
  facts[0].set_question_share(0.8);
  facts[0].set_solution_share(1.0);
  facts[0].set_coach_seconds(600);
  facts[0].set_salesperson_seconds(1800);
  facts[0].set_duration_minutes(45);
  facts[0].set_action_items(2);
  facts[0].set_action_items_done(1);
  facts[1].set_held(true);
  facts[1].set_has_language(true);
  facts[1].set_question_share(0.4);
  facts[1].set_solution_share(0.5);
  facts[1].set_coach_seconds(1800);
  facts[1].set_salesperson_seconds(600);
  facts[1].set_duration_minutes(45);
  facts[1].set_coach_led(true);
  auto m = measures_of(facts, 0, 0);
  EXPECT_EQ(m.sessions_planned(), 3);
  EXPECT_EQ(m.sessions_held(), 2);
  EXPECT_DOUBLE_EQ(m.held_share(), 0.667);
  EXPECT_DOUBLE_EQ(m.rep_led_share(), 0.5);
  EXPECT_DOUBLE_EQ(m.question_share(), 0.6);
  EXPECT_DOUBLE_EQ(m.coach_talk_share(), 0.5);
  EXPECT_EQ(m.coach_led_sessions(), 1);
  EXPECT_DOUBLE_EQ(m.action_items_done_share(), 0.5);
  EXPECT_EQ(measures_of(facts, 8 * kDayMs, 0).sessions_planned(), 2);
}

}  // namespace
}  // namespace coach::coaching_sessions
