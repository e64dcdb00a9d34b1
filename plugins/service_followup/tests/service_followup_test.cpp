// SPDX-License-Identifier: Apache-2.0
// service_followup through a real coachd on a test clock: a month of cases with follow-ups firing
// on time and once through the durable scheduler, motivation_keys hearing its events, a restart
// with follow-ups pending, the JSON lines import through coachctl, reindexing an old layout. The
// services' logic is tested in-process in case_service_test.cpp.
#include <gtest/gtest.h>

#include <google/protobuf/struct.pb.h>
#include <sqlite3.h>
#include <thread>

#include "coach/v1/admin.pb.h"
#include "coach/v1/motivation_keys.pb.h"
#include "coach/v1/service_followup.pb.h"
#include "daemon_process.hpp"
#include "event_listener.hpp"
#include "plugin_client.hpp"

namespace coach::service_followup {
namespace {

namespace pb = coach::v1::service_followup;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
using testing::DaemonProcess;
using testing::PluginClient;
using testing::Reply;
using namespace std::chrono_literals;

const std::string kPlugins = "  service_followup: {}\n  motivation_keys: {}\n";
const std::string kTestClock = "deployment: test\nscheduler:\n  clock: test\n  poll_ms: 100\n";

// service_followup's events from the daemon.
class Events : public testing::EventListener {
 public:
  explicit Events(const std::string& endpoint) : EventListener(endpoint, "service_followup.") {}
};

void expect_signals(PluginClient& mk, const std::string& account, int want) {
  v1::motivation_keys::GetTrustRequest g;
  g.set_salesperson_id("ana");
  g.set_account_id(account);
  v1::motivation_keys::TrustHistory h;
  for (int i = 0; i < 40 && h.signals_size() < want; ++i) {
    auto r = mk.call("GetTrust", g);
    if (r.code == v1::STATUS_CODE_OK) h = r.as<v1::motivation_keys::TrustHistory>();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(h.signals_size(), want) << account;
}

class ServiceFollowupTest : public ::testing::Test {
 protected:
  void start(const std::string& sections = kTestClock) {
    daemon_ = std::make_unique<DaemonProcess>(kPlugins, "", "info");
    daemon_->set_sections(daemon_->default_sections() + sections);
    daemon_->start();
    connect();
  }
  void connect() {
    client_ = std::make_unique<PluginClient>(daemon_->request_endpoint(), "service_followup");
  }

  void advance(std::int64_t ms) {
    v1::AdvanceClockRequest r;
    r.set_by_ms(ms);
    auto reply = client_->call("AdvanceClock", r, "coachd");
    ASSERT_EQ(reply.code, v1::STATUS_CODE_OK) << reply.message;
  }

  pb::Case open(const std::string& id, const std::string& account,
                const std::string& agent = "zoe") {
    pb::OpenCaseRequest r;
    r.set_case_id(id);
    r.set_account_id(account);
    r.set_salesperson_id("ana");
    r.set_agent_id(agent);
    r.set_team_id("support");
    return client_->ok<pb::Case>("OpenCase", r);
  }
  Reply act(const std::string& method, const std::string& id, std::int64_t at_ms = 0) {
    pb::CaseActionRequest r;
    r.set_case_id(id);
    r.set_actor("someone");
    r.set_at_ms(at_ms);
    return client_->call(method, r);
  }
  Reply solve(const std::string& id, bool confirmed = true,
              const std::string& category = "billing") {
    pb::SolveCaseRequest r;
    r.set_case_id(id);
    r.set_agent_id("zoe");
    r.mutable_root_cause()->set_category(category);
    r.mutable_root_cause()->set_cause("wrong price list");
    r.mutable_root_cause()->set_fix("price list corrected");
    r.mutable_root_cause()->set_customer_confirmed(confirmed);
    return client_->call("SolveCase", r);
  }
  pb::Case get(const std::string& id) {
    pb::GetCaseRequest r;
    r.set_case_id(id);
    return client_->ok<pb::Case>("GetCase", r);
  }
  // Waits until the case reaches state (the scheduler runs on its own thread).
  bool reaches(const std::string& id, pb::CaseState state) {
    for (int i = 0; i < 100; ++i) {
      if (get(id).state() == state) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PluginClient> client_;
};

TEST_F(ServiceFollowupTest, AMonthOfCasesOnATestClock) {
  start();
  Events events(daemon_->event_endpoint());
  constexpr std::int64_t h = kHourMs;

  // Day 0: c1 at acme, one reply, solved at the root. Check-in due in 24 h, auto-close in 4 days.
  open("c1", "acme");
  ASSERT_EQ(act("AgentReply", "c1").code, v1::STATUS_CODE_OK);
  ASSERT_EQ(solve("c1").code, v1::STATUS_CODE_OK);
  advance(23 * h);
  EXPECT_EQ(events.count("service_followup.follow_up_due", 1, 500ms), 0) << "check-in came early";
  advance(1 * h);
  ASSERT_EQ(events.count("service_followup.follow_up_due"), 1) << daemon_->log();
  EXPECT_EQ(events.all<pb::FollowUpDue>("service_followup.follow_up_due")[0].case_id(), "c1");

  // Day 1: c2 at globex solved; the customer writes back a day later: reopened, auto-close off.
  open("c2", "globex");
  ASSERT_EQ(solve("c2").code, v1::STATUS_CODE_OK);
  const auto auto_close_c2 = get("c2").auto_close_entry();
  ASSERT_NE(auto_close_c2, 0);
  advance(20 * h);
  auto contact = act("CustomerContact", "c2");
  ASSERT_EQ(contact.code, v1::STATUS_CODE_OK) << contact.message;
  EXPECT_EQ(contact.as<pb::ContactReply>().outcome(), "reopened");
  EXPECT_EQ(get("c2").auto_close_entry(), 0);
  v1::ListScheduleRequest ls;
  ls.set_plugin("service_followup");
  ls.set_state("cancelled");
  auto cancelled = client_->call("ListSchedule", ls, "coachd").as<v1::ListScheduleReply>();
  bool found = false;
  for (const auto& e : cancelled.entries()) found |= e.id() == auto_close_c2;
  EXPECT_TRUE(found) << "the reopen did not cancel the pending auto-close";
  ASSERT_EQ(solve("c2", false, "product_defect").code, v1::STATUS_CODE_OK);

  // Day 4: c1 closes automatically, once; c2 (solved again on day 2) is still solved.
  advance(2 * 24 * h + 4 * h);
  ASSERT_TRUE(reaches("c1", pb::CASE_STATE_CLOSED)) << daemon_->log();
  EXPECT_EQ(get("c2").state(), pb::CASE_STATE_SOLVED);
  ASSERT_EQ(events.count("service_followup.case_closed"), 1);
  EXPECT_EQ(events.all<pb::CaseClosed>("service_followup.case_closed")[0].closed_by(), "auto");

  // The acme customer writes about c1 again: a repeat contact, a new linked case.
  auto again = act("CustomerContact", "c1");
  ASSERT_EQ(again.code, v1::STATUS_CODE_OK) << again.message;
  auto reply = again.as<pb::ContactReply>();
  EXPECT_EQ(reply.outcome(), "follow_up_opened");
  EXPECT_EQ(reply.follow_up().case_id(), "c1-f1");
  EXPECT_EQ(reply.follow_up().follow_up_of(), "c1");
  EXPECT_EQ(get("c1").state(), pb::CASE_STATE_CLOSED);
  EXPECT_EQ(events.count("service_followup.repeat_contact"), 1);
  // A third contact at acme within 7 days (c1, c1-f1, c3): the account is at risk.
  open("c3", "acme", "yan");
  ASSERT_GE(events.count("service_followup.account_at_risk"), 1);
  auto risk = events.all<pb::AccountAtRisk>("service_followup.account_at_risk")[0];
  EXPECT_EQ(risk.account_id(), "acme");
  EXPECT_EQ(risk.salesperson_id(), "ana");
  EXPECT_NE(risk.evidence(0).find("3 customer contacts"), std::string::npos) << risk.evidence(0);

  // c2 reopened a second time: globex is at risk too.
  ASSERT_EQ(act("ReopenCase", "c2").code, v1::STATUS_CODE_OK);
  EXPECT_GE(events.count("service_followup.account_at_risk", 2), 2);

  // The rest of the month: nothing fires twice.
  advance(26 * 24 * h);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(events.count("service_followup.case_closed", 2, 500ms), 1) << "c1 closed twice";
  EXPECT_EQ(events.count("service_followup.follow_up_due", 3, 500ms), 2);  // c1, c2's first solve

  // Measures for agent zoe: c1, c2, c1-f1 is unassigned; c3 is yan's.
  pb::MeasuresRequest mr;
  mr.set_agent_id("zoe");
  auto m = client_->ok<pb::Measures>("GetMeasures", mr);
  EXPECT_EQ(m.cases(), 2);
  EXPECT_EQ(m.resolved(), 1);  // c1 (closed); c2 is open again
  EXPECT_EQ(m.one_touch(), 1);
  EXPECT_EQ(m.reopens(), 2);
  EXPECT_DOUBLE_EQ(m.confirmed_root_cause_share(), 1.0);
  EXPECT_DOUBLE_EQ(m.first_resolution_median_h(), 0.0);  // solved in the hour it was opened
  pb::MeasuresRequest everyone;
  auto all = client_->ok<pb::Measures>("GetMeasures", everyone);
  EXPECT_EQ(all.cases(), 4);
  EXPECT_EQ(all.repeat_contacts(), 1);
  EXPECT_DOUBLE_EQ(all.repeat_contact_rate(), 0.25);
  auto csv = client_->ok<pb::MeasuresCsv>("GetMeasuresCsv", everyone).csv();
  EXPECT_EQ(csv.rfind("scope,cases,resolved,one_touch,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\nall,4,1,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nagent:zoe,2,"), std::string::npos) << csv;
  // A period covering everything reads the buckets one agent at a time: the same rows.
  pb::MeasuresRequest period;
  period.set_from_ms(1);
  period.set_to_ms(get("c1").opened_ms() + 400 * kDayMs);
  EXPECT_EQ(client_->ok<pb::MeasuresCsv>("GetMeasuresCsv", period).csv(), csv);
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", period).ShortDebugString(),
            all.ShortDebugString());
  pb::MeasuresRequest two_scopes;
  two_scopes.set_agent_id("zoe");
  two_scopes.set_team_id("support");
  EXPECT_EQ(client_->call("GetMeasures", two_scopes).code, v1::STATUS_CODE_INVALID_ARGUMENT);

  // motivation_keys heard the reopens and the repeat contact as reliability signals.
  PluginClient mk(daemon_->request_endpoint(), "motivation_keys");
  expect_signals(mk, "acme", 1);    // the repeat contact on c1
  expect_signals(mk, "globex", 2);  // c2's two reopens
}

TEST_F(ServiceFollowupTest, FollowUpsPendingAcrossARestartFireAfterIt) {
  start();
  open("c1", "acme");
  ASSERT_EQ(solve("c1").code, v1::STATUS_CODE_OK);
  client_.reset();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(10s), 0);
  daemon_->start();  // the test clock starts again at the system time
  connect();
  Events events(daemon_->event_endpoint());
  EXPECT_EQ(get("c1").state(), pb::CASE_STATE_SOLVED);
  advance(4 * kDayMs + kHourMs);
  ASSERT_TRUE(reaches("c1", pb::CASE_STATE_CLOSED)) << daemon_->log();
  EXPECT_EQ(events.count("service_followup.case_closed"), 1);
  EXPECT_EQ(events.count("service_followup.follow_up_due"), 1);
}

TEST_F(ServiceFollowupTest, ImportReportsBadLinesAndNeverAddsTwice) {
  start("");
  testing::TempDir dir;
  // Two hours ago: the auto-close the solve schedules is still in the future.
  const std::int64_t t = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() -
                         2 * kHourMs;
  std::string lines;
  auto line = [&](const std::string& json) { lines += json + "\n"; };
  line(
      R"({"event_id":"e1","kind":"opened","case_id":"h1","account_id":"acme","salesperson_id":"ana","actor":"zoe","at_ms":")" +
      std::to_string(t) + R"("})");
  line(R"({"event_id":"e2","kind":"agent_reply","case_id":"h1","actor":"zoe","at_ms":")" +
       std::to_string(t + 60000) + R"("})");
  line("this is not json");
  line(
      R"({"event_id":"e3","kind":"solved","case_id":"h1","actor":"zoe","at_ms":")" +
      std::to_string(t + 3600000) +
      R"(","root_cause":{"category":"billing","cause":"old price","fix":"credit note","customer_confirmed":true}})");
  line(R"({"event_id":"e4","kind":"agent_reply","case_id":"ghost","actor":"zoe","at_ms":")" +
       std::to_string(t) + R"("})");
  line("");
  line(
      R"({"event_id":"e5","kind":"opened","case_id":"h2","account_id":"acme","actor":"yan","at_ms":")" +
      std::to_string(t + 1000) + R"("})");
  testing::write_file(dir.file("tickets.jsonl"), lines);
  auto run = [&] {
    return testing::run_command({COACHCTL_BIN, "-e", daemon_->request_endpoint(), "import",
                                 "service_followup", "Import", dir.file("tickets.jsonl")});
  };
  auto first = run();
  EXPECT_EQ(first.exit_code, 1) << first.output;
  EXPECT_NE(first.output.find("tickets.jsonl:3: skipped"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("tickets.jsonl:5: skipped: NOT_FOUND"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("4 applied"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("2 skipped"), std::string::npos) << first.output;
  auto h1 = get("h1");
  EXPECT_EQ(h1.state(), pb::CASE_STATE_SOLVED);
  EXPECT_EQ(h1.agent_replies(), 1);
  auto second = run();
  EXPECT_NE(second.output.find("4 duplicate"), std::string::npos) << second.output;
  EXPECT_EQ(get("h1").history_size(), h1.history_size()) << "re-import applied a line twice";
  pb::MeasuresRequest all;
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", all).cases(), 2);
  auto csv = testing::run_command({COACHCTL_BIN, "-e", daemon_->request_endpoint(), "call",
                                   "service_followup", "GetMeasuresCsv", "{}"});
  EXPECT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_NE(csv.output.find("scope,cases,resolved"), std::string::npos) << csv.output;
}

TEST_F(ServiceFollowupTest, ReindexGivesCasesOfTheOldLayoutTheirIndexesOnce) {
  start("");
  open("r1", "acme");
  ASSERT_EQ(solve("r1").code, v1::STATUS_CODE_OK);
  open("r2", "globex", "yan");
  open("r3", "acme");
  ASSERT_EQ(solve("r3", false).code, v1::STATUS_CODE_OK);
  pb::MeasuresRequest zoe;
  zoe.set_agent_id("zoe");
  pb::MeasuresRequest all;
  const auto zoe_before = client_->ok<pb::Measures>("GetMeasures", zoe).ShortDebugString();
  const auto all_before = client_->ok<pb::Measures>("GetMeasures", all).ShortDebugString();
  const auto csv_before = client_->ok<pb::MeasuresCsv>("GetMeasuresCsv", all).csv();

  // What version 1.0 stored: the cases and empty account records, nothing else.
  client_.reset();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(10s), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(daemon_->dir().file("coachd.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DELETE FROM coach_kv WHERE plugin = 'service_followup' AND"
                         " CAST(key AS TEXT) NOT LIKE 'case/%' AND"
                         " CAST(key AS TEXT) NOT LIKE 'account/%';"
                         "UPDATE coach_kv SET value = X'' WHERE plugin = 'service_followup' AND"
                         " CAST(key AS TEXT) LIKE 'account/%'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  daemon_->start();
  connect();
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", zoe).cases(), 0) << "indexes were not gone";

  auto reindex = [&] {
    pb::ReindexRequest r;
    r.set_page_size(2);
    int indexed = 0, pages = 0;
    do {
      auto reply = client_->ok<pb::ReindexReply>("Reindex", r);
      indexed += reply.indexed();
      ++pages;
      r.set_page_token(reply.next_page_token());
    } while (!r.page_token().empty());
    EXPECT_EQ(pages, 2);
    return indexed;
  };
  EXPECT_EQ(reindex(), 3);
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", zoe).ShortDebugString(), zoe_before);
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", all).ShortDebugString(), all_before);
  EXPECT_EQ(client_->ok<pb::MeasuresCsv>("GetMeasuresCsv", all).csv(), csv_before);
  EXPECT_EQ(reindex(), 0) << "a second run must change nothing";
  EXPECT_EQ(client_->ok<pb::Measures>("GetMeasures", all).ShortDebugString(), all_before);
}

TEST(ServiceFollowupConfig, DelaysOutOfRangeRefuseThePluginNamingTheKey) {
  DaemonProcess d("  service_followup:\n    config:\n      close_after_hours: 1000\n", "", "info");
  d.start();
  const auto log = d.log();
  EXPECT_NE(log.find("plugins.service_followup.config.close_after_hours (line 15): 1000 is out of "
                     "range (1 .. 672)"),
            std::string::npos)
      << log;
  PluginClient c(d.request_endpoint(), "service_followup");
  pb::GetCaseRequest r;
  r.set_case_id("x");
  EXPECT_EQ(c.call("GetCase", r).code, v1::STATUS_CODE_PLUGIN_DISABLED);
}

}  // namespace
}  // namespace coach::service_followup
