// SPDX-License-Identifier: Apache-2.0
// An imported history must end in exactly the state living through it gives. A generated history
// (reopens after solves, auto-closes, repeat contacts after closes, check-ins) is played live on
// one coachd's test clock, event by event, and imported into another; every case must match.
#include <gtest/gtest.h>

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "case_model.hpp"
#include "coach/v1/admin.pb.h"
#include "daemon_process.hpp"
#include "plugin_client.hpp"

namespace coach::service_followup {
namespace {

using testing::DaemonProcess;
using testing::PluginClient;
using namespace std::chrono_literals;

const std::string kTestClock = "deployment: test\nscheduler:\n  clock: test\n  poll_ms: 50\n";

struct HistoryEvent {
  pb::ImportEvent event;
  int order = 0;
};

pb::RootCause root(std::mt19937& rng) {
  static const char* const categories[] = {"billing", "onboarding", "product_defect", "how_to"};
  pb::RootCause r;
  r.set_category(categories[rng() % 4]);
  r.set_cause("cause");
  r.set_fix("fix");
  r.set_customer_confirmed(rng() % 2 == 0);
  return r;
}

// A month of cases on five accounts. Each case is simulated with the model, so every event is one
// a real help desk could send at that moment (consequences due before it already applied).
std::vector<pb::ImportEvent> generate_history(std::int64_t base, int cases, unsigned seed) {
  std::mt19937 rng(seed);
  Rules rules;
  rules.categories = {"billing", "onboarding", "product_defect", "how_to"};
  std::vector<HistoryEvent> out;
  int order = 0;
  auto emit = [&](pb::ImportEvent e) { out.push_back({std::move(e), order++}); };
  for (int i = 0; i < cases; ++i) {
    const std::string id = "h" + std::to_string(i);
    std::int64_t t = base + i * 2 * kHourMs + static_cast<std::int64_t>(rng() % (5 * kHourMs));
    pb::ImportEvent opened;
    opened.set_event_id(id + "-0");
    opened.set_kind("opened");
    opened.set_case_id(id);
    opened.set_at_ms(t);
    opened.set_actor(std::vector<std::string>{"zoe", "yan", "max"}[rng() % 3]);
    opened.set_account_id("acct" + std::to_string(i % 5));
    opened.set_salesperson_id("ana");
    opened.set_team_id(i % 2 ? "north" : "south");
    pb::OpenCaseRequest r;
    r.set_case_id(id);
    r.set_account_id(opened.account_id());
    r.set_agent_id(opened.actor());
    auto sim = open_case(r, t);
    emit(opened);
    const int steps = 2 + static_cast<int>(rng() % 7);
    for (int step = 1; step <= steps; ++step) {
      // Mostly hours apart; sometimes past the 96 h auto-close.
      t += rng() % 4 == 0 ? (100 + static_cast<std::int64_t>(rng() % 60)) * kHourMs
                          : (1 + static_cast<std::int64_t>(rng() % 30)) * kHourMs +
                                static_cast<std::int64_t>(rng() % 3'600'000);
      std::vector<std::int64_t> ignored;
      apply_due(sim, t, ignored);
      pb::ImportEvent e;
      e.set_event_id(id + "-" + std::to_string(step));
      e.set_case_id(id);
      e.set_at_ms(t);
      e.set_actor("zoe");
      const auto pick = rng() % 3;
      switch (sim.state()) {
        case pb::CASE_STATE_OPEN:
          if (pick == 0) {
            e.set_kind("agent_reply");
            agent_reply(sim, "zoe", t);
          } else if (pick == 1) {
            e.set_kind("pending");
            set_pending(sim, "zoe", t);
          } else {
            e.set_kind("solved");
            *e.mutable_root_cause() = root(rng);
            solve(sim, "zoe", e.root_cause(), t, rules);
          }
          break;
        case pb::CASE_STATE_PENDING:
          if (pick == 0) {
            e.set_kind("customer_contact");
            e.set_actor("customer");
            customer_contact(sim, "customer", t);
            clear_follow_ups(sim);
          } else {
            e.set_kind("solved");
            *e.mutable_root_cause() = root(rng);
            solve(sim, "zoe", e.root_cause(), t, rules);
          }
          break;
        case pb::CASE_STATE_SOLVED:
          if (pick == 0) {
            e.set_kind("customer_contact");
            e.set_actor("customer");
            customer_contact(sim, "customer", t);
          } else if (pick == 1) {
            e.set_kind("reopened");
            reopen(sim, "zoe", t);
          } else {
            e.set_kind("closed");
            close(sim, "zoe", t, false);
          }
          clear_follow_ups(sim);
          break;
        default:  // closed: the customer comes back, a repeat contact; the case's story ends
          e.set_kind("customer_contact");
          e.set_actor("customer");
          step = steps;
          break;
      }
      emit(e);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.event.at_ms() != b.event.at_ms() ? a.event.at_ms() < b.event.at_ms()
                                              : a.order < b.order;
  });
  std::vector<pb::ImportEvent> events;
  for (auto& h : out) events.push_back(std::move(h.event));
  return events;
}

class Node {
 public:
  Node() {
    daemon_ = std::make_unique<DaemonProcess>("  service_followup: {}\n", "", "info");
    daemon_->set_sections(daemon_->default_sections() + kTestClock);
    daemon_->start();
    client_ = std::make_unique<PluginClient>(daemon_->request_endpoint(), "service_followup");
  }
  PluginClient& client() { return *client_; }
  DaemonProcess& daemon() { return *daemon_; }

