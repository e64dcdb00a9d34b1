// SPDX-License-Identifier: Apache-2.0
// service_followup: "It took me 18 months to get that sale, and customer service lost it in less
// than six weeks." Service cases are solved at the root cause and measured by resolution, not
// volume; follow-ups fire on time through the durable scheduler; the account's salesperson hears
// when the trust they built is at risk.
//
// Store layout (per tenant, under this plugin):
//   case/<id>                      Case
//   account/<account>/<case>       (empty) an account's cases
//   contact/<account>/<ms>-<case>  (empty) customer contacts, for the at-risk window
//   import/<event_id>              (empty) import lines already applied
#include <fmt/format.h>
#include <coach/plugin.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "case_model.hpp"

namespace coach::service_followup {

namespace {

class ServiceFollowup final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const char* const keys[] = {"categories",
                                       "close_after_hours",
                                       "check_in_after_hours",
                                       "reopens_at_risk",
                                       "contacts_at_risk",
                                       "contacts_window_days",
                                       nullptr};
    static const coach::PluginManifest m{
        .name = "service_followup",
        .version = "1.0.0",
        .description =
            "Service cases solved at the root, repeat contacts caught, follow-ups on time",
        .config_keys = keys,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    ctx_ = &ctx;
    load_rules(ctx.config());

    ctx.serve<pb::OpenCaseRequest, pb::Case>(
        "OpenCase", [this](const pb::OpenCaseRequest& r) { return open(r, at(r.at_ms())); });
    ctx.serve<pb::CaseActionRequest, pb::ContactReply>(
        "CustomerContact", [this](const pb::CaseActionRequest& r) { return contact(r); });
    ctx.serve<pb::CaseActionRequest, pb::Case>("AgentReply", [this](
                                                                 const pb::CaseActionRequest& r) {
      return change(r.case_id(), [&](pb::Case& c) { agent_reply(c, r.actor(), at(r.at_ms())); });
    });
    ctx.serve<pb::CaseActionRequest, pb::Case>("SetPending", [this](
                                                                 const pb::CaseActionRequest& r) {
      return change(r.case_id(), [&](pb::Case& c) { set_pending(c, r.actor(), at(r.at_ms())); });
    });
    ctx.serve<pb::SolveCaseRequest, pb::Case>(
        "SolveCase", [this](const pb::SolveCaseRequest& r) { return solve_case(r); });
    ctx.serve<pb::CaseActionRequest, pb::Case>(
        "ReopenCase", [this](const pb::CaseActionRequest& r) { return reopen_case(r); });
    ctx.serve<pb::CaseActionRequest, pb::Case>("CloseCase", [this](const pb::CaseActionRequest& r) {
      auto c = change(r.case_id(), [&](pb::Case& k) {
        close(k, r.actor(), at(r.at_ms()), false);
        cancel_follow_ups(k);
      });
      announce_closed(c, r.actor());
      return c;
    });
    ctx.serve<pb::GetCaseRequest, pb::Case>(
        "GetCase", [this](const pb::GetCaseRequest& r) { return load(r.case_id()); });
    ctx.serve<pb::ListAccountCasesRequest, pb::CaseList>(
        "ListAccountCases", [this](const pb::ListAccountCasesRequest& r) { return list(r); });
    ctx.serve<pb::MeasuresRequest, pb::Measures>(
        "GetMeasures", [this](const pb::MeasuresRequest& r) { return measures(select(r)); });
    ctx.serve<pb::MeasuresRequest, pb::MeasuresCsv>(
        "GetMeasuresCsv", [this](const pb::MeasuresRequest& r) { return csv(r); });
    ctx.serve<pb::ImportEvent, pb::ImportReply>(
        "Import", [this](const pb::ImportEvent& e) { return import(e); });
    ctx.on_due("service_followup.", [this](const coach::DueEntry& due) { on_due(due); });
  }

