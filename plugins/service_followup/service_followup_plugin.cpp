// SPDX-License-Identifier: Apache-2.0
// service_followup: the manifest and the wiring of each rpc and due entry to CaseService (live
// cases) and CaseImporter (a help desk's history).
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
    ctx.serve("OpenCase", cases, &CaseService::open_case);
    ctx.serve("CustomerContact", cases, &CaseService::customer_contact);
    ctx.serve("AgentReply", cases, &CaseService::agent_reply);
    ctx.serve("SetPending", cases, &CaseService::set_pending);
    ctx.serve("SolveCase", cases, &CaseService::solve_case);
    ctx.serve("ReopenCase", cases, &CaseService::reopen_case);
    ctx.serve("CloseCase", cases, &CaseService::close_case);
    ctx.serve("GetCase", cases, &CaseService::get_case);
    ctx.serve("ListAccountCases", cases, &CaseService::list_account_cases);
    ctx.serve("GetMeasures", cases, &CaseService::get_measures);
    ctx.serve("GetMeasuresCsv", cases, &CaseService::get_measures_csv);
    ctx.serve("Reindex", cases, &CaseService::reindex);
    ctx.serve("Import", importer, &CaseImporter::import);
    ctx.serve("ImportBatch", importer, &CaseImporter::import_batch);
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
