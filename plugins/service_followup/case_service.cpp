// SPDX-License-Identifier: Apache-2.0
#include "case_service.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace coach::service_followup {

namespace {

std::string contact_key(const std::string& account, std::int64_t at_ms,
                        const std::string& case_id) {
  return fmt::format("contact/{}/{:015d}-{}", account, at_ms, case_id);
}

// A page's size: the one asked, at most 500; 100 when none is.
std::uint32_t page_size_of(std::int32_t asked) {
  if (asked < 0) throw invalid_argument("page_size", "must not be negative");
  return static_cast<std::uint32_t>(asked ? std::min(asked, 500) : 100);
}

}  // namespace

CaseService::CaseService(PluginContext& ctx) : ctx_(ctx), cases_(ctx.store()) {
  const auto& config = ctx.config();
  rules_.close_after_ms =
      static_cast<std::int64_t>(config.get_double("close_after_hours") * kHourMs);
  rules_.check_in_after_ms =
      static_cast<std::int64_t>(config.get_double("check_in_after_hours") * kHourMs);
  rules_.reopens_at_risk = static_cast<int>(config.get_int("reopens_at_risk"));
  rules_.contacts_at_risk = static_cast<int>(config.get_int("contacts_at_risk"));
  rules_.contacts_window_ms =
      static_cast<std::int64_t>(config.get_double("contacts_window_days") * kDayMs);
  rules_.categories = config.get_list("categories");
  at_risk_ms_ = static_cast<std::int64_t>(config.get_double("at_risk_days") * kDayMs);
  validate_rules(rules_);
}

CaseService::Staging::Staging(CaseService& service, StagedStore& staged, ImportBatch* batch)
    : service_(service) {
  service_.cases_.use(staged);
  service_.cases_.defer_aggregates(true);
  service_.staging_ = true;
  service_.import_ = batch;
}

CaseService::Staging::~Staging() {
  service_.cases_.defer_aggregates(false);
  service_.cases_.use(service_.ctx_.store());
  service_.staging_ = false;
  service_.import_ = nullptr;
}

// --- The rpcs ---

pb::Case CaseService::open_case(const pb::OpenCaseRequest& r) {
  return committed([&] { return open_at(r, at(r.at_ms())); });
}

pb::ContactReply CaseService::customer_contact(const pb::CaseActionRequest& r) {
  return committed([&] { return contact_at(r); });
}

pb::Case CaseService::agent_reply(const pb::CaseActionRequest& r) {
  return committed([&] { return reply_at(r); });
}

pb::Case CaseService::set_pending(const pb::CaseActionRequest& r) {
  return committed([&] { return pending_at(r); });
}

pb::Case CaseService::solve_case(const pb::SolveCaseRequest& r) {
  return committed([&] { return solve_at(r); });
}

pb::Case CaseService::reopen_case(const pb::CaseActionRequest& r) {
  return committed([&] { return reopen_at(r); });
}

pb::Case CaseService::close_case(const pb::CaseActionRequest& r) {
  return committed([&] { return close_at(r); });
}

pb::Case CaseService::get_case(const pb::GetCaseRequest& r) { return load(r.case_id()); }

pb::CaseList CaseService::list_account_cases(const pb::ListAccountCasesRequest& r) {
  require_id("account_id", r.account_id());
  pb::CaseList out;
  std::string next;
  for (auto& c :
       cases_.account_cases(r.account_id(), r.page_token(), page_size_of(r.page_size()), next))
    *out.add_cases() = std::move(c);
  out.set_next_page_token(next);
  if (out.cases().empty() && r.page_token().empty())
    throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no cases for '" + r.account_id() + "'");
  return out;
}

pb::Measures CaseService::get_measures(const pb::MeasuresRequest& r) { return cases_.measures(r); }

pb::MeasuresCsv CaseService::get_measures_csv(const pb::MeasuresRequest& r) {
  pb::MeasuresCsv reply;
  reply.set_csv(cases_.measures_csv(r));
  return reply;
}

pb::ReindexReply CaseService::reindex(const pb::ReindexRequest& r) {
  if (r.page_size() < 0 || r.page_size() > 1000)
    throw invalid_argument("page_size", "must be between 0 (500) and 1000");
  pb::ReindexReply reply;
  StagedStore staged(ctx_.store());
  {
    Staging staging(*this, staged, nullptr);
    std::string next;
    const auto cases = cases_.cases_after(
        r.page_token(), r.page_size() ? static_cast<std::uint32_t>(r.page_size()) : 500, next);
    WriteBatch batch;
    for (const auto& c : cases)
      reply.set_indexed(reply.indexed() + cases_.index_if_missing(batch, c));
    reply.set_scanned(static_cast<std::int32_t>(cases.size()));
    reply.set_next_page_token(next);
    cases_.keep_deltas();
    cases_.write_aggregates(batch);
    if (!batch.empty() && !store().commit(batch))
      throw Error(v1::STATUS_CODE_CONFLICT, "aggregates changed concurrently, retry");
  }
  if (!staged.flush()) throw Error(v1::STATUS_CODE_CONFLICT, "cases changed, retry");
  return reply;
}

