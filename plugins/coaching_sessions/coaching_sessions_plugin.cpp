// SPDX-License-Identifier: Apache-2.0
// coaching_sessions: the manifest and the wiring of each rpc, due entry and subscription to
// CoachingService.
#include <coach/access.hpp>
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
    // Who may call what (the README's "Who may see what"): a relationship's sessions, prep and
    // items are its coach's and salesperson's (and admins'); the salesperson preps, the coach
    // records; measures are for the coach, their manager, a team's leads and admins.
    using coach::Access;
    using coach::serve_checked;
    namespace pb = coach::v1::coaching_sessions;
    auto party = [&s](const char* what) {
      return [&s, what](const auto& r, const Access& a) {
        pb::GetRelationshipRequest get;
        get.set_relationship_id(r.relationship_id());
        const auto rel = s.get_relationship(get);
        a.require(a.admin() || a.self(rel.coach_id()) || a.self(rel.salesperson_id()), what,
                  rel.relationship_id());
      };
    };
    auto only = [&s](bool coach_side, const char* what) {
      return [&s, coach_side, what](const auto& r, const Access& a) {
        pb::GetRelationshipRequest get;
        get.set_relationship_id(r.relationship_id());
        const auto rel = s.get_relationship(get);
        a.require(a.admin() || a.self(coach_side ? rel.coach_id() : rel.salesperson_id()), what,
                  rel.relationship_id());
      };
    };
    auto member = [](const char* what) {
      return [what](const auto&, const Access& a) { a.require(a.member(), what); };
    };
    auto measures = [](const pb::MeasuresRequest& r, const Access& a) {
      if (!r.coach_id().empty()) {
        a.require(a.admin() || a.self(r.coach_id()) || a.manager_of(r.coach_id()),
                  "the coaching measures", r.coach_id());
      } else if (!r.team_id().empty()) {
        a.require(a.team_lead(r.team_id()), "the coaching measures", "team " + r.team_id());
      } else {
        a.require(a.admin() || a.has(coach::Role::kManager), "the tenant's coaching measures");
      }
    };
    serve_checked(ctx, "StartRelationship", s, &CoachingService::start_relationship,
                  [](const pb::StartRelationshipRequest& r, const Access& a) {
                    a.require(a.admin() || (a.self(r.coach_id()) && (a.has(coach::Role::kCoach) ||
                                                                     a.has(coach::Role::kManager))),
                              "starting a coaching relationship as", r.coach_id());
                  });
    serve_checked(ctx, "GetRelationship", s, &CoachingService::get_relationship,
                  party("the coaching relationship"));
    serve_checked(ctx, "SubmitPrep", s, &CoachingService::submit_prep,
                  only(false, "preparing the session of"));
    serve_checked(ctx, "GetAgenda", s, &CoachingService::get_agenda, party("the agenda of"));
    serve_checked(ctx, "RecordSession", s, &CoachingService::record_session,
                  only(true, "recording the session of"));
    serve_checked(ctx, "UpdateActionItem", s, &CoachingService::update_action_item,
                  party("the action items of"));
    serve_checked(ctx, "ListSessions", s, &CoachingService::list_sessions,
                  party("the sessions of"));
    serve_checked(ctx, "CheckLanguage", s, &CoachingService::check_language,
                  member("the language check"));
    serve_checked(ctx, "GetSkillsAudit", s, &CoachingService::get_skills_audit,
                  member("the skills audit"));
    serve_checked(ctx, "GetMeasures", s, &CoachingService::get_measures, measures);
    serve_checked(ctx, "GetMeasuresCsv", s, &CoachingService::get_measures_csv, measures);
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
