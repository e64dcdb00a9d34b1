// SPDX-License-Identifier: Apache-2.0
// service_followup's services in-process, through coach/testing.hpp's manual clock and captured
// events and schedules: a case's life with its follow-ups, repeat contacts, accounts at risk, an
// imported history settling, and refused input, in milliseconds.
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include <chrono>

#include "case_model.hpp"
#include "plugin_client.hpp"

namespace coach::service_followup {
namespace {

using namespace std::chrono_literals;
using testing::InProcessClient;

class CaseServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { t_.start(); }

  pb::Case open(const std::string& id, const std::string& account = "acme") {
    pb::OpenCaseRequest r;
    r.set_case_id(id);
    r.set_account_id(account);
    r.set_salesperson_id("sam");
    r.set_agent_id("zoe");
    r.set_team_id("desk");
    return client_.ok<pb::Case>("OpenCase", r);
  }
  static pb::SolveCaseRequest solve_request(const std::string& id,
                                            const std::string& category = "billing") {
    pb::SolveCaseRequest r;
    r.set_case_id(id);
    r.set_agent_id("zoe");
    r.mutable_root_cause()->set_category(category);
    r.mutable_root_cause()->set_cause("price list not updated");
    r.mutable_root_cause()->set_fix("price list corrected");
    return r;
  }
  pb::Case solve(const std::string& id) {
    return client_.ok<pb::Case>("SolveCase", solve_request(id));
  }
  testing::Reply act(const std::string& method, const std::string& id, std::int64_t at_ms = 0) {
    pb::CaseActionRequest r;
    r.set_case_id(id);
    r.set_actor("someone");
    r.set_at_ms(at_ms);
    return client_.call(method, r);
  }
  pb::CaseActionRequest action(const std::string& id) {
    pb::CaseActionRequest r;
    r.set_case_id(id);
    r.set_actor("customer");
    return r;
  }
  pb::Case get(const std::string& id) {
    pb::GetCaseRequest r;
    r.set_case_id(id);
    return client_.ok<pb::Case>("GetCase", r);
  }

  coach::testing::TestContext t_;
  InProcessClient client_{t_};
};

TEST_F(CaseServiceTest, ASolveSchedulesTheCheckInAndTheAutoCloseWhichFireOnTime) {
  open("c1");
  solve("c1");
  EXPECT_EQ(t_.pending("service_followup.check_in").size(), 1u);
  EXPECT_EQ(t_.pending("service_followup.auto_close").size(), 1u);

  t_.advance(23h);
  EXPECT_EQ(t_.fire_due(), 0);
  t_.advance(2h);
  EXPECT_EQ(t_.fire_due(), 1);
  auto due = t_.events("service_followup.follow_up_due");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].as<pb::FollowUpDue>().kind(), "satisfaction_check_in");
  EXPECT_EQ(due[0].as<pb::FollowUpDue>().salesperson_id(), "sam");
  EXPECT_EQ(get("c1").state(), pb::CASE_STATE_SOLVED);

  t_.advance(96h);
  EXPECT_EQ(t_.fire_due(), 1);
  EXPECT_EQ(get("c1").state(), pb::CASE_STATE_CLOSED);
  ASSERT_EQ(t_.events("service_followup.case_closed").size(), 1u);
  EXPECT_EQ(t_.events("service_followup.case_closed")[0].as<pb::CaseClosed>().closed_by(), "auto");
  EXPECT_TRUE(t_.pending().empty());
}

TEST_F(CaseServiceTest, ReopeningCancelsTheFollowUpsAndTwoReopensPutTheAccountAtRisk) {
  open("c1");
  solve("c1");
  ASSERT_EQ(client_.ok<pb::Case>("ReopenCase", action("c1")).state(), pb::CASE_STATE_OPEN);
  EXPECT_TRUE(t_.pending().empty()) << "the reopened case's follow-ups were cancelled";
  EXPECT_TRUE(t_.events("service_followup.account_at_risk").empty());
  solve("c1");
  client_.ok<pb::Case>("ReopenCase", action("c1"));
  EXPECT_EQ(t_.events("service_followup.case_reopened").size(), 2u);
  auto risk = t_.events("service_followup.account_at_risk");
  ASSERT_EQ(risk.size(), 1u);
  EXPECT_EQ(risk[0].as<pb::AccountAtRisk>().evidence(0), "case c1 reopened 2 times");
}