void CaseService::on_due(const DueEntry& due) {
  auto entry = due.as<pb::FollowUpEntry>();
  if (!entry) throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE, "due entry is not a FollowUpEntry");
  after_.clear();
  std::int64_t version = 0;
  const auto before = cases_.find(entry->case_id(), &version);
  if (!before) return;  // the case is gone: nothing to do
  // Applies what the case still has due by this entry's time: once, since applying clears it.
  auto c = *before;
  catch_up(c, due.due_ms);
  if (c.SerializeAsString() != before->SerializeAsString()) save(*before, version, c);
  after_.run(ctx_);
}

// --- The work behind them ---

pb::Case CaseService::load(const std::string& id, std::int64_t* version) {
  require_id("case_id", id);
  auto c = cases_.find(id, version);
  if (!c) throw Error(v1::STATUS_CODE_NOT_FOUND, "case_id: no case '" + id + "'");
  return *c;
}

template <typename Fn>
pb::Case CaseService::change(const std::string& id, std::int64_t at_ms, Fn&& fn) {
  std::int64_t version = 0;
  const auto before = load(id, &version);
  auto c = before;
  catch_up(c, at_ms);
  fn(c);
  after_change(c);
  save(before, version, c);
  return c;
}

// Applies the consequences of c's earlier events due by at_ms, as their entries would have.
void CaseService::catch_up(pb::Case& c, std::int64_t at_ms) {
  std::vector<std::int64_t> done;
  for (const auto& a : apply_due(c, at_ms, done)) {
    if (a.kind == Applied::Kind::kAutoClose) {
      announce_closed(c, "auto");
    } else if (!staging_) {
      announce_check_in(c, a.due_ms);  // history's check-ins are past: not announced
    }
  }
  after_.cancel(done);
}

// Stores c (read at version; before is its stored form) with its indexes, in one commit.
void CaseService::save(const pb::Case& before, std::int64_t version, pb::Case c, WriteBatch batch) {
  mark_imported(c);
  cases_.stage(batch, &before, version, c);
  if (!store().commit(batch))
    throw Error(v1::STATUS_CODE_CONFLICT,
                "case_id: '" + c.case_id() + "' changed concurrently, retry");
}

// An imported case whose consequences are pending waits for the import to settle.
void CaseService::after_change(const pb::Case& c) {
  if (import_ && (c.auto_close_due_ms() || c.check_in_due_ms()))
    import_->deferred.insert(c.case_id());
}

// The case remembers the import line that changed it, so that line is applied once.
void CaseService::mark_imported(pb::Case& c) const {
  if (import_ && !import_->event_id.empty()) c.add_imported_events(import_->event_id);
}

pb::Case CaseService::open_at(const pb::OpenCaseRequest& r, std::int64_t at_ms) {
  auto c = service_followup::open_case(r, at_ms);
  mark_imported(c);
  WriteBatch batch;
  cases_.stage(batch, nullptr, 0, c);
  add_contact(batch, c.account_id(), at_ms, c.case_id());
  if (!store().commit(batch))
    throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                "case_id: '" + c.case_id() + "' already exists");
  check_contacts_at_risk(c, at_ms);
  return c;
}

// Contacts are read only within the at-risk window; older ones are not kept at all.
void CaseService::add_contact(WriteBatch& batch, const std::string& account, std::int64_t at_ms,
                              const std::string& case_id) {
  const auto expires = at_ms + rules_.contacts_window_ms;
  if (expires <= ctx_.now_ms()) return;
  batch.put_bytes(contact_key(account, at_ms, case_id), "").expiring_at(expires);
}

