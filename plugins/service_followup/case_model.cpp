// SPDX-License-Identifier: Apache-2.0
#include "case_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace coach::service_followup {

namespace {

Error illegal(const pb::Case& c, const std::string& action) {
  return Error(v1::STATUS_CODE_FAILED_PRECONDITION,
               fmt::format("case_id: cannot {} case '{}' while it is {}", action, c.case_id(),
                           state_name(c.state())));
}

void check_time(const pb::Case& c, std::int64_t at_ms) {
  if (at_ms < c.last_event_ms()) {
    throw invalid_argument(
        "at_ms", fmt::format("{} is before the case's last event ({})", at_ms, c.last_event_ms()));
  }
}

void record(pb::Case& c, const std::string& kind, const std::string& actor, std::int64_t at_ms,
            const std::string& note = "") {
  auto* e = c.add_history();
  e->set_kind(kind);
  e->set_actor(actor);
  e->set_at_ms(at_ms);
  e->set_note(note);
  c.set_last_event_ms(at_ms);
}

double round3(double x) { return std::round(x * 1000) / 1000; }

}  // namespace

void validate_rules(const Rules& r) {
  if (r.close_after_ms < kHourMs || r.close_after_ms > 28 * kDayMs)
    throw invalid_argument("close_after_hours", "must be between 1 hour and 28 days");
  if (r.check_in_after_ms < kHourMs || r.check_in_after_ms > 28 * kDayMs)
    throw invalid_argument("check_in_after_hours", "must be between 1 hour and 28 days");
  if (r.reopens_at_risk < 1) throw invalid_argument("reopens_at_risk", "at least 1");
  if (r.contacts_at_risk < 1) throw invalid_argument("contacts_at_risk", "at least 1");
  if (r.contacts_window_ms < kHourMs) throw invalid_argument("contacts_window_days", "too short");
  if (r.categories.empty()) throw invalid_argument("categories", "at least one is needed");
}

const char* state_name(pb::CaseState s) {
  switch (s) {
    case pb::CASE_STATE_OPEN:
      return "open";
    case pb::CASE_STATE_PENDING:
      return "pending";
    case pb::CASE_STATE_SOLVED:
      return "solved";
    case pb::CASE_STATE_CLOSED:
      return "closed";
    default:
      return "unknown";
  }
}

int reopen_count(const pb::Case& c) { return std::max(c.reopens(), c.solves() - 1); }

pb::Case open_case(const pb::OpenCaseRequest& r, std::int64_t at_ms) {
  require_id("case_id", r.case_id());
  require_id("account_id", r.account_id());
  if (!r.salesperson_id().empty()) require_id("salesperson_id", r.salesperson_id());
  if (!r.agent_id().empty()) require_id("agent_id", r.agent_id());
  if (!r.team_id().empty()) require_id("team_id", r.team_id());
  pb::Case c;
  c.set_case_id(r.case_id());
  c.set_account_id(r.account_id());
  c.set_salesperson_id(r.salesperson_id());
  c.set_agent_id(r.agent_id());
  c.set_team_id(r.team_id());
  c.set_subject(r.subject());
  c.set_state(pb::CASE_STATE_OPEN);
  c.set_opened_ms(at_ms);
  c.set_customer_contacts(1);  // the contact that opened it
  record(c, "opened", r.agent_id(), at_ms, r.subject());
  return c;
}

ContactOutcome customer_contact(pb::Case& c, const std::string& actor, std::int64_t at_ms) {
  check_time(c, at_ms);
  if (c.state() == pb::CASE_STATE_CLOSED) return ContactOutcome::kClosedCase;
  c.set_customer_contacts(c.customer_contacts() + 1);
  record(c, "customer_contact", actor, at_ms);
  if (c.state() == pb::CASE_STATE_PENDING || c.state() == pb::CASE_STATE_SOLVED) {
    c.set_state(pb::CASE_STATE_OPEN);
    c.set_reopens(c.reopens() + 1);
    record(c, "reopened", actor, at_ms, "customer contact");
    return ContactOutcome::kReopened;
  }
  return ContactOutcome::kRecorded;
}

void agent_reply(pb::Case& c, const std::string& actor, std::int64_t at_ms) {
  check_time(c, at_ms);
  if (c.state() != pb::CASE_STATE_OPEN && c.state() != pb::CASE_STATE_PENDING)
    throw illegal(c, "reply to");
  c.set_agent_replies(c.agent_replies() + 1);
  record(c, "agent_reply", actor, at_ms);
}

