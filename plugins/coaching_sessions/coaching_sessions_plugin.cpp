// SPDX-License-Identifier: Apache-2.0
// coaching_sessions: the manifest and the wiring of each rpc, due entry and subscription to
// CoachingService.
#include <coach/plugin.hpp>

#include <optional>

#include "coaching_service.hpp"

namespace {

using coach::coaching_sessions::CoachingService;

class CoachingSessionsPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "coaching_sessions",
        .version = "1.0.0",
        .description = "Coaching the salesperson leads: prep, agenda, four steps, tell or engage",
        .service = "coach.v1.coaching_sessions.CoachingSessions",
        .config = CoachingService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& s = service_.emplace(ctx);
    ctx.serve("StartRelationship", s, &CoachingService::start_relationship);
    ctx.serve("GetRelationship", s, &CoachingService::get_relationship);
    ctx.serve("SubmitPrep", s, &CoachingService::submit_prep);
    ctx.serve("GetAgenda", s, &CoachingService::get_agenda);
    ctx.serve("RecordSession", s, &CoachingService::record_session);
    ctx.serve("UpdateActionItem", s, &CoachingService::update_action_item);
    ctx.serve("ListSessions", s, &CoachingService::list_sessions);
    ctx.serve("CheckLanguage", s, &CoachingService::check_language);
    ctx.serve("GetSkillsAudit", s, &CoachingService::get_skills_audit);
    ctx.serve("GetMeasures", s, &CoachingService::get_measures);
    ctx.serve("GetMeasuresCsv", s, &CoachingService::get_measures_csv);
    ctx.on_due("coaching_sessions.", [&s](const coach::DueEntry& due) { s.on_due(due); });
    // What other plugins observe about a salesperson, for the agenda; none of them is required.
    for (const char* prefix :
         {"motivation_keys.", "service_followup.account_at_risk", "behavior_styles."})
      ctx.subscribe(prefix, [&s](const coach::Event& e) { s.on_event(e); });
  }

 private:
  std::optional<CoachingService> service_;
};

}  // namespace

COACH_PLUGIN(CoachingSessionsPlugin)