pb::ContactReply CaseService::contact_at(const pb::CaseActionRequest& r) {
  const auto at_ms = at(r.at_ms());
  pb::ContactReply reply;
  std::int64_t version = 0;
  const auto before = load(r.case_id(), &version);
  auto c = before;
  catch_up(c, at_ms);
  const auto outcome = service_followup::customer_contact(c, r.actor(), at_ms);
  if (outcome == ContactOutcome::kClosedCase) {
    // A contact on a closed case is a repeat contact: a new follow-up case linked to it.
    pb::OpenCaseRequest follow;
    follow.set_case_id(fmt::format("{}-f{}", c.case_id(), follow_ups(c.case_id()) + 1));
    follow.set_account_id(c.account_id());
    follow.set_salesperson_id(c.salesperson_id());
    follow.set_team_id(c.team_id());
    follow.set_subject("follow-up of " + c.case_id() + (r.note().empty() ? "" : ": " + r.note()));
    auto f = service_followup::open_case(follow, at_ms);
    f.set_follow_up_of(c.case_id());
    WriteBatch batch;
    cases_.stage(batch, nullptr, 0, f);
    add_contact(batch, f.account_id(), at_ms, f.case_id());
    save(before, version, c, std::move(batch));  // c changed if catching up closed it
    pb::RepeatContact event;
    event.set_case_id(f.case_id());
    event.set_follow_up_of(c.case_id());
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    after_.publish("service_followup.repeat_contact", event);
    reply.set_outcome("follow_up_opened");
    *reply.mutable_case_() = c;
    *reply.mutable_follow_up() = f;
    check_contacts_at_risk(f, at_ms);
    return reply;
  }
  if (outcome == ContactOutcome::kReopened) after_.cancel(clear_follow_ups(c));
  after_change(c);
  WriteBatch batch;
  add_contact(batch, c.account_id(), at_ms, c.case_id());
  save(before, version, c, std::move(batch));
  reply.set_outcome(outcome == ContactOutcome::kReopened ? "reopened" : "recorded");
  *reply.mutable_case_() = c;
  if (outcome == ContactOutcome::kReopened) announce_reopened(c);
  check_contacts_at_risk(c, at_ms);
  return reply;
}

pb::Case CaseService::reply_at(const pb::CaseActionRequest& r) {
  return change(r.case_id(), at(r.at_ms()),
                [&](pb::Case& c) { service_followup::agent_reply(c, r.actor(), at(r.at_ms())); });
}

pb::Case CaseService::pending_at(const pb::CaseActionRequest& r) {
  return change(r.case_id(), at(r.at_ms()),
                [&](pb::Case& c) { service_followup::set_pending(c, r.actor(), at(r.at_ms())); });
}

int CaseService::follow_ups(const std::string& case_id) {
  int n = 0;
  while (store().get_bytes(fmt::format("case/{}-f{}", case_id, n + 1))) ++n;
  return n;
}

pb::Case CaseService::solve_at(const pb::SolveCaseRequest& r) {
  const auto at_ms = at(r.at_ms());
  return change(r.case_id(), at_ms, [&](pb::Case& c) {
    solve(c, r.agent_id(), r.root_cause(), at_ms, rules_);
    // An imported solve waits for the import to settle; a live one is scheduled now. An entry
    // whose commit then fails finds nothing due in its case and does nothing.
    if (!staging_) schedule_follow_ups(c);
  });
}

// Schedules the case's pending consequences on the wall clock.
void CaseService::schedule_follow_ups(pb::Case& c) {
  auto entry = [&](const char* kind, std::int64_t due_ms) {
    pb::FollowUpEntry e;
    e.set_case_id(c.case_id());
    e.set_kind(kind);
    return ctx_.schedule(std::chrono::system_clock::time_point(std::chrono::milliseconds(due_ms)),
                         std::string("service_followup.") + kind, e);
  };
  if (c.auto_close_due_ms() && !c.auto_close_entry())
    c.set_auto_close_entry(entry("auto_close", c.auto_close_due_ms()));
  if (c.check_in_due_ms() && !c.check_in_entry())
    c.set_check_in_entry(entry("check_in", c.check_in_due_ms()));
}

void CaseService::settle(const std::string& id, std::int64_t now) {
  std::int64_t version = 0;
  auto before = cases_.find(id, &version);
  if (!before) return;
  auto c = *before;
  catch_up(c, now);
  schedule_follow_ups(c);
  if (c.SerializeAsString() != before->SerializeAsString()) save(*before, version, c);
}

pb::Case CaseService::reopen_at(const pb::CaseActionRequest& r) {
  auto c = change(r.case_id(), at(r.at_ms()), [&](pb::Case& k) {
    reopen(k, r.actor(), at(r.at_ms()));
    after_.cancel(clear_follow_ups(k));
  });
  announce_reopened(c);
  return c;
}

pb::Case CaseService::close_at(const pb::CaseActionRequest& r) {
  auto c = change(r.case_id(), at(r.at_ms()), [&](pb::Case& k) {
    close(k, r.actor(), at(r.at_ms()), false);
    after_.cancel(clear_follow_ups(k));
  });
  announce_closed(c, r.actor());
  return c;
}