 private:
  void load_rules(const ConfigSection& config) {
    rules_.close_after_ms =
        static_cast<std::int64_t>(config.get_double("close_after_hours", 96) * kHourMs);
    rules_.check_in_after_ms =
        static_cast<std::int64_t>(config.get_double("check_in_after_hours", 24) * kHourMs);
    rules_.reopens_at_risk = static_cast<int>(config.get_int("reopens_at_risk", 2));
    rules_.contacts_at_risk = static_cast<int>(config.get_int("contacts_at_risk", 3));
    rules_.contacts_window_ms =
        static_cast<std::int64_t>(config.get_double("contacts_window_days", 7) * kDayMs);
    rules_.categories = config.get_list("categories");
    if (rules_.categories.empty()) {
      rules_.categories = {"billing",     "onboarding", "product_defect", "how_to",
                           "integration", "delivery",   "account_change"};
    }
    validate_rules(rules_);
  }

  Store& store() { return ctx_->store(); }
  std::int64_t at(std::int64_t at_ms) const { return at_ms > 0 ? at_ms : ctx_->now_ms(); }

  pb::Case load(const std::string& id, std::int64_t* version = nullptr) {
    require_id("case_id", id);
    auto c = store().get<pb::Case>("case/" + id, version);
    if (!c) throw Error(v1::STATUS_CODE_NOT_FOUND, "case_id: no case '" + id + "'");
    return *c;
  }

  // Loads, changes and stores a case atomically (compare-and-set on its version).
  template <typename Fn>
  pb::Case change(const std::string& id, Fn&& fn, WriteBatch extra = {}) {
    std::int64_t version = 0;
    auto c = load(id, &version);
    fn(c);
    WriteBatch batch = std::move(extra);
    batch.put("case/" + id, c, version);
    if (!store().commit(batch))
      throw Error(v1::STATUS_CODE_UNAVAILABLE, "case_id: '" + id + "' changed concurrently, retry");
    return c;
  }

  pb::Case open(const pb::OpenCaseRequest& r, std::int64_t at_ms, WriteBatch extra = {}) {
    auto c = open_case(r, at_ms);
    WriteBatch batch = std::move(extra);
    batch.put("case/" + c.case_id(), c, kMustNotExist);
    batch.put_bytes("account/" + c.account_id() + "/" + c.case_id(), "");
    batch.put_bytes(contact_key(c.account_id(), at_ms, c.case_id()), "");
    if (!store().commit(batch))
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                  "case_id: '" + c.case_id() + "' already exists");
    check_contacts_at_risk(c, at_ms);
    return c;
  }

  static std::string contact_key(const std::string& account, std::int64_t at_ms,
                                 const std::string& case_id) {
    return fmt::format("contact/{}/{:015d}-{}", account, at_ms, case_id);
  }

  pb::ContactReply contact(const pb::CaseActionRequest& r, WriteBatch extra = {}) {
    const auto at_ms = at(r.at_ms());
    pb::ContactReply reply;
    std::int64_t version = 0;
    auto c = load(r.case_id(), &version);
    const auto outcome = customer_contact(c, r.actor(), at_ms);
    if (outcome == ContactOutcome::kClosedCase) {
      // A contact on a closed case is a repeat contact: a new follow-up case linked to it.
      pb::OpenCaseRequest follow;
      follow.set_case_id(fmt::format("{}-f{}", c.case_id(), follow_ups(c.case_id()) + 1));
      follow.set_account_id(c.account_id());
      follow.set_salesperson_id(c.salesperson_id());
      follow.set_team_id(c.team_id());
      follow.set_subject("follow-up of " + c.case_id() + (r.note().empty() ? "" : ": " + r.note()));
      auto f = open_case(follow, at_ms);
      f.set_follow_up_of(c.case_id());
      WriteBatch batch = std::move(extra);
      batch.put("case/" + f.case_id(), f, kMustNotExist);
      batch.put_bytes("account/" + f.account_id() + "/" + f.case_id(), "");
      batch.put_bytes(contact_key(f.account_id(), at_ms, f.case_id()), "");
      if (!store().commit(batch))
        throw Error(v1::STATUS_CODE_UNAVAILABLE, "case_id: follow-up changed concurrently, retry");
      pb::RepeatContact event;
      event.set_case_id(f.case_id());
      event.set_follow_up_of(c.case_id());
      event.set_account_id(c.account_id());
      event.set_salesperson_id(c.salesperson_id());
      ctx_->publish("service_followup.repeat_contact", event);
      reply.set_outcome("follow_up_opened");
      *reply.mutable_case_() = c;
      *reply.mutable_follow_up() = f;
      check_contacts_at_risk(f, at_ms);
      return reply;
    }
    if (outcome == ContactOutcome::kReopened) cancel_follow_ups(c);
    WriteBatch batch = std::move(extra);
    batch.put("case/" + c.case_id(), c, version);
    batch.put_bytes(contact_key(c.account_id(), at_ms, c.case_id()), "");
    if (!store().commit(batch))
      throw Error(v1::STATUS_CODE_UNAVAILABLE, "case_id: changed concurrently, retry");
    reply.set_outcome(outcome == ContactOutcome::kReopened ? "reopened" : "recorded");
    *reply.mutable_case_() = c;
    if (outcome == ContactOutcome::kReopened) announce_reopened(c);
    check_contacts_at_risk(c, at_ms);
    return reply;
  }

