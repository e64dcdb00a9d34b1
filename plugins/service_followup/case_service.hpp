// SPDX-License-Identifier: Apache-2.0
// CaseService: the live rpcs of service_followup. "It took me 18 months to get that sale, and
// customer service lost it in less than six weeks." Cases are solved at the root cause and
// measured by resolution, not volume; follow-ups fire on time through the durable scheduler; the
// account's salesperson hears when the trust they built is at risk.
//
// Records: CaseStore's (cases, their indexes, daily aggregates), plus
//   contact/<account>/<ms>-<case>  (empty) customer contacts, expiring after the at-risk window
//
// Every event first applies the case's consequences due before it (apply_due), in event time,
// so a history imported line by line (CaseImporter) ends in the state living through it gives.
#pragma once

#include <coach/plugin.hpp>
#include <coach/staged_store.hpp>

#include <optional>
#include <set>
#include <string>

#include "after_commit.hpp"
#include "case_model.hpp"
#include "case_store.hpp"

namespace coach::service_followup {

class CaseService {
 public:
  // The config schema (the manifest's): every key this class and CaseImporter read.
  static constexpr ConfigKey kConfig[] = {
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
      {.path = "at_risk_days",
       .type = ConfigType::kNumber,
       .default_value = "30",
       .description = "how long an account stays on the at-risk list after its last warning",
       .min = 1,
       .max = 365},
      {.path = "import_settle_minutes",
       .type = ConfigType::kNumber,
       .default_value = "60",
       .description = "after the last import batch, due follow-ups wait this long",
       .min = 0,
       .max = 10080},
      {}};

  // Reads the rules from the plugin's config; throws coach::Error naming a bad one.
  explicit CaseService(PluginContext& ctx);

  pb::Case open_case(const pb::OpenCaseRequest& r);
  pb::ContactReply customer_contact(const pb::CaseActionRequest& r);
  pb::Case agent_reply(const pb::CaseActionRequest& r);
  pb::Case set_pending(const pb::CaseActionRequest& r);
  pb::Case solve_case(const pb::SolveCaseRequest& r);
  pb::Case reopen_case(const pb::CaseActionRequest& r);
  pb::Case close_case(const pb::CaseActionRequest& r);
  pb::Case get_case(const pb::GetCaseRequest& r);
  pb::CaseList list_account_cases(const pb::ListAccountCasesRequest& r);
  pb::Measures get_measures(const pb::MeasuresRequest& r);
  pb::MeasuresCsv get_measures_csv(const pb::MeasuresRequest& r);
  pb::ReindexReply reindex(const pb::ReindexRequest& r);
  pb::CaseList list_open_cases(const pb::ListOpenCasesRequest& r);
  pb::CaseList list_check_ins_due(const pb::ListCheckInsDueRequest& r);
  // Every account on the list; the wiring keeps those the caller may see.
  pb::AccountsAtRisk list_accounts_at_risk(const pb::ListAccountsAtRiskRequest& r);
  pb::Categories get_categories(const pb::GetCategoriesRequest& r);
  // An auto_close or check_in entry came due: applies what its case still has due by then.
  void on_due(const DueEntry& due);

 private:
  friend class CaseImporter;

  // An import batch in progress: the line being applied and the cases whose consequences wait
  // for the import to settle.
  struct ImportBatch {
    std::string event_id;
    std::set<std::string> deferred;
  };
  // For its lifetime, reads and writes go to a staged store, daily aggregates are kept in memory,
  // and changes are import work (batch given) or settling work (none).
  class Staging {
   public:
    Staging(CaseService& service, StagedStore& staged, ImportBatch* batch);
    ~Staging();
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

   private:
    CaseService& service_;
  };

  // Runs fn, then its effects once it returned: an rpc's whole change is committed by then.
  template <typename Fn>
  auto committed(Fn&& fn) {
    after_.clear();
    auto out = fn();
    after_.run(ctx_);
    return out;
  }

  Store& store() { return cases_.store(); }
  std::int64_t at(std::int64_t at_ms) const { return at_ms > 0 ? at_ms : ctx_.now_ms(); }
  bool importing() const { return staging_ && import_; }
  pb::Case load(const std::string& id, std::int64_t* version = nullptr);

  // The work of the rpcs, at a given event time, effects queued.
  pb::Case open_at(const pb::OpenCaseRequest& r, std::int64_t at_ms);
  pb::ContactReply contact_at(const pb::CaseActionRequest& r);
  pb::Case reply_at(const pb::CaseActionRequest& r);
  pb::Case pending_at(const pb::CaseActionRequest& r);
  pb::Case solve_at(const pb::SolveCaseRequest& r);
  pb::Case reopen_at(const pb::CaseActionRequest& r);
  pb::Case close_at(const pb::CaseActionRequest& r);
  // Loads a case, applies what fell due before at_ms, changes it with fn, and stores it.
  template <typename Fn>
  pb::Case change(const std::string& id, std::int64_t at_ms, Fn&& fn);

  void catch_up(pb::Case& c, std::int64_t at_ms);
  void save(const pb::Case& before, std::int64_t version, pb::Case c, WriteBatch batch = {});
  void after_change(const pb::Case& c);
  void mark_imported(pb::Case& c) const;
  // Applies the due consequences of case id by now and schedules the rest (import settling).
  void settle(const std::string& id, std::int64_t now);
  void schedule_follow_ups(pb::Case& c);
  int follow_ups(const std::string& case_id);
  void add_contact(WriteBatch& batch, const std::string& account, std::int64_t at_ms,
                   const std::string& case_id);
  void check_contacts_at_risk(const pb::Case& c, std::int64_t at_ms);
  void announce_reopened(const pb::Case& c);
  void announce_closed(const pb::Case& c, const std::string& by);
  void announce_check_in(const pb::Case& c, std::int64_t due_ms);
  void at_risk(const pb::Case& c, const std::vector<std::string>& evidence);

  PluginContext& ctx_;
  CaseStore cases_;
  Rules rules_;
  std::int64_t at_risk_ms_ = 0;  // how long an account stays on the at-risk list
  AfterCommit after_;
  bool staging_ = false;
  ImportBatch* import_ = nullptr;
};

}  // namespace coach::service_followup
