// SPDX-License-Identifier: Apache-2.0
// service_followup: the manifest and the wiring of each rpc and due entry to CaseService (live
// cases) and CaseImporter (a help desk's history).
#include <coach/access.hpp>
#include <coach/plugin.hpp>

#include <optional>

#include "case_importer.hpp"
#include "case_service.hpp"

namespace {

using coach::service_followup::CaseImporter;
using coach::service_followup::CaseService;

class ServiceFollowupPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "service_followup",
        .version = "1.1.0",
        .description =
            "Service cases solved at the root, repeat contacts caught, follow-ups on time",
        .service = "coach.v1.service_followup.ServiceFollowup",
        .config = CaseService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& cases = cases_.emplace(ctx);
    auto& importer = importer_.emplace(ctx, cases);
    // Who may call what (the README's "Who may see what"): the service desk (agents, the help
    // desk's integration, admins) works cases; measures are aggregates for managers and agents
    // too; a case itself also for its account's salesperson, their coach and manager.
    using coach::Access;
    auto desk = [](const char* what) {
      return [what](const auto&, const Access& a) { a.require(a.service_desk(), what); };
    };
    auto measures = [](const auto&, const Access& a) {
      a.require(a.admin() || a.has(coach::Role::kManager) || a.has(coach::Role::kServiceAgent),
                "service measures");
    };
    using coach::serve_checked;
    serve_checked(ctx, "OpenCase", cases, &CaseService::open_case, desk("opening cases"));
    serve_checked(ctx, "CustomerContact", cases, &CaseService::customer_contact,
                  desk("recording contacts"));
    serve_checked(ctx, "AgentReply", cases, &CaseService::agent_reply, desk("replying"));
    serve_checked(ctx, "SetPending", cases, &CaseService::set_pending, desk("changing cases"));
    serve_checked(ctx, "SolveCase", cases, &CaseService::solve_case, desk("solving cases"));
    serve_checked(ctx, "ReopenCase", cases, &CaseService::reopen_case, desk("reopening cases"));
    serve_checked(ctx, "CloseCase", cases, &CaseService::close_case, desk("closing cases"));
    serve_checked(ctx, "ListAccountCases", cases, &CaseService::list_account_cases,
                  desk("an account's cases"));
    serve_checked(ctx, "GetMeasures", cases, &CaseService::get_measures, measures);
    serve_checked(ctx, "GetMeasuresCsv", cases, &CaseService::get_measures_csv, measures);
    serve_checked(ctx, "Reindex", cases, &CaseService::reindex,
                  [](const auto&, const Access& a) { a.require(a.admin(), "reindexing"); });
    serve_checked(ctx, "Import", importer, &CaseImporter::import, desk("importing cases"));
    serve_checked(ctx, "ImportBatch", importer, &CaseImporter::import_batch,
                  desk("importing cases"));
    serve_checked(ctx, "ListOpenCases", cases, &CaseService::list_open_cases, desk("work lists"));
    serve_checked(ctx, "ListCheckInsDue", cases, &CaseService::list_check_ins_due,
                  desk("check-ins"));
    serve_checked(ctx, "GetCategories", cases, &CaseService::get_categories,
                  [](const auto&, const Access& a) {
                    a.require(a.member() || a.service_desk(), "the categories");
                  });
    // Everyone of the tenant may ask; each sees the accounts of the people they may see.
    ctx.serve("ListAccountsAtRisk",
              [&cases, &ctx](const coach::v1::service_followup::ListAccountsAtRiskRequest& r,
                             const coach::RequestContext& rc) {
                Access a(rc, ctx.people());
                a.require(a.member() || a.service_desk(), "accounts at risk");
                auto all = cases.list_accounts_at_risk(r);
                coach::v1::service_followup::AccountsAtRisk out;
                for (auto& x : *all.mutable_accounts())
                  if (a.service_desk() || a.own_coach_or_manager(x.salesperson_id()))
                    *out.add_accounts() = std::move(x);
                return out;
              });
    ctx.serve("GetCase", [&cases, &ctx](const coach::v1::service_followup::GetCaseRequest& r,
                                        const coach::RequestContext& rc) {
      auto c = cases.get_case(r);
      Access a(rc, ctx.people());
      a.require(a.service_desk() || a.own_coach_or_manager(c.salesperson_id()), "the case",
                r.case_id());
      return c;
    });
    // The first matching prefix takes an entry: import_settle before the cases' follow-ups.
    ctx.on_due("service_followup.import_settle",
               [&importer](const coach::DueEntry& due) { importer.settle(due); });
    ctx.on_due("service_followup.", [&cases](const coach::DueEntry& due) { cases.on_due(due); });
  }

 private:
  std::optional<CaseService> cases_;
  std::optional<CaseImporter> importer_;
};

}  // namespace

COACH_PLUGIN(ServiceFollowupPlugin)
