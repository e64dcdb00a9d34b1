// SPDX-License-Identifier: Apache-2.0
// service_followup: "It took me 18 months to get that sale, and customer service lost it in less
// than six weeks." Service cases are solved at the root cause and measured by resolution, not
// volume; follow-ups fire on time through the durable scheduler; the account's salesperson hears
// when the trust they built is at risk.
//
// Records: CaseStore (cases, their indexes, daily aggregates), plus
//   contact/<account>/<ms>-<case>  (empty) customer contacts, expiring after the at-risk window
//   deferred/<ms>-<seq>            the ids of an import batch's cases whose consequences wait
//                                  for the import to settle, one per line
//   meta/import_last_ms            when an import batch last arrived (decimal ms)
//   meta/import_settle             (empty) an import_settle entry is scheduled
//
// Every event first applies the case's consequences due before it (apply_due), in event time: a
// history imported line by line ends in the state living through it gives. Consequences of
// imported events that are still pending wait for the import to be quiet for
// import_settle_minutes, then the import_settle entry applies the due ones and schedules the rest.
#include <fmt/format.h>
#include <coach/plugin.hpp>
#include <coach/staged_store.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>

#include "case_model.hpp"
#include "case_store.hpp"

namespace coach::service_followup {

namespace {

constexpr int kMaxImportBatch = 1000;

class ServiceFollowup final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::ConfigKey config[] = {
        {.path = "categories",
         .type = ConfigType::kStringList,
         .default_value = "billing, onboarding, product_defect, how_to, integration, delivery, "
                          "account_change",
         .description = "root-cause categories a solve must name"},
        {.path = "close_after_hours",
         .type = ConfigType::kNumber,
         .default_value = "96",
         .description = "a solved case closes this long after the solve",
         .min = 1,
         .max = 672},
        {.path = "check_in_after_hours",
         .type = ConfigType::kNumber,
         .default_value = "24",
         .description = "satisfaction check-in after a solve",
         .min = 1,
         .max = 672},
        {.path = "reopens_at_risk",
         .type = ConfigType::kInt,
         .default_value = "2",
         .description = "a case reopened this often puts its account at risk",
         .min = 1,
         .max = 100},
        {.path = "contacts_at_risk",
         .type = ConfigType::kInt,
         .default_value = "3",
         .description = "as do this many customer contacts within contacts_window_days",
         .min = 1,
         .max = 1000},
        {.path = "contacts_window_days",
         .type = ConfigType::kNumber,
         .default_value = "7",
         .description = "the window repeat contacts are counted in",
         .min = 0.05,
         .max = 365},
        {.path = "import_settle_minutes",
         .type = ConfigType::kNumber,
         .default_value = "60",
         .description = "after the last import batch, due follow-ups wait this long",
         .min = 0,
         .max = 10080},
        {}};
    static const coach::PluginManifest m{
        .name = "service_followup",
        .version = "1.1.0",
        .description =
            "Service cases solved at the root, repeat contacts caught, follow-ups on time",
        .service = "coach.v1.service_followup.ServiceFollowup",
        .config = config,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    ctx_ = &ctx;
    cases_ = std::make_unique<CaseStore>(ctx.store());
    load_rules(ctx.config());

    serve<pb::OpenCaseRequest, pb::Case>(
        "OpenCase", [this](const pb::OpenCaseRequest& r) { return open(r, at(r.at_ms())); });
    serve<pb::CaseActionRequest, pb::ContactReply>(
        "CustomerContact", [this](const pb::CaseActionRequest& r) { return contact(r); });
    serve<pb::CaseActionRequest, pb::Case>("AgentReply", [this](const pb::CaseActionRequest& r) {
      return change(r.case_id(), at(r.at_ms()),
                    [&](pb::Case& c) { agent_reply(c, r.actor(), at(r.at_ms())); });
    });
    serve<pb::CaseActionRequest, pb::Case>("SetPending", [this](const pb::CaseActionRequest& r) {
      return change(r.case_id(), at(r.at_ms()),
                    [&](pb::Case& c) { set_pending(c, r.actor(), at(r.at_ms())); });
    });
    serve<pb::SolveCaseRequest, pb::Case>(
        "SolveCase", [this](const pb::SolveCaseRequest& r) { return solve_case(r); });
    serve<pb::CaseActionRequest, pb::Case>(
        "ReopenCase", [this](const pb::CaseActionRequest& r) { return reopen_case(r); });
    serve<pb::CaseActionRequest, pb::Case>(
        "CloseCase", [this](const pb::CaseActionRequest& r) { return close_case(r); });
    serve<pb::GetCaseRequest, pb::Case>(
        "GetCase", [this](const pb::GetCaseRequest& r) { return load(r.case_id()); });
    serve<pb::ListAccountCasesRequest, pb::CaseList>(
        "ListAccountCases", [this](const pb::ListAccountCasesRequest& r) { return list(r); });
    serve<pb::MeasuresRequest, pb::Measures>(
        "GetMeasures", [this](const pb::MeasuresRequest& r) { return cases_->measures(r); });
    serve<pb::MeasuresRequest, pb::MeasuresCsv>("GetMeasuresCsv",
                                                [this](const pb::MeasuresRequest& r) {
                                                  pb::MeasuresCsv reply;
                                                  reply.set_csv(cases_->measures_csv(r));
                                                  return reply;
                                                });
    serve<pb::ImportEvent, pb::ImportReply>("Import",
                                            [this](const pb::ImportEvent& e) { return import(e); });
    serve<pb::ImportBatchRequest, pb::ImportBatchReply>(
        "ImportBatch", [this](const pb::ImportBatchRequest& r) { return import_batch(r); });
    serve<pb::ReindexRequest, pb::ReindexReply>(
        "Reindex", [this](const pb::ReindexRequest& r) { return reindex(r); });
    ctx.on_due("service_followup.", [this](const coach::DueEntry& due) {
      effects_.clear();
      on_due(due);
      run_effects();
    });
  }

