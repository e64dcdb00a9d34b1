// SPDX-License-Identifier: Apache-2.0
#include "case_importer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace coach::service_followup {

namespace {

pb::CaseActionRequest action(const pb::ImportEvent& e) {
  pb::CaseActionRequest r;
  r.set_case_id(e.case_id());
  r.set_actor(e.actor());
  r.set_at_ms(e.at_ms());
  return r;
}

}  // namespace

CaseImporter::CaseImporter(PluginContext& ctx, CaseService& cases)
    : ctx_(ctx),
      cases_(cases),
      settle_ms_(
          static_cast<std::int64_t>(ctx.config().get_double("import_settle_minutes") * 60'000)) {}

pb::ImportReply CaseImporter::import(const pb::ImportEvent& e) {
  pb::ImportBatchRequest one;
  *one.add_events() = e;
  auto result = import_batch(one).results(0);
  if (result.code() != v1::STATUS_CODE_OK)
    throw Error(static_cast<v1::StatusCode>(result.code()), result.message());
  pb::ImportReply reply;
  reply.set_outcome(result.outcome());
  return reply;
}

pb::ImportBatchReply CaseImporter::import_batch(const pb::ImportBatchRequest& r) {
  if (r.events_size() > kMaxBatch)
    throw invalid_argument("events", fmt::format("at most {} per batch", kMaxBatch));
  pb::ImportBatchReply reply;
  StagedStore staged(ctx_.store());
  CaseService::ImportBatch batch;
  auto& after = cases_.after_;
  auto& store = cases_.cases_;
  after.clear();
  bool applied = false;
  {
    CaseService::Staging staging(cases_, staged, &batch);
    for (const auto& e : r.events()) {
      auto* result = reply.add_results();
      const auto effects_before = after.size();
      staged.begin_unit();
      try {
        result->set_outcome(import_line(e));
        staged.keep_unit();
        store.keep_deltas();
        applied |= result->outcome() == "applied";
      } catch (const Error& error) {
        staged.drop_unit();
        store.drop_deltas();
        after.drop_after(effects_before);
        result->set_code(error.code());
        result->set_message(error.what());
      }
    }
    if (applied) staged.put_bytes("meta/import_last_ms", std::to_string(ctx_.now_ms()));
    write_deferred(batch);
    WriteBatch days;
    store.write_aggregates(days);
    if (!days.empty() && !staged.commit(days))
      throw Error(v1::STATUS_CODE_CONFLICT, "daily aggregates changed; send the batch again");
  }
  if (!staged.flush()) {
    throw Error(v1::STATUS_CODE_CONFLICT,
                "cases changed while this import batch was applied; send it again (lines "
                "already applied are skipped)");
  }
  if (applied) ensure_settle_scheduled();
  after.run(ctx_);
  return reply;
}

std::string CaseImporter::import_line(const pb::ImportEvent& e) {
  require_id("event_id", e.event_id());
  require_id("case_id", e.case_id());
  if (e.at_ms() <= 0) throw invalid_argument("at_ms", "required (ms since the epoch)");
  if (auto c = cases_.cases_.find(e.case_id())) {
    const auto& seen = c->imported_events();
    if (std::find(seen.begin(), seen.end(), e.event_id()) != seen.end()) return "duplicate";
  }
  auto& line = cases_.import_->event_id;
  struct Marking {
    std::string& slot;
    ~Marking() { slot.clear(); }
  } marking{line = e.event_id()};
  if (e.kind() == "opened") {
    pb::OpenCaseRequest r;
    r.set_case_id(e.case_id());
    r.set_account_id(e.account_id());
    r.set_salesperson_id(e.salesperson_id());
    r.set_agent_id(e.actor());
    r.set_team_id(e.team_id());
    r.set_subject(e.subject());
    cases_.open_at(r, e.at_ms());
  } else if (e.kind() == "customer_contact") {
    cases_.contact_at(action(e));
  } else if (e.kind() == "agent_reply") {
    cases_.reply_at(action(e));
  } else if (e.kind() == "pending") {
    cases_.pending_at(action(e));
  } else if (e.kind() == "solved") {
    pb::SolveCaseRequest r;
    r.set_case_id(e.case_id());
    r.set_agent_id(e.actor());
    *r.mutable_root_cause() = e.root_cause();
    r.set_at_ms(e.at_ms());
    cases_.solve_at(r);
  } else if (e.kind() == "reopened") {
    cases_.reopen_at(action(e));
  } else if (e.kind() == "closed") {
    cases_.close_at(action(e));
  } else {
    throw invalid_argument("kind", "'" + e.kind() +
                                       "' is not one of opened, customer_contact, agent_reply, "
                                       "pending, solved, reopened, closed");
  }
  return "applied";
}

// The deferred record of an import batch (ids one per line); nothing when there are none.
void CaseImporter::write_deferred(CaseService::ImportBatch& batch) {
  if (batch.deferred.empty()) return;
  std::string ids;
  for (const auto& id : batch.deferred) ids += id + "\n";
  batch.deferred.clear();
  cases_.store().put_bytes(
      fmt::format("deferred/{:015d}-{:06d}", ctx_.now_ms(), ++deferred_seq_ % 1000000),
      std::move(ids));
}

void CaseImporter::ensure_settle_scheduled() {
  WriteBatch claim;
  claim.put_bytes("meta/import_settle", "", kMustNotExist);
  if (!ctx_.store().commit(claim)) return;  // one is pending already
  schedule_settle(ctx_.now_ms() + settle_ms_);
}

void CaseImporter::schedule_settle(std::int64_t due_ms) {
  pb::FollowUpEntry settle;
  settle.set_kind("import_settle");
  ctx_.schedule(std::chrono::system_clock::time_point(std::chrono::milliseconds(due_ms)),
                "service_followup.import_settle", settle);
}

void CaseImporter::settle(const DueEntry&) {
  auto& store = ctx_.store();
  const auto now = ctx_.now_ms();
  std::int64_t last = 0;
  if (auto v = store.get_bytes("meta/import_last_ms"))
    std::from_chars(v->value.data(), v->value.data() + v->value.size(), last);
  if (now < last + settle_ms_) {
    schedule_settle(last + settle_ms_);  // an import is still going on
    return;
  }
  auto page = store.scan("deferred/", "", 1);  // one import batch's cases per delivery
  cases_.after_.clear();
  StagedStore staged(store);
  {
    // Settling is history's work: its past check-ins are not announced.
    CaseService::Staging staging(cases_, staged, nullptr);
    for (const auto& item : page.items) {
      staged.erase(item.key);
      std::string_view ids(item.value);
      while (!ids.empty()) {
        const auto end = ids.find('\n');
        cases_.settle(std::string(ids.substr(0, end)), now);
        ids = end == std::string_view::npos ? std::string_view() : ids.substr(end + 1);
      }
    }
    cases_.cases_.keep_deltas();
    WriteBatch days;
    cases_.cases_.write_aggregates(days);
    if (!days.empty() && !staged.commit(days))
      throw Error(v1::STATUS_CODE_CONFLICT, "daily aggregates changed; retried later");
  }
  if (!staged.flush()) throw Error(v1::STATUS_CODE_CONFLICT, "cases changed; retried later");
  cases_.after_.run(ctx_);
  if (!page.next_after.empty()) {
    schedule_settle(now);  // more to settle: the next batch right after this one
  } else {
    store.erase("meta/import_settle");
  }
}

}  // namespace coach::service_followup