  std::int64_t now() { return advance(0); }
  std::int64_t advance(std::int64_t ms) {
    v1::AdvanceClockRequest r;
    r.set_by_ms(ms);
    return client_->call("AdvanceClock", r, "coachd").as<v1::AdvanceClockReply>().now_ms();
  }
  // Waits until the scheduler has delivered every entry due by now.
  void settle() {
    const auto now_ms = now();
    for (int i = 0; i < 400; ++i) {
      v1::ListScheduleRequest ls;
      ls.set_plugin("service_followup");
      ls.set_state("pending");
      ls.set_limit(1);
      auto list = client_->call("ListSchedule", ls, "coachd").as<v1::ListScheduleReply>();
      if (list.entries().empty() || list.entries(0).due_ms() > now_ms) return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "due entries were not delivered\n" << daemon_->log();
  }
  pb::Case get(const std::string& id) {
    pb::GetCaseRequest r;
    r.set_case_id(id);
    return client_->ok<pb::Case>("GetCase", r);
  }
  std::set<std::string> case_ids(int accounts) {
    std::set<std::string> ids;
    for (int a = 0; a < accounts; ++a) {
      pb::ListAccountCasesRequest r;
      r.set_account_id("acct" + std::to_string(a));
      r.set_page_size(7);  // several pages
      do {
        auto page = client_->ok<pb::CaseList>("ListAccountCases", r);
        for (const auto& c : page.cases()) ids.insert(c.case_id());
        r.set_page_token(page.next_page_token());
      } while (!r.page_token().empty());
    }
    return ids;
  }

 private:
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PluginClient> client_;
};

testing::Reply play(PluginClient& c, const pb::ImportEvent& e) {
  if (e.kind() == "opened") {
    pb::OpenCaseRequest r;
    r.set_case_id(e.case_id());
    r.set_account_id(e.account_id());
    r.set_salesperson_id(e.salesperson_id());
    r.set_agent_id(e.actor());
    r.set_team_id(e.team_id());
    r.set_at_ms(e.at_ms());
    return c.call("OpenCase", r);
  }
  if (e.kind() == "solved") {
    pb::SolveCaseRequest r;
    r.set_case_id(e.case_id());
    r.set_agent_id(e.actor());
    *r.mutable_root_cause() = e.root_cause();
    r.set_at_ms(e.at_ms());
    return c.call("SolveCase", r);
  }
  static const std::map<std::string, std::string> methods{{"customer_contact", "CustomerContact"},
                                                          {"agent_reply", "AgentReply"},
                                                          {"pending", "SetPending"},
                                                          {"reopened", "ReopenCase"},
                                                          {"closed", "CloseCase"}};
  pb::CaseActionRequest r;
  r.set_case_id(e.case_id());
  r.set_actor(e.actor());
  r.set_at_ms(e.at_ms());
  return c.call(methods.at(e.kind()), r);
}

// What must match: everything but the scheduler's entry ids, which each node numbers itself,
// and the import lines a case remembers.
pb::Case comparable(pb::Case c) {
  c.clear_auto_close_entry();
  c.clear_check_in_entry();
  c.clear_imported_events();
  return c;
}

TEST(ImportReplay, AnImportedHistoryEqualsTheLivedOneCaseForCase) {
  constexpr int kCases = 40;
  Node lived;
  Node imported;
  const std::int64_t base = std::max(lived.now(), imported.now()) + kHourMs;
  const auto history = generate_history(base, kCases, 20261130);
  ASSERT_GT(history.size(), 150u);

  // Lived: the clock moves to each event, the scheduler fires what fell due, then the event.
  std::int64_t clock = lived.now();
  for (const auto& e : history) {
    clock = lived.advance(e.at_ms() - clock);
    lived.settle();
    auto reply = play(lived.client(), e);
    ASSERT_EQ(reply.code, v1::STATUS_CODE_OK) << e.ShortDebugString() << ": " << reply.message;
  }
  const std::int64_t end = history.back().at_ms() + 30 * kDayMs;
  lived.advance(end - clock);
  lived.settle();

  // Imported: a month after the history ended, through coachctl, then the import settles.
  imported.advance(end - imported.now());
  testing::TempDir dir;
  std::string lines;
  for (const auto& e : history) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &json).ok());
    lines += json + "\n";
  }
  testing::write_file(dir.file("history.jsonl"), lines);
  // An import interrupted after 60 % of its lines, then run again over the whole file: the lines
  // already applied come back as duplicates, the rest is applied, nothing twice.
  const std::size_t part = history.size() * 6 / 10;
  std::size_t cut = 0;
  for (std::size_t i = 0; i < part; ++i) cut = lines.find('\n', cut) + 1;
  testing::write_file(dir.file("interrupted.jsonl"), lines.substr(0, cut));
  auto import = [&](const std::string& file) {
    return testing::run_command({COACHCTL_BIN, "-e", imported.daemon().request_endpoint(), "import",
                                 "service_followup", "ImportBatch", dir.file(file), "--batch",
                                 "37"});
  };
  auto first = import("interrupted.jsonl");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto run = import("history.jsonl");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(std::to_string(part) + " duplicate"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(std::to_string(history.size() - part) + " applied"), std::string::npos)
      << run.output;
  imported.advance(61 * 60'000);  // import_settle_minutes (60) of quiet
  imported.settle();

  const auto ids = lived.case_ids(5);
  EXPECT_GT(ids.size(), static_cast<std::size_t>(kCases)) << "no repeat contact in the history";
  EXPECT_EQ(imported.case_ids(5), ids);
  int closed_automatically = 0, reopened = 0;
  for (const auto& id : ids) {
    const auto a = comparable(lived.get(id));
    const auto b = comparable(imported.get(id));
    EXPECT_EQ(a.ShortDebugString(), b.ShortDebugString()) << id;
    closed_automatically +=
        a.state() == pb::CASE_STATE_CLOSED && a.history().rbegin()->kind() == "auto_closed";
    reopened += a.reopens() > 0;
  }
  EXPECT_GT(closed_automatically, 0);
  EXPECT_GT(reopened, 0);
  pb::MeasuresRequest all;
  EXPECT_EQ(lived.client().ok<pb::Measures>("GetMeasures", all).ShortDebugString(),
            imported.client().ok<pb::Measures>("GetMeasures", all).ShortDebugString());

  // Imported again: every line is a duplicate, nothing changes.
  auto again =
      testing::run_command({COACHCTL_BIN, "-e", imported.daemon().request_endpoint(), "import",
                            "service_followup", "ImportBatch", dir.file("history.jsonl")});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(std::to_string(history.size()) + " duplicate"), std::string::npos)
      << again.output;
  EXPECT_EQ(comparable(imported.get("h0")).ShortDebugString(),
            comparable(lived.get("h0")).ShortDebugString());
}

}  // namespace
}  // namespace coach::service_followup