TEST_F(CaseServiceTest, AContactOnAClosedCaseOpensALinkedFollowUpCase) {
  open("c1");
  solve("c1");
  client_.ok<pb::Case>("CloseCase", action("c1"));
  auto reply = client_.ok<pb::ContactReply>("CustomerContact", action("c1"));
  EXPECT_EQ(reply.outcome(), "follow_up_opened");
  EXPECT_EQ(reply.follow_up().case_id(), "c1-f1");
  EXPECT_EQ(get("c1-f1").follow_up_of(), "c1");
  EXPECT_EQ(t_.events("service_followup.repeat_contact").size(), 1u);
}

TEST_F(CaseServiceTest, ContactsWithinTheWindowPutTheAccountAtRiskOutsideItTheyDoNot) {
  open("c1");
  t_.advance(8 * 24h);  // past the 7-day window
  open("c2");
  t_.advance(1min);  // contacts on one case in the same millisecond count once
  client_.ok<pb::ContactReply>("CustomerContact", action("c2"));
  EXPECT_TRUE(t_.events("service_followup.account_at_risk").empty());
  t_.advance(1h);
  open("c3");  // the third contact within 7 days
  ASSERT_EQ(t_.events("service_followup.account_at_risk").size(), 1u);
}

TEST_F(CaseServiceTest, AnImportedHistorySettlesIntoTheStateLivingThroughItGives) {
  const auto now = t_.now_ms();
  auto line = [&](std::string id, std::string kind, std::int64_t ago_h) {
    pb::ImportEvent e;
    e.set_event_id(std::move(id));
    e.set_kind(std::move(kind));
    e.set_case_id("old");
    e.set_account_id("acme");
    e.set_actor("zoe");
    e.set_at_ms(now - ago_h * 3'600'000);
    e.mutable_root_cause()->set_category("billing");
    e.mutable_root_cause()->set_cause("c");
    e.mutable_root_cause()->set_fix("f");
    return e;
  };
  pb::ImportBatchRequest batch;
  *batch.add_events() = line("e1", "opened", 200);
  *batch.add_events() = line("e2", "solved", 150);  // its auto-close fell due 54 h ago
  *batch.add_events() = line("e3", "teleported", 100);
  auto reply = client_.ok<pb::ImportBatchReply>("ImportBatch", batch);
  EXPECT_EQ(reply.results(0).outcome(), "applied");
  EXPECT_EQ(reply.results(1).outcome(), "applied");
  EXPECT_EQ(reply.results(2).code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(client_.ok<pb::ImportBatchReply>("ImportBatch", batch).results(0).outcome(),
            "duplicate");
  // The consequence waits for the import to be quiet, then applies in event time.
  EXPECT_EQ(get("old").state(), pb::CASE_STATE_SOLVED);
  ASSERT_EQ(t_.pending("service_followup.import_settle").size(), 1u);
  t_.advance(61min);
  t_.fire_due();
  auto settled = get("old");
  EXPECT_EQ(settled.state(), pb::CASE_STATE_CLOSED);
  EXPECT_EQ(settled.closed_ms(), now - 54 * 3'600'000);
  EXPECT_TRUE(t_.events("service_followup.follow_up_due").empty()) << "no past check-in announced";
}

TEST_F(CaseServiceTest, BadInputGetsAClearErrorAndStoresNothing) {
  open("c1", "acme");
  const auto before = get("c1");
  auto unknown = act("AgentReply", "nope");
  EXPECT_EQ(unknown.code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_NE(unknown.message.find("case_id"), std::string::npos);
  auto early = act("AgentReply", "c1", before.opened_ms() - 1000);
  EXPECT_EQ(early.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(early.message.find("at_ms"), std::string::npos) << early.message;
  pb::SolveCaseRequest no_root;
  no_root.set_case_id("c1");
  auto unrooted = client_.call("SolveCase", no_root);
  EXPECT_EQ(unrooted.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(unrooted.message.find("root_cause"), std::string::npos);
  auto off_taxonomy = client_.call("SolveCase", solve_request("c1", "astrology"));
  EXPECT_EQ(off_taxonomy.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(off_taxonomy.message.find("root_cause.category"), std::string::npos);
  auto illegal = act("CloseCase", "c1");
  EXPECT_EQ(illegal.code, v1::STATUS_CODE_FAILED_PRECONDITION);
  EXPECT_NE(illegal.message.find("cannot close"), std::string::npos);
  pb::OpenCaseRequest dup;
  dup.set_case_id("c1");
  dup.set_account_id("acme");
  EXPECT_EQ(client_.call("OpenCase", dup).code, v1::STATUS_CODE_FAILED_PRECONDITION);
  auto after = get("c1");
  EXPECT_EQ(after.history_size(), before.history_size()) << "a refused change was stored";
  EXPECT_EQ(after.state(), pb::CASE_STATE_OPEN);
  pb::ListAccountCasesRequest none;
  none.set_account_id("nobody");
  EXPECT_EQ(client_.call("ListAccountCases", none).code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_TRUE(t_.pending().empty()) << "a refused solve scheduled follow-ups";
  EXPECT_TRUE(t_.events("service_followup.case_").empty()) << "a refused change was announced";
}

TEST_F(CaseServiceTest, AccountMeasuresCountOnlyThatAccount) {
  open("a1", "acme");
  solve("a1");
  open("b1", "globex");
  pb::MeasuresRequest r;
  r.set_account_id("acme");
  auto m = client_.ok<pb::Measures>("GetMeasures", r);
  EXPECT_EQ(m.cases(), 1);
  EXPECT_EQ(m.resolved(), 1);
  EXPECT_EQ(client_.ok<pb::Measures>("GetMeasures", pb::MeasuresRequest()).cases(), 2);
}

std::vector<std::string> ids(const pb::CaseList& list) {
  std::vector<std::string> out;
  for (const auto& c : list.cases()) out.push_back(c.case_id());
  return out;
}

TEST_F(CaseServiceTest, WorkListsHoldOnlyWhatIsPending) {
  open("c1");
  t_.advance(1min);
  open("c2");
  t_.advance(1min);
  open("c3", "globex");
  pb::ListOpenCasesRequest mine;
  mine.set_agent_id("zoe");
  EXPECT_EQ(ids(client_.ok<pb::CaseList>("ListOpenCases", mine)),
            (std::vector<std::string>{"c1", "c2", "c3"}));  // oldest first
  mine.set_page_size(2);
  auto first = client_.ok<pb::CaseList>("ListOpenCases", mine);
  EXPECT_EQ(ids(first), (std::vector<std::string>{"c1", "c2"}));
  mine.set_page_token(first.next_page_token());
  EXPECT_EQ(ids(client_.ok<pb::CaseList>("ListOpenCases", mine)), std::vector<std::string>{"c3"});

  solve("c2");  // off the work list, its check-in pending 24 h on
  mine.clear_page_token();
  mine.set_page_size(0);
  EXPECT_EQ(ids(client_.ok<pb::CaseList>("ListOpenCases", mine)),
            (std::vector<std::string>{"c1", "c3"}));
  pb::ListCheckInsDueRequest due;
  EXPECT_TRUE(client_.ok<pb::CaseList>("ListCheckInsDue", due).cases().empty());  // not yet
  due.set_due_by_ms(t_.context().now_ms() + 25 * 3'600'000);
  EXPECT_EQ(ids(client_.ok<pb::CaseList>("ListCheckInsDue", due)), std::vector<std::string>{"c2"});
  // A reopen puts it back on the work list and cancels its check-in.
  client_.ok<pb::Case>("ReopenCase", action("c2"));
  EXPECT_TRUE(client_.ok<pb::CaseList>("ListCheckInsDue", due).cases().empty());
  EXPECT_EQ(ids(client_.ok<pb::CaseList>("ListOpenCases", mine)),
            (std::vector<std::string>{"c1", "c2", "c3"}));
  // Solved again, the check-in fires: nothing due any more.
  solve("c2");
  t_.advance(25h);
  t_.fire_due();
  due.clear_due_by_ms();
  EXPECT_TRUE(client_.ok<pb::CaseList>("ListCheckInsDue", due).cases().empty());
  EXPECT_EQ(client_.call("ListOpenCases", pb::ListOpenCasesRequest()).code,
            v1::STATUS_CODE_INVALID_ARGUMENT);
}

TEST_F(CaseServiceTest, AccountsAtRiskAreListedUntilTheirWarningIsOld) {
  open("c1");
  for (int i = 0; i < 2; ++i) {
    solve("c1");
    client_.ok<pb::Case>("ReopenCase", action("c1"));
  }
  auto list = client_.ok<pb::AccountsAtRisk>("ListAccountsAtRisk", pb::ListAccountsAtRiskRequest());
  ASSERT_EQ(list.accounts_size(), 1);
  EXPECT_EQ(list.accounts(0).account_id(), "acme");
  EXPECT_EQ(list.accounts(0).salesperson_id(), "sam");
  EXPECT_EQ(list.accounts(0).evidence(0), "case c1 reopened 2 times");
  t_.advance(31 * 24h);  // at_risk_days: 30
  EXPECT_EQ(client_.ok<pb::AccountsAtRisk>("ListAccountsAtRisk", pb::ListAccountsAtRiskRequest())
                .accounts_size(),
            0);
  auto categories = client_.ok<pb::Categories>("GetCategories", pb::GetCategoriesRequest());
  ASSERT_GE(categories.categories_size(), 1);
  EXPECT_EQ(categories.categories(0), "billing");
}

}  // namespace
}  // namespace coach::service_followup