void set_pending(pb::Case& c, const std::string& actor, std::int64_t at_ms) {
  check_time(c, at_ms);
  if (c.state() != pb::CASE_STATE_OPEN) throw illegal(c, "set pending");
  c.set_state(pb::CASE_STATE_PENDING);
  record(c, "pending", actor, at_ms);
}

void solve(pb::Case& c, const std::string& agent, const pb::RootCause& root, std::int64_t at_ms,
           const Rules& rules) {
  check_time(c, at_ms);
  if (c.state() != pb::CASE_STATE_OPEN && c.state() != pb::CASE_STATE_PENDING)
    throw illegal(c, "solve");
  if (root.category().empty() || root.cause().empty() || root.fix().empty()) {
    throw invalid_argument("root_cause",
                           "a case is solved at the root: category, cause and fix are required");
  }
  if (std::find(rules.categories.begin(), rules.categories.end(), root.category()) ==
      rules.categories.end()) {
    std::string known;
    for (const auto& k : rules.categories) known += (known.empty() ? "" : ", ") + k;
    throw invalid_argument("root_cause.category",
                           fmt::format("'{}' is not in the taxonomy ({})", root.category(), known));
  }
  c.set_state(pb::CASE_STATE_SOLVED);
  *c.mutable_root_cause() = root;
  c.set_solves(c.solves() + 1);
  if (c.first_solved_ms() == 0) c.set_first_solved_ms(at_ms);
  c.set_last_solved_ms(at_ms);
  if (!agent.empty()) c.set_agent_id(agent);
  record(c, "solved", agent, at_ms, root.category());
}

void reopen(pb::Case& c, const std::string& actor, std::int64_t at_ms) {
  check_time(c, at_ms);
  if (c.state() != pb::CASE_STATE_SOLVED && c.state() != pb::CASE_STATE_PENDING)
    throw illegal(c, "reopen");
  c.set_state(pb::CASE_STATE_OPEN);
  c.set_reopens(c.reopens() + 1);
  record(c, "reopened", actor, at_ms);
}

void close(pb::Case& c, const std::string& actor, std::int64_t at_ms, bool automatic) {
  check_time(c, at_ms);
  if (c.state() != pb::CASE_STATE_SOLVED) throw illegal(c, "close");
  c.set_state(pb::CASE_STATE_CLOSED);
  c.set_closed_ms(at_ms);
  record(c, automatic ? "auto_closed" : "closed", actor, at_ms);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

pb::Measures measures(const std::vector<pb::Case>& cases) {
  pb::Measures m;
  std::vector<double> first, full;
  int confirmed = 0;
  for (const auto& c : cases) {
    m.set_cases(m.cases() + 1);
    m.set_reopens(m.reopens() + reopen_count(c));
    if (!c.follow_up_of().empty()) m.set_repeat_contacts(m.repeat_contacts() + 1);
    const bool resolved = c.state() == pb::CASE_STATE_SOLVED || c.state() == pb::CASE_STATE_CLOSED;
    if (!resolved) continue;
    m.set_resolved(m.resolved() + 1);
    if (c.agent_replies() < 2) m.set_one_touch(m.one_touch() + 1);
    first.push_back(static_cast<double>(c.first_solved_ms() - c.opened_ms()) / kHourMs);
    full.push_back(static_cast<double>(c.last_solved_ms() - c.opened_ms()) / kHourMs);
    confirmed += c.root_cause().customer_confirmed();
  }
  if (m.cases() > 0) {
    m.set_reopens_per_case(round3(static_cast<double>(m.reopens()) / m.cases()));
    m.set_repeat_contact_rate(round3(static_cast<double>(m.repeat_contacts()) / m.cases()));
  }
  if (m.resolved() > 0) {
    m.set_one_touch_rate(round3(static_cast<double>(m.one_touch()) / m.resolved()));
    m.set_confirmed_root_cause_share(round3(static_cast<double>(confirmed) / m.resolved()));
  }
  m.set_first_resolution_median_h(round3(percentile(first, 0.5)));
  m.set_first_resolution_p90_h(round3(percentile(first, 0.9)));
  m.set_full_resolution_median_h(round3(percentile(full, 0.5)));
  m.set_full_resolution_p90_h(round3(percentile(full, 0.9)));
  return m;
}

}  // namespace coach::service_followup