  int follow_ups(const std::string& case_id) {
    int n = 0;
    while (store().get_bytes(fmt::format("case/{}-f{}", case_id, n + 1))) ++n;
    return n;
  }

  pb::Case solve_case(const pb::SolveCaseRequest& r, WriteBatch extra = {}) {
    const auto at_ms = at(r.at_ms());
    std::int64_t version = 0;
    auto c = load(r.case_id(), &version);
    solve(c, r.agent_id(), r.root_cause(), at_ms, rules_);
    // Scheduled before the case is stored; an entry whose case does not name it is ignored.
    pb::FollowUpEntry close_entry;
    close_entry.set_case_id(c.case_id());
    close_entry.set_kind("auto_close");
    c.set_auto_close_entry(schedule(at_ms + rules_.close_after_ms, close_entry));
    if (at_ms + rules_.check_in_after_ms > ctx_->now_ms() - rules_.close_after_ms) {
      pb::FollowUpEntry check_in;
      check_in.set_case_id(c.case_id());
      check_in.set_kind("check_in");
      c.set_check_in_entry(schedule(at_ms + rules_.check_in_after_ms, check_in));
    }
    WriteBatch batch = std::move(extra);
    batch.put("case/" + c.case_id(), c, version);
    if (!store().commit(batch)) {
      cancel_follow_ups(c);
      throw Error(v1::STATUS_CODE_UNAVAILABLE, "case_id: changed concurrently, retry");
    }
    return c;
  }

  std::int64_t schedule(std::int64_t due_ms, const pb::FollowUpEntry& entry) {
    return ctx_->schedule(std::chrono::system_clock::time_point(std::chrono::milliseconds(due_ms)),
                          "service_followup." + entry.kind(), entry);
  }

  // Cancels the auto-close and check-in of the last solve (a reopen or a close makes them moot).
  void cancel_follow_ups(pb::Case& c) {
    if (c.auto_close_entry()) ctx_->cancel(c.auto_close_entry());
    if (c.check_in_entry()) ctx_->cancel(c.check_in_entry());
    c.set_auto_close_entry(0);
    c.set_check_in_entry(0);
  }

  pb::Case reopen_case(const pb::CaseActionRequest& r, WriteBatch extra = {}) {
    auto c = change(
        r.case_id(),
        [&](pb::Case& k) {
          reopen(k, r.actor(), at(r.at_ms()));
          cancel_follow_ups(k);
        },
        std::move(extra));
    announce_reopened(c);
    return c;
  }

  void announce_reopened(const pb::Case& c) {
    pb::CaseReopened event;
    event.set_case_id(c.case_id());
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    event.set_reopens(reopen_count(c));
    ctx_->publish("service_followup.case_reopened", event);
    if (reopen_count(c) >= rules_.reopens_at_risk) {
      at_risk(c, {fmt::format("case {} reopened {} times", c.case_id(), reopen_count(c))});
    }
  }

  void announce_closed(const pb::Case& c, const std::string& by) {
    pb::CaseClosed event;
    event.set_case_id(c.case_id());
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    event.set_closed_by(by);
    ctx_->publish("service_followup.case_closed", event);
  }

