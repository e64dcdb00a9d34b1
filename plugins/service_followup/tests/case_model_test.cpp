// SPDX-License-Identifier: Apache-2.0
// The case lifecycle and the measures of resolution, without a daemon.
#include <gtest/gtest.h>

#include "case_model.hpp"
#include "plugin_client.hpp"

namespace coach::service_followup {
namespace {

using testing::error_code_of;

Rules rules() {
  Rules r;
  r.categories = {"billing", "product_defect"};
  return r;
}

pb::RootCause root(const std::string& category = "billing", bool confirmed = true) {
  pb::RootCause rc;
  rc.set_category(category);
  rc.set_cause("invoice used the old price list");
  rc.set_fix("price list updated, credit note sent");
  rc.set_customer_confirmed(confirmed);
  return rc;
}

pb::Case opened(std::int64_t at = 0) {
  pb::OpenCaseRequest r;
  r.set_case_id("c1");
  r.set_account_id("acme");
  r.set_salesperson_id("ana");
  r.set_agent_id("zoe");
  return open_case(r, at);
}

TEST(CaseModel, ContactsReopenPendingAndSolvedCasesButNotClosedOnes) {
  auto c = opened();
  EXPECT_EQ(customer_contact(c, "cust", 10), ContactOutcome::kRecorded);
  set_pending(c, "zoe", 20);
  EXPECT_EQ(customer_contact(c, "cust", 30), ContactOutcome::kReopened);
  EXPECT_EQ(c.state(), pb::CASE_STATE_OPEN);
  solve(c, "zoe", root(), 40, rules());
  EXPECT_EQ(customer_contact(c, "cust", 50), ContactOutcome::kReopened);
  EXPECT_EQ(c.reopens(), 2);
  solve(c, "zoe", root(), 60, rules());
  close(c, "zoe", 70, false);
  EXPECT_EQ(customer_contact(c, "cust", 80), ContactOutcome::kClosedCase);
  EXPECT_EQ(c.state(), pb::CASE_STATE_CLOSED) << "a closed case is never reopened";
}

TEST(CaseModel, SolvingNeedsAFullRootCauseFromTheTaxonomy) {
  auto c = opened();
  std::string msg;
  pb::RootCause partial = root();
  partial.clear_fix();
  EXPECT_EQ(error_code_of([&] { solve(c, "zoe", partial, 10, rules()); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("root_cause"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { solve(c, "zoe", root("weather"), 10, rules()); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("root_cause.category: 'weather' is not in the taxonomy"), std::string::npos)
      << msg;
  EXPECT_EQ(c.state(), pb::CASE_STATE_OPEN);
}

TEST(CaseModel, IllegalTransitionsAndTimeTravelAreRefused) {
  auto c = opened(100);
  std::string msg;
  EXPECT_EQ(error_code_of([&] { close(c, "zoe", 110, false); }, &msg),
            v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_NE(msg.find("cannot close case 'c1' while it is open"), std::string::npos) << msg;
  solve(c, "zoe", root(), 120, rules());
  close(c, "zoe", 130, false);
  EXPECT_EQ(error_code_of([&] { solve(c, "zoe", root(), 140, rules()); }, &msg),
            v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_code_of([&] { reopen(c, "zoe", 140); }), v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(error_code_of([&] { agent_reply(c, "zoe", 140); }),
            v1::STATUS_CODE_FAILED_PRECONDITION);
  auto d = opened(100);
  EXPECT_EQ(error_code_of([&] { agent_reply(d, "zoe", 50); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("at_ms: 50 is before the case's last event (100)"), std::string::npos) << msg;
}

TEST(CaseModel, ReopenCountIsTheLargerOfReopensAndSolvesMinusOneNeverTheSum) {
  auto c = opened();
  solve(c, "zoe", root(), 10, rules());
  reopen(c, "zoe", 20);
  solve(c, "zoe", root(), 30, rules());
  EXPECT_EQ(c.reopens(), 1);
  EXPECT_EQ(c.solves(), 2);
  EXPECT_EQ(reopen_count(c), 1);  // not 2
  c.set_solves(4);                // e.g. imported solves without explicit reopens
  EXPECT_EQ(reopen_count(c), 3);
}

TEST(CaseModel, DelaysAreBounded) {
  auto r = rules();
  r.close_after_ms = 30 * kDayMs;
  std::string msg;
  EXPECT_EQ(error_code_of([&] { validate_rules(r); }, &msg), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("close_after_hours"), std::string::npos);
  r.close_after_ms = kHourMs / 2;
  EXPECT_EQ(error_code_of([&] { validate_rules(r); }), v1::STATUS_CODE_INVALID_ARGUMENT);
  r.close_after_ms = kHourMs;
  EXPECT_EQ(error_code_of([&] { validate_rules(r); }), v1::STATUS_CODE_OK);
}

TEST(CaseModel, MeasuresOfResolution) {
  std::vector<pb::Case> cases;
  for (int i = 0; i < 10; ++i) {
    auto c = opened(0);
    c.set_case_id("c" + std::to_string(i));
    for (int r = 0; r < i % 3; ++r) agent_reply(c, "zoe", 1);  // 0, 1 or 2 replies
    solve(c, "zoe", root("billing", i % 2 == 0), (i + 1) * kHourMs, rules());
    cases.push_back(c);
  }
  cases[0].set_follow_up_of("old");
  reopen(cases[1], "zoe", 20 * kHourMs);
  solve(cases[1], "zoe", root(), 30 * kHourMs, rules());
  auto open_case_left = opened(0);
  cases.push_back(open_case_left);  // unresolved: counts as a case, not as resolved

  auto m = measures(cases);
  EXPECT_EQ(m.cases(), 11);
  EXPECT_EQ(m.resolved(), 10);
  EXPECT_EQ(m.one_touch(), 7);  // replies 0 or 1: i % 3 != 2
  EXPECT_EQ(m.reopens(), 1);
  EXPECT_EQ(m.repeat_contacts(), 1);
  EXPECT_DOUBLE_EQ(m.confirmed_root_cause_share(), 0.6);  // even i, and c1 solved again confirmed
  EXPECT_DOUBLE_EQ(m.first_resolution_median_h(), 5.0);   // 1..10 h, nearest rank
  EXPECT_DOUBLE_EQ(m.first_resolution_p90_h(), 9.0);
  EXPECT_DOUBLE_EQ(m.full_resolution_p90_h(), 10.0);  // c1's last solve at 30 h is the max
  EXPECT_DOUBLE_EQ(percentile(Counts{}, 0.5), 0.0);
}

TEST(CaseModel, DailyAggregatesGiveTheSameMeasuresToThreeSignificantFigures) {
  std::vector<pb::Case> cases;
  pb::DayMeasures day;
  for (int i = 0; i < 50; ++i) {
    auto c = opened(0);
    c.set_case_id("c" + std::to_string(i));
    if (i % 4 != 3) solve(c, "zoe", root("billing", i % 2 == 0), (i + 1) * 1234567, rules());
    cases.push_back(c);
    fold(day, facts_of(c), 1);
  }
  // A case changes: its old facts come out, its new ones go in.
  const auto before = facts_of(cases[3]);
  solve(cases[3], "zoe", root(), 7 * kHourMs, rules());
  fold(day, before, -1);
  fold(day, facts_of(cases[3]), 1);
  MeasuresAccumulator acc;
  acc.add(day);
  const auto from_days = acc.result();
  const auto exact = measures(cases);
  EXPECT_EQ(from_days.cases(), exact.cases());
  EXPECT_EQ(from_days.resolved(), exact.resolved());
  EXPECT_EQ(from_days.one_touch(), exact.one_touch());
  EXPECT_DOUBLE_EQ(from_days.confirmed_root_cause_share(), exact.confirmed_root_cause_share());
  EXPECT_NEAR(from_days.first_resolution_median_h(), exact.first_resolution_median_h(),
              exact.first_resolution_median_h() * 0.005);
  EXPECT_NEAR(from_days.full_resolution_p90_h(), exact.full_resolution_p90_h(),
              exact.full_resolution_p90_h() * 0.005);
  EXPECT_EQ(round_resolution_ms(2 * kHourMs + 15'000), 2 * kHourMs);
  EXPECT_EQ(round_resolution_ms(37 * kHourMs + kHourMs / 4), 37'300 * kHourMs / 1000);
  EXPECT_EQ(round_resolution_ms(0), 0);
}

TEST(CaseModel, ConsequencesApplyInEventTimeAndOnce) {
  auto r = rules();  // close after 4 days, check-in after 1
  auto c = opened(0);
  solve(c, "zoe", root(), kHourMs, r);
  c.set_auto_close_entry(11);
  c.set_check_in_entry(12);
  std::vector<std::int64_t> done;
  EXPECT_TRUE(apply_due(c, 10 * kHourMs, done).empty()) << "nothing is due yet";
  // Five days later: the check-in (25 h) first, then the auto-close (97 h), each at its time.
  auto applied = apply_due(c, 5 * kDayMs, done);
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].kind, Applied::Kind::kCheckIn);
  EXPECT_EQ(applied[0].due_ms, 25 * kHourMs);
  EXPECT_EQ(applied[1].kind, Applied::Kind::kAutoClose);
  EXPECT_EQ(c.state(), pb::CASE_STATE_CLOSED);
  EXPECT_EQ(c.closed_ms(), 97 * kHourMs);
  EXPECT_EQ(c.last_event_ms(), 97 * kHourMs);
  EXPECT_EQ(done, (std::vector<std::int64_t>{12, 11}));
  EXPECT_TRUE(apply_due(c, 10 * kDayMs, done).empty()) << "applied twice";

  // A reopen before the auto-close falls due cancels it: nothing applies later.
  auto d = opened(0);
  solve(d, "zoe", root(), kHourMs, r);
  EXPECT_EQ(customer_contact(d, "cust", 2 * kHourMs), ContactOutcome::kReopened);
  clear_follow_ups(d);
  EXPECT_TRUE(apply_due(d, 30 * kDayMs, done).empty());
  EXPECT_EQ(d.state(), pb::CASE_STATE_OPEN);
}

}  // namespace
}  // namespace coach::service_followup