 private:
  // What a change does beyond its commit: run only once the commit succeeded.
  struct Effect {
    std::int64_t cancel_entry = 0;
    std::string topic;
    std::unique_ptr<google::protobuf::Message> event;
  };

  // Serves a method whose effects run after its handler returned.
  template <typename Req, typename Resp, typename Fn>
  void serve(std::string_view method, Fn fn) {
    ctx_->serve(method, [this, fn = std::move(fn)](const Req& r) -> Resp {
      effects_.clear();
      Resp out = fn(r);
      run_effects();
      return out;
    });
  }

  void load_rules(const ConfigSection& config) {
    rules_.close_after_ms =
        static_cast<std::int64_t>(config.get_double("close_after_hours") * kHourMs);
    rules_.check_in_after_ms =
        static_cast<std::int64_t>(config.get_double("check_in_after_hours") * kHourMs);
    rules_.reopens_at_risk = static_cast<int>(config.get_int("reopens_at_risk"));
    rules_.contacts_at_risk = static_cast<int>(config.get_int("contacts_at_risk"));
    rules_.contacts_window_ms =
        static_cast<std::int64_t>(config.get_double("contacts_window_days") * kDayMs);
    rules_.categories = config.get_list("categories");
    validate_rules(rules_);
    const double settle = config.get_double("import_settle_minutes");
    settle_ms_ = static_cast<std::int64_t>(settle * 60'000);
  }

  Store& store() { return cases_->store(); }
  std::int64_t at(std::int64_t at_ms) const { return at_ms > 0 ? at_ms : ctx_->now_ms(); }

  template <typename Msg>
  void publish_after(std::string topic, const Msg& event) {
    effects_.push_back({0, std::move(topic), std::make_unique<Msg>(event)});
  }
  void cancel_after(const std::vector<std::int64_t>& entries) {
    for (auto id : entries) effects_.push_back({id, {}, nullptr});
  }
  void run_effects() {
    auto effects = std::move(effects_);
    effects_.clear();
    for (const auto& e : effects) {
      if (e.cancel_entry) ctx_->cancel(e.cancel_entry);
      if (e.event) ctx_->publish(e.topic, *e.event);
    }
  }

  pb::Case load(const std::string& id, std::int64_t* version = nullptr) {
    require_id("case_id", id);
    auto c = cases_->find(id, version);
    if (!c) throw Error(v1::STATUS_CODE_NOT_FOUND, "case_id: no case '" + id + "'");
    return *c;
  }

  // Applies the consequences of c's earlier events due by at_ms, as their entries would have.
  void catch_up(pb::Case& c, std::int64_t at_ms) {
    std::vector<std::int64_t> done;
    for (const auto& a : apply_due(c, at_ms, done)) {
      if (a.kind == Applied::Kind::kAutoClose) {
        announce_closed(c, "auto");
      } else if (!importing_) {
        announce_check_in(c, a.due_ms);
      }
    }
    cancel_after(done);
  }

  // Stores c (read at version; before is its stored form) with its indexes, in one commit.
  void save(const pb::Case& before, std::int64_t version, pb::Case c, WriteBatch batch = {}) {
    mark_imported(c);
    cases_->stage(batch, &before, version, c);
    if (!store().commit(batch))
      throw Error(v1::STATUS_CODE_CONFLICT,
                  "case_id: '" + c.case_id() + "' changed concurrently, retry");
  }

  // Loads a case, applies what fell due before at_ms, changes it with fn, and stores it.
  template <typename Fn>
  pb::Case change(const std::string& id, std::int64_t at_ms, Fn&& fn) {
    std::int64_t version = 0;
    const auto before = load(id, &version);
    auto c = before;
    catch_up(c, at_ms);
    fn(c);
    after_change(c);
    save(before, version, c);
    return c;
  }

  // An imported case whose consequences are pending waits for the import to settle; its id goes
  // into the batch's one deferred record.
  void after_change(const pb::Case& c) {
    if (importing_ && (c.auto_close_due_ms() || c.check_in_due_ms())) deferred_.insert(c.case_id());
  }

  // The deferred record of an import batch (ids one per line); nothing when there are none.
  void write_deferred() {
    if (deferred_.empty()) return;
    std::string ids;
    for (const auto& id : deferred_) ids += id + "\n";
    deferred_.clear();
    store().put_bytes(
        fmt::format("deferred/{:015d}-{:06d}", ctx_->now_ms(), ++deferred_seq_ % 1000000),
        std::move(ids));
  }

  // The case remembers the import line that changed it, so that line is applied once.
  void mark_imported(pb::Case& c) const {
    if (!import_event_.empty()) c.add_imported_events(import_event_);
  }

  pb::Case open(const pb::OpenCaseRequest& r, std::int64_t at_ms) {
    auto c = open_case(r, at_ms);
    mark_imported(c);
    WriteBatch batch;
    cases_->stage(batch, nullptr, 0, c);
    add_contact(batch, c.account_id(), at_ms, c.case_id());
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

  // Contacts are read only within the at-risk window; older ones are not kept at all.
  void add_contact(WriteBatch& batch, const std::string& account, std::int64_t at_ms,
                   const std::string& case_id) {
    const auto expires = at_ms + rules_.contacts_window_ms;
    if (expires <= ctx_->now_ms()) return;
    batch.put_bytes(contact_key(account, at_ms, case_id), "").expiring_at(expires);
  }

  pb::ContactReply contact(const pb::CaseActionRequest& r) {
    const auto at_ms = at(r.at_ms());
    pb::ContactReply reply;
    std::int64_t version = 0;
    const auto before = load(r.case_id(), &version);
    auto c = before;
    catch_up(c, at_ms);
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
      WriteBatch batch;
      cases_->stage(batch, nullptr, 0, f);
      add_contact(batch, f.account_id(), at_ms, f.case_id());
      save(before, version, c, std::move(batch));  // c changed if catching up closed it
      pb::RepeatContact event;
      event.set_case_id(f.case_id());
      event.set_follow_up_of(c.case_id());
      event.set_account_id(c.account_id());
      event.set_salesperson_id(c.salesperson_id());
      publish_after("service_followup.repeat_contact", event);
      reply.set_outcome("follow_up_opened");
      *reply.mutable_case_() = c;
      *reply.mutable_follow_up() = f;
      check_contacts_at_risk(f, at_ms);
      return reply;
    }
    if (outcome == ContactOutcome::kReopened) cancel_after(clear_follow_ups(c));
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

  int follow_ups(const std::string& case_id) {
    int n = 0;
    while (store().get_bytes(fmt::format("case/{}-f{}", case_id, n + 1))) ++n;
    return n;
  }

  pb::Case solve_case(const pb::SolveCaseRequest& r) {
    const auto at_ms = at(r.at_ms());
    return change(r.case_id(), at_ms, [&](pb::Case& c) {
      solve(c, r.agent_id(), r.root_cause(), at_ms, rules_);
      // An imported solve waits for the import to settle; a live one is scheduled now. An
      // entry whose commit then fails finds nothing due in its case and does nothing.
      if (!importing_) schedule_follow_ups(c);
    });
  }

  // Schedules the case's pending consequences on the wall clock.
  void schedule_follow_ups(pb::Case& c) {
    auto entry = [&](const char* kind, std::int64_t due_ms) {
      pb::FollowUpEntry e;
      e.set_case_id(c.case_id());
      e.set_kind(kind);
      return ctx_->schedule(
          std::chrono::system_clock::time_point(std::chrono::milliseconds(due_ms)),
          std::string("service_followup.") + kind, e);
    };
    if (c.auto_close_due_ms() && !c.auto_close_entry())
      c.set_auto_close_entry(entry("auto_close", c.auto_close_due_ms()));
    if (c.check_in_due_ms() && !c.check_in_entry())
      c.set_check_in_entry(entry("check_in", c.check_in_due_ms()));
  }

  pb::Case reopen_case(const pb::CaseActionRequest& r) {
    auto c = change(r.case_id(), at(r.at_ms()), [&](pb::Case& k) {
      reopen(k, r.actor(), at(r.at_ms()));
      cancel_after(clear_follow_ups(k));
    });
    announce_reopened(c);
    return c;
  }

  pb::Case close_case(const pb::CaseActionRequest& r) {
    auto c = change(r.case_id(), at(r.at_ms()), [&](pb::Case& k) {
      close(k, r.actor(), at(r.at_ms()), false);
      cancel_after(clear_follow_ups(k));
    });
    announce_closed(c, r.actor());
    return c;
  }

  void announce_reopened(const pb::Case& c) {
    pb::CaseReopened event;
    event.set_case_id(c.case_id());
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    event.set_reopens(reopen_count(c));
    publish_after("service_followup.case_reopened", event);
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
    publish_after("service_followup.case_closed", event);
  }

  void announce_check_in(const pb::Case& c, std::int64_t due_ms) {
    pb::FollowUpDue event;
    event.set_case_id(c.case_id());
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    event.set_kind("satisfaction_check_in");
    event.set_due_ms(due_ms);
    publish_after("service_followup.follow_up_due", event);
  }

  void check_contacts_at_risk(const pb::Case& c, std::int64_t at_ms) {
    // Contacts are kept only within the window: for an event older than that (an imported
    // history) there is nothing to count, and no account to warn about any more.
    if (at_ms + rules_.contacts_window_ms <= ctx_->now_ms()) return;
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

  void at_risk(const pb::Case& c, const std::vector<std::string>& evidence) {
    pb::AccountAtRisk event;
    event.set_account_id(c.account_id());
    event.set_salesperson_id(c.salesperson_id());
    for (const auto& e : evidence) event.add_evidence(e);
    publish_after("service_followup.account_at_risk", event);
  }

  void on_due(const coach::DueEntry& due) {
    auto entry = due.as<pb::FollowUpEntry>();
    if (!entry) throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE, "due entry is not a FollowUpEntry");
    if (entry->kind() == "import_settle") {
      settle_import();
      return;
    }
    std::int64_t version = 0;
    const auto before = cases_->find(entry->case_id(), &version);
    if (!before) return;  // the case is gone: nothing to do
    // Applies what the case still has due by this entry's time: once, since applying clears it.
    auto c = *before;
    catch_up(c, due.due_ms);
    if (c.SerializeAsString() != before->SerializeAsString()) save(*before, version, c);
  }

  pb::CaseList list(const pb::ListAccountCasesRequest& r) {
    require_id("account_id", r.account_id());
    if (r.page_size() < 0) throw invalid_argument("page_size", "must not be negative");
    const auto size =
        static_cast<std::uint32_t>(r.page_size() ? std::min(r.page_size(), 500) : 100);
    pb::CaseList out;
    std::string next;
    for (auto& c : cases_->account_cases(r.account_id(), r.page_token(), size, next))
      *out.add_cases() = std::move(c);
    out.set_next_page_token(next);
    if (out.cases().empty() && r.page_token().empty())
      throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no cases for '" + r.account_id() + "'");
    return out;
  }

  pb::ReindexReply reindex(const pb::ReindexRequest& r) {
    if (r.page_size() < 0 || r.page_size() > 1000)
      throw invalid_argument("page_size", "must be between 0 (500) and 1000");
    pb::ReindexReply reply;
    StagedStore staged(ctx_->store());
    {
      Staging staging(*this, staged);
      std::string next;
      const auto cases = cases_->cases_after(
          r.page_token(), r.page_size() ? static_cast<std::uint32_t>(r.page_size()) : 500, next);
      WriteBatch batch;
      for (const auto& c : cases)
        reply.set_indexed(reply.indexed() + cases_->index_if_missing(batch, c));
      reply.set_scanned(static_cast<std::int32_t>(cases.size()));
      reply.set_next_page_token(next);
      cases_->keep_deltas();
      cases_->write_aggregates(batch);
      if (!batch.empty() && !store().commit(batch))
        throw Error(v1::STATUS_CODE_CONFLICT, "aggregates changed concurrently, retry");
    }
    if (!staged.flush()) throw Error(v1::STATUS_CODE_CONFLICT, "cases changed, retry");
    return reply;
  }

  // --- Import: lines applied in order in one commit per batch, each as living through it. ---

  pb::ImportReply import(const pb::ImportEvent& e) {
    pb::ImportBatchRequest one;
    *one.add_events() = e;
    auto result = import_batch(one).results(0);
    if (result.code() != v1::STATUS_CODE_OK)
      throw Error(static_cast<v1::StatusCode>(result.code()), result.message());
    pb::ImportReply reply;
    reply.set_outcome(result.outcome());
    return reply;
  }

  // Makes store() the staged store for its lifetime.
  class Staging {
   public:
    Staging(ServiceFollowup& p, StagedStore& staged) : p_(p), base_(p.ctx_->store()) {
      p_.cases_->use(staged);
      p_.cases_->defer_aggregates(true);
      p_.importing_ = true;
    }
    ~Staging() {
      p_.cases_->defer_aggregates(false);
      p_.cases_->use(base_);
      p_.importing_ = false;
    }
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

   private:
    ServiceFollowup& p_;
    Store& base_;
  };

  pb::ImportBatchReply import_batch(const pb::ImportBatchRequest& r) {
    if (r.events_size() > kMaxImportBatch)
      throw invalid_argument("events", fmt::format("at most {} per batch", kMaxImportBatch));
    pb::ImportBatchReply reply;
    StagedStore staged(ctx_->store());
    bool applied = false;
    {
      Staging staging(*this, staged);
      for (const auto& e : r.events()) {
        auto* result = reply.add_results();
        const auto effects_before = effects_.size();
        staged.begin_unit();
        try {
          result->set_outcome(import_line(e));
          staged.keep_unit();
          cases_->keep_deltas();
          applied |= result->outcome() == "applied";
        } catch (const Error& error) {
          staged.drop_unit();
          cases_->drop_deltas();
          effects_.resize(effects_before);
          result->set_code(error.code());
          result->set_message(error.what());
        }
      }
      if (applied) store().put_bytes("meta/import_last_ms", std::to_string(ctx_->now_ms()));
      write_deferred();
      WriteBatch days;
      cases_->write_aggregates(days);
      if (!days.empty() && !store().commit(days))
        throw Error(v1::STATUS_CODE_CONFLICT, "daily aggregates changed; send the batch again");
    }
    if (!staged.flush()) {
      throw Error(v1::STATUS_CODE_CONFLICT,
                  "cases changed while this import batch was applied; send it again (lines "
                  "already applied are skipped)");
    }
    if (applied) ensure_settle_scheduled();
    return reply;
  }

  // One line; its event_id is stored on its case with its effect, so a line is applied once.
  std::string import_line(const pb::ImportEvent& e) {
    require_id("event_id", e.event_id());
    require_id("case_id", e.case_id());
    if (e.at_ms() <= 0) throw invalid_argument("at_ms", "required (ms since the epoch)");
    if (auto c = cases_->find(e.case_id())) {
      const auto& seen = c->imported_events();
      if (std::find(seen.begin(), seen.end(), e.event_id()) != seen.end()) return "duplicate";
    }
    struct Marking {
      std::string& slot;
      ~Marking() { slot.clear(); }
    } marking{import_event_ = e.event_id()};
    if (e.kind() == "opened") {
      pb::OpenCaseRequest r;
      r.set_case_id(e.case_id());
      r.set_account_id(e.account_id());
      r.set_salesperson_id(e.salesperson_id());
      r.set_agent_id(e.actor());
      r.set_team_id(e.team_id());
      r.set_subject(e.subject());
      open(r, e.at_ms());
    } else if (e.kind() == "customer_contact") {
      contact(action(e));
    } else if (e.kind() == "agent_reply") {
      change(e.case_id(), e.at_ms(), [&](pb::Case& c) { agent_reply(c, e.actor(), e.at_ms()); });
    } else if (e.kind() == "pending") {
      change(e.case_id(), e.at_ms(), [&](pb::Case& c) { set_pending(c, e.actor(), e.at_ms()); });
    } else if (e.kind() == "solved") {
      pb::SolveCaseRequest r;
      r.set_case_id(e.case_id());
      r.set_agent_id(e.actor());
      *r.mutable_root_cause() = e.root_cause();
      r.set_at_ms(e.at_ms());
      solve_case(r);
    } else if (e.kind() == "reopened") {
      reopen_case(action(e));
    } else if (e.kind() == "closed") {
      close_case(action(e));
    } else {
      throw invalid_argument("kind", "'" + e.kind() +
                                         "' is not one of opened, customer_contact, agent_reply, "
                                         "pending, solved, reopened, closed");
    }
    return "applied";
  }

  static pb::CaseActionRequest action(const pb::ImportEvent& e) {
    pb::CaseActionRequest r;
    r.set_case_id(e.case_id());
    r.set_actor(e.actor());
    r.set_at_ms(e.at_ms());
    return r;
  }

  void ensure_settle_scheduled() {
    WriteBatch claim;
    claim.put_bytes("meta/import_settle", "", kMustNotExist);
    if (!store().commit(claim)) return;  // one is pending already
    schedule_settle(ctx_->now_ms() + settle_ms_);
  }

  void schedule_settle(std::int64_t due_ms) {
    pb::FollowUpEntry settle;
    settle.set_kind("import_settle");
    ctx_->schedule(std::chrono::system_clock::time_point(std::chrono::milliseconds(due_ms)),
                   "service_followup.import_settle", settle);
  }

  // Once imports have been quiet for import_settle_minutes: applies the consequences of imported
  // events that fell due and schedules the rest, a page of cases at a time.
  void settle_import() {
    const auto now = ctx_->now_ms();
    std::int64_t last = 0;
    if (auto v = store().get_bytes("meta/import_last_ms"))
      std::from_chars(v->value.data(), v->value.data() + v->value.size(), last);
    if (now < last + settle_ms_) {
      schedule_settle(last + settle_ms_);  // an import is still going on
      return;
    }
    auto page = store().scan("deferred/", "", 1);  // one import batch's cases per call
    StagedStore staged(ctx_->store());
    {
      // Staging marks this as import work: consequences of history announce no past check-ins.
      Staging staging(*this, staged);
      for (const auto& item : page.items) {
        WriteBatch done;
        done.erase(item.key);
        store().commit(done);
        std::string_view ids(item.value);
        while (!ids.empty()) {
          const auto end = ids.find('\n');
          const std::string id(ids.substr(0, end));
          ids = end == std::string_view::npos ? std::string_view() : ids.substr(end + 1);
          std::int64_t version = 0;
          auto before = cases_->find(id, &version);
          if (!before) continue;
          auto c = *before;
          catch_up(c, now);
          schedule_follow_ups(c);
          if (c.SerializeAsString() != before->SerializeAsString()) save(*before, version, c);
        }
      }
      cases_->keep_deltas();
      WriteBatch days;
      cases_->write_aggregates(days);
      if (!days.empty() && !store().commit(days))
        throw Error(v1::STATUS_CODE_CONFLICT, "daily aggregates changed; retried later");
    }
    if (!staged.flush()) throw Error(v1::STATUS_CODE_CONFLICT, "cases changed; retried later");
    if (!page.next_after.empty()) {
      schedule_settle(now);  // more to settle: the next page right after this one
    } else {
      store().erase("meta/import_settle");
    }
  }

  coach::PluginContext* ctx_ = nullptr;
  std::unique_ptr<CaseStore> cases_;
  Rules rules_;
  std::int64_t settle_ms_ = 0;
  bool importing_ = false;
  std::string import_event_;        // the event_id of the import line being applied
  std::set<std::string> deferred_;  // cases of this import batch with consequences pending
  std::uint64_t deferred_seq_ = 0;
  std::vector<Effect> effects_;
};

}  // namespace
}  // namespace coach::service_followup

COACH_PLUGIN(coach::service_followup::ServiceFollowup)