  void check_contacts_at_risk(const pb::Case& c, std::int64_t at_ms) {
    const std::string prefix = "contact/" + c.account_id() + "/";
    // Keys sort by time: start the scan at the window, not at the account's first contact. The
    // bound is a prefix of every key at that millisecond, so start_after still includes them.
    std::string after = fmt::format("{}{:015d}", prefix, at_ms - rules_.contacts_window_ms);
    int contacts = 0;
    do {
      auto page = store().scan(prefix, after, 500);
      contacts += static_cast<int>(page.items.size());
      after = page.next_after;
    } while (!after.empty());
    if (contacts >= rules_.contacts_at_risk) {
      at_risk(c, {fmt::format("{} customer contacts on account {} within {} days", contacts,
                              c.account_id(), rules_.contacts_window_ms / kDayMs)});
    }
  }

  void at_risk(const pb::Case& c, const std::vector<std::string>& evidence) {
    pb::AccountAtRisk event;
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    for (const auto& e : evidence) event.add_evidence(e);
    ctx_->publish("service_followup.account_at_risk", event);
  }

  void on_due(const coach::DueEntry& due) {
    auto entry = due.as<pb::FollowUpEntry>();
    if (!entry) throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE, "due entry is not a FollowUpEntry");
    std::int64_t version = 0;
    auto c = store().get<pb::Case>("case/" + entry->case_id(), &version);
    if (!c) return;  // the case is gone: nothing to do
    // A rule applies once: only the entry the case still names, and it is cleared when applied.
    if (entry->kind() == "auto_close" && c->auto_close_entry() == due.id &&
        c->state() == pb::CASE_STATE_SOLVED) {
      close(*c, "auto", std::max(due.due_ms, c->last_event_ms()), true);
      c->set_auto_close_entry(0);
      if (c->check_in_entry()) ctx_->cancel(c->check_in_entry());
      c->set_check_in_entry(0);
      if (!store().compare_and_set("case/" + c->case_id(), version, *c))
        throw Error(v1::STATUS_CODE_UNAVAILABLE, "case changed concurrently; retried later");
      announce_closed(*c, "auto");
    } else if (entry->kind() == "check_in" && c->check_in_entry() == due.id) {
      c->set_check_in_entry(0);
      auto* e = c->add_history();
      e->set_kind("check_in_due");
      e->set_actor("scheduler");
      e->set_at_ms(due.due_ms);
      if (!store().compare_and_set("case/" + c->case_id(), version, *c))
        throw Error(v1::STATUS_CODE_UNAVAILABLE, "case changed concurrently; retried later");
      pb::FollowUpDue event;
      event.set_case_id(c->case_id());
      event.set_account_id(c->account_id());
      event.set_salesperson_id(c->salesperson_id());
      event.set_kind("satisfaction_check_in");
      event.set_due_ms(due.due_ms);
      ctx_->publish("service_followup.follow_up_due", event);
    }
  }

  pb::CaseList list(const pb::ListAccountCasesRequest& r) {
    require_id("account_id", r.account_id());
    const std::string prefix = "account/" + r.account_id() + "/";
    pb::CaseList out;
    for (const auto& item : store().scan_all(prefix))
      *out.add_cases() = load(item.key.substr(prefix.size()));
    if (out.cases().empty())
      throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no cases for '" + r.account_id() + "'");
    return out;
  }

  std::vector<pb::Case> select(const pb::MeasuresRequest& r) {
    std::vector<pb::Case> out;
    for (const auto& item : store().scan_all("case/")) {
      auto c = Store::parse<pb::Case>(item);
      if (!r.agent_id().empty() && c.agent_id() != r.agent_id()) continue;
      if (!r.team_id().empty() && c.team_id() != r.team_id()) continue;
      if (!r.account_id().empty() && c.account_id() != r.account_id()) continue;
      if (r.from_ms() && c.opened_ms() < r.from_ms()) continue;
      if (r.to_ms() && c.opened_ms() >= r.to_ms()) continue;
      out.push_back(std::move(c));
    }
    return out;
  }

  // One row for the scope asked, then one per agent in it.
  pb::MeasuresCsv csv(const pb::MeasuresRequest& r) {
    auto cases = select(r);
    std::map<std::string, std::vector<pb::Case>> by_agent;
    for (const auto& c : cases)
      by_agent[c.agent_id().empty() ? "(none)" : c.agent_id()].push_back(c);
    std::ostringstream out;
    out << "scope,cases,resolved,one_touch,one_touch_rate,reopens,reopens_per_case,"
           "repeat_contacts,repeat_contact_rate,first_resolution_median_h,"
           "first_resolution_p90_h,full_resolution_median_h,full_resolution_p90_h,"
           "confirmed_root_cause_share\n";
    auto row = [&](const std::string& scope, const pb::Measures& m) {
      out << scope << ',' << m.cases() << ',' << m.resolved() << ',' << m.one_touch() << ','
          << m.one_touch_rate() << ',' << m.reopens() << ',' << m.reopens_per_case() << ','
          << m.repeat_contacts() << ',' << m.repeat_contact_rate() << ','
          << m.first_resolution_median_h() << ',' << m.first_resolution_p90_h() << ','
          << m.full_resolution_median_h() << ',' << m.full_resolution_p90_h() << ','
          << m.confirmed_root_cause_share() << '\n';
    };
    row("all", measures(cases));
    for (const auto& [agent, list] : by_agent) row("agent:" + agent, measures(list));
    pb::MeasuresCsv reply;
    reply.set_csv(out.str());
    return reply;
  }

  // One line of an import file; the line's event_id is stored in the same commit as its effect.
  pb::ImportReply import(const pb::ImportEvent& e) {
    require_id("event_id", e.event_id());
    if (e.at_ms() <= 0) throw invalid_argument("at_ms", "required (ms since the epoch)");
    pb::ImportReply reply;
    const std::string marker = "import/" + e.event_id();
    if (store().get_bytes(marker)) {
      reply.set_outcome("duplicate");
      return reply;
    }
    WriteBatch seen;
    seen.put_bytes(marker, "", kMustNotExist);
    if (e.kind() == "opened") {
      pb::OpenCaseRequest r;
      r.set_case_id(e.case_id());
      r.set_account_id(e.account_id());
      r.set_salesperson_id(e.salesperson_id());
      r.set_agent_id(e.actor());
      r.set_team_id(e.team_id());
      r.set_subject(e.subject());
      open(r, e.at_ms(), std::move(seen));
    } else if (e.kind() == "customer_contact") {
      contact(action(e), std::move(seen));
    } else if (e.kind() == "agent_reply") {
      change(
          e.case_id(), [&](pb::Case& c) { agent_reply(c, e.actor(), e.at_ms()); }, std::move(seen));
    } else if (e.kind() == "pending") {
      change(
          e.case_id(), [&](pb::Case& c) { set_pending(c, e.actor(), e.at_ms()); }, std::move(seen));
    } else if (e.kind() == "solved") {
      pb::SolveCaseRequest r;
      r.set_case_id(e.case_id());
      r.set_agent_id(e.actor());
      *r.mutable_root_cause() = e.root_cause();
      r.set_at_ms(e.at_ms());
      solve_case(r, std::move(seen));
    } else if (e.kind() == "reopened") {
      reopen_case(action(e), std::move(seen));
    } else if (e.kind() == "closed") {
      auto c = change(
          e.case_id(),
          [&](pb::Case& k) {
            close(k, e.actor(), e.at_ms(), false);
            cancel_follow_ups(k);
          },
          std::move(seen));
      announce_closed(c, e.actor());
    } else {
      throw invalid_argument("kind", "'" + e.kind() +
                                         "' is not one of opened, customer_contact, agent_reply, "
                                         "pending, solved, reopened, closed");
    }
    reply.set_outcome("applied");
    return reply;
  }

  static pb::CaseActionRequest action(const pb::ImportEvent& e) {
    pb::CaseActionRequest r;
    r.set_case_id(e.case_id());
    r.set_actor(e.actor());
    r.set_at_ms(e.at_ms());
    return r;
  }

  coach::PluginContext* ctx_ = nullptr;
  Rules rules_;
};

}  // namespace
}  // namespace coach::service_followup

COACH_PLUGIN(coach::service_followup::ServiceFollowup)
