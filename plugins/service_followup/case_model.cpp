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
  c.set_auto_close_due_ms(at_ms + rules.close_after_ms);
  c.set_check_in_due_ms(at_ms + rules.check_in_after_ms);
}

std::vector<std::int64_t> clear_follow_ups(pb::Case& c) {
  std::vector<std::int64_t> entries;
  for (auto id : {c.auto_close_entry(), c.check_in_entry()}) {
    if (id) entries.push_back(id);
  }
  c.set_auto_close_entry(0);
  c.set_check_in_entry(0);
  c.set_auto_close_due_ms(0);
  c.set_check_in_due_ms(0);
  return entries;
}

std::vector<Applied> apply_due(pb::Case& c, std::int64_t until_ms,
                               std::vector<std::int64_t>& entries_done) {
  std::vector<Applied> applied;
  for (;;) {
    const auto check_in = c.check_in_due_ms();
    const auto auto_close = c.auto_close_due_ms();
    const bool check_in_due = check_in > 0 && check_in <= until_ms;
    const bool close_due = auto_close > 0 && auto_close <= until_ms;
    if (check_in_due && (!close_due || check_in <= auto_close)) {
      // A history may hold events after the due time already (a live case caught up late).
      const auto at = std::max(check_in, c.last_event_ms());
      auto* e = c.add_history();
      e->set_kind("check_in_due");
      e->set_actor("scheduler");
      e->set_at_ms(at);
      c.set_last_event_ms(at);
      if (c.check_in_entry()) entries_done.push_back(c.check_in_entry());
      c.set_check_in_entry(0);
      c.set_check_in_due_ms(0);
      applied.push_back({Applied::Kind::kCheckIn, check_in});
    } else if (close_due) {
      if (c.state() == pb::CASE_STATE_SOLVED) {
        close(c, "auto", std::max(auto_close, c.last_event_ms()), true);
        applied.push_back({Applied::Kind::kAutoClose, auto_close});
      }
      for (auto id : clear_follow_ups(c)) entries_done.push_back(id);
    } else {
      return applied;
    }
  }
}

pb::CaseFacts facts_of(const pb::Case& c) {
  pb::CaseFacts f;
  f.set_opened_ms(c.opened_ms());
  f.set_reopens(reopen_count(c));
  f.set_repeat_contact(!c.follow_up_of().empty());
  const bool resolved = c.state() == pb::CASE_STATE_SOLVED || c.state() == pb::CASE_STATE_CLOSED;
  if (resolved) {
    f.set_resolved(true);
    f.set_one_touch(c.agent_replies() < 2);
    f.set_first_resolution_ms(c.first_solved_ms() - c.opened_ms());
    f.set_full_resolution_ms(c.last_solved_ms() - c.opened_ms());
    f.set_confirmed(c.root_cause().customer_confirmed());
  }
  return f;
}

std::int64_t round_resolution_ms(std::int64_t ms) {
  if (ms <= 0) return 0;
  const double hours = static_cast<double>(ms) / kHourMs;
  const double scale = std::pow(10.0, std::floor(std::log10(hours)) - 2);
  return std::llround(std::round(hours / scale) * scale * kHourMs);
}

void fold(pb::DayMeasures& day, const pb::CaseFacts& f, int sign) {
  day.set_cases(day.cases() + sign);
  day.set_reopens(day.reopens() + sign * f.reopens());
  if (f.repeat_contact()) day.set_repeat_contacts(day.repeat_contacts() + sign);
  if (!f.resolved()) return;
  day.set_resolved(day.resolved() + sign);
  if (f.one_touch()) day.set_one_touch(day.one_touch() + sign);
  if (f.confirmed()) day.set_confirmed(day.confirmed() + sign);
  auto bump = [sign](google::protobuf::Map<std::int64_t, std::int32_t>& h, std::int64_t ms) {
    const auto key = round_resolution_ms(ms);
    if ((h[key] += sign) <= 0) h.erase(key);
  };
  bump(*day.mutable_first_resolution(), f.first_resolution_ms());
  bump(*day.mutable_full_resolution(), f.full_resolution_ms());
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

double percentile(const Counts& sorted, double p) {
  std::int64_t total = 0;
  for (const auto& [value, count] : sorted) total += count;
  if (total == 0) return 0;
  const auto rank = std::clamp<std::int64_t>(
      static_cast<std::int64_t>(std::ceil(p * static_cast<double>(total))), 1, total);
  std::int64_t seen = 0;
  for (const auto& [value, count] : sorted) {
    seen += count;
    if (seen >= rank) return static_cast<double>(value);
  }
  return static_cast<double>(sorted.back().first);
}

void MeasuresAccumulator::add(const pb::CaseFacts& f) {
  ++cases_;
  reopens_ += f.reopens();
  repeats_ += f.repeat_contact();
  if (!f.resolved()) return;
  ++resolved_;
  one_touch_ += f.one_touch();
  confirmed_ += f.confirmed();
  first_.emplace_back(f.first_resolution_ms(), 1);
  full_.emplace_back(f.full_resolution_ms(), 1);
}

void MeasuresAccumulator::add(const pb::DayMeasures& day) {
  cases_ += day.cases();
  reopens_ += day.reopens();
  repeats_ += day.repeat_contacts();
  resolved_ += day.resolved();
  one_touch_ += day.one_touch();
  confirmed_ += day.confirmed();
  for (const auto& [ms, n] : day.first_resolution()) first_.emplace_back(ms, n);
  for (const auto& [ms, n] : day.full_resolution()) full_.emplace_back(ms, n);
}

pb::Measures MeasuresAccumulator::result() const {
  pb::Measures m;
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return round3(static_cast<double>(a) / static_cast<double>(b));
  };
  m.set_cases(static_cast<std::int32_t>(cases_));
  m.set_resolved(static_cast<std::int32_t>(resolved_));
  m.set_one_touch(static_cast<std::int32_t>(one_touch_));
  m.set_reopens(static_cast<std::int32_t>(reopens_));
  m.set_repeat_contacts(static_cast<std::int32_t>(repeats_));
  if (cases_ > 0) {
    m.set_reopens_per_case(ratio(reopens_, cases_));
    m.set_repeat_contact_rate(ratio(repeats_, cases_));
  }
  if (resolved_ > 0) {
    m.set_one_touch_rate(ratio(one_touch_, resolved_));
    m.set_confirmed_root_cause_share(ratio(confirmed_, resolved_));
  }
  auto hours = [](double ms) { return round3(ms / kHourMs); };
  std::sort(first_.begin(), first_.end());
  std::sort(full_.begin(), full_.end());
  m.set_first_resolution_median_h(hours(percentile(first_, 0.5)));
  m.set_first_resolution_p90_h(hours(percentile(first_, 0.9)));
  m.set_full_resolution_median_h(hours(percentile(full_, 0.5)));
  m.set_full_resolution_p90_h(hours(percentile(full_, 0.9)));
  return m;
}

pb::Measures measures(const std::vector<pb::Case>& cases) {
  MeasuresAccumulator acc;
  for (const auto& c : cases) acc.add(facts_of(c));
  return acc.result();
}

}  // namespace coach::service_followup