void CaseService::announce_reopened(const pb::Case& c) {
  pb::CaseReopened event;
  event.set_case_id(c.case_id());
  event.set_account_id(c.account_id());
  event.set_salesperson_id(c.salesperson_id());
  event.set_reopens(reopen_count(c));
  after_.publish("service_followup.case_reopened", event);
  if (reopen_count(c) >= rules_.reopens_at_risk)
    at_risk(c, {fmt::format("case {} reopened {} times", c.case_id(), reopen_count(c))});
}

void CaseService::announce_closed(const pb::Case& c, const std::string& by) {
  pb::CaseClosed event;
  event.set_case_id(c.case_id());
  event.set_account_id(c.account_id());
  event.set_salesperson_id(c.salesperson_id());
  event.set_closed_by(by);
  after_.publish("service_followup.case_closed", event);
}

void CaseService::announce_check_in(const pb::Case& c, std::int64_t due_ms) {
  pb::FollowUpDue event;
  event.set_case_id(c.case_id());
  event.set_account_id(c.account_id());
  event.set_salesperson_id(c.salesperson_id());
  event.set_kind("satisfaction_check_in");
  event.set_due_ms(due_ms);
  after_.publish("service_followup.follow_up_due", event);
}

void CaseService::check_contacts_at_risk(const pb::Case& c, std::int64_t at_ms) {
  // Contacts are kept only within the window: for an event older than that (an imported
  // history) there is nothing to count, and no account to warn about any more.
  if (at_ms + rules_.contacts_window_ms <= ctx_.now_ms()) return;
  const std::string prefix = "contact/" + c.account_id() + "/";
  // Keys sort by time: start the scan at the window, not at the account's first contact. The
  // bound is a prefix of every key at that millisecond, so start_after still includes them.
  std::string after = fmt::format("{}{:015d}", prefix, at_ms - rules_.contacts_window_ms);
  const std::string end = fmt::format("{}{:015d}", prefix, at_ms + 1);
  int contacts = 0;
  do {
    auto page = store().scan(prefix, after, 500);
    for (const auto& item : page.items) contacts += item.key < end;
    after = page.next_after;
  } while (!after.empty());
  if (contacts >= rules_.contacts_at_risk) {
    at_risk(c, {fmt::format("{} customer contacts on account {} within {} days", contacts,
                            c.account_id(), rules_.contacts_window_ms / kDayMs)});
  }
}

void CaseService::at_risk(const pb::Case& c, const std::vector<std::string>& evidence) {
  pb::AccountAtRisk event;
  event.set_account_id(c.account_id());
  event.set_salesperson_id(c.salesperson_id());
  for (const auto& e : evidence) event.add_evidence(e);
  event.set_at_ms(ctx_.now_ms());
  // On the list while it is recent (the store prunes it after at_risk_days).
  store().commit(
      WriteBatch().put("risk/" + c.account_id(), event).expiring_at(event.at_ms() + at_risk_ms_));
  after_.publish("service_followup.account_at_risk", event);
}

pb::CaseList CaseService::list_open_cases(const pb::ListOpenCasesRequest& r) {
  require_id("agent_id", r.agent_id());
  pb::CaseList out;
  std::string next;
  for (auto& c : cases_.open_cases(r.agent_id(), r.page_token(), page_size_of(r.page_size()), next))
    *out.add_cases() = std::move(c);
  out.set_next_page_token(next);
  return out;
}

pb::CaseList CaseService::list_check_ins_due(const pb::ListCheckInsDueRequest& r) {
  if (r.due_by_ms() < 0) throw invalid_argument("due_by_ms", "must not be negative");
  pb::CaseList out;
  std::string next;
  for (auto& c : cases_.check_ins_due(r.due_by_ms() ? r.due_by_ms() : ctx_.now_ms(), r.page_token(),
                                      page_size_of(r.page_size()), next))
    *out.add_cases() = std::move(c);
  out.set_next_page_token(next);
  return out;
}

pb::AccountsAtRisk CaseService::list_accounts_at_risk(const pb::ListAccountsAtRiskRequest&) {
  pb::AccountsAtRisk out;
  const auto now = ctx_.now_ms();
  for (const auto& item : store().scan_all("risk/")) {
    auto a = Store::parse<pb::AccountAtRisk>(item);
    if (a.at_ms() + at_risk_ms_ > now) *out.add_accounts() = std::move(a);  // not yet pruned
  }
  std::sort(out.mutable_accounts()->begin(), out.mutable_accounts()->end(),
            [](const auto& a, const auto& b) { return a.at_ms() > b.at_ms(); });
  return out;
}

pb::Categories CaseService::get_categories(const pb::GetCategoriesRequest&) {
  pb::Categories out;
  for (const auto& c : rules_.categories) out.add_categories(c);
  return out;
}

}  // namespace coach::service_followup
