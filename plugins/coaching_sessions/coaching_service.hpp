// SPDX-License-Identifier: Apache-2.0
// CoachingService: the rpcs of coaching_sessions over the plugin's store, the scheduled reminders
// and nudges, and the signals other plugins send about a salesperson.
//
// Store layout (per tenant, under this plugin):
//   rel/<relationship>                         Relationship ("<coach>~<salesperson>")
//   session/<relationship>/<999999 - n>        Session n (newest first in key order)
//   item/<relationship>/<item>                 ActionItem still open ("s<n>-<k>")
//   closed/<relationship>/<item>               ActionItem done or dropped
//   signals/<salesperson>                      SignalLog: the last signals_kept, newest last
//   style/<person>                             (quadrant number) from behavior_styles profiles
//   by_coach/<coach>/<planned ms>-<session>    SessionFacts, for a coach's measures
//   by_team/<team>/<planned ms>-<session>      SessionFacts, for a team's measures
//   suggested/<relationship>/<theme>           (session number) an outside perspective suggested
// A read scoped to a relationship, a coach or a team reads only its own records.
#pragma once

#include <coach/plugin.hpp>

#include <optional>

#include "session_model.hpp"

namespace coach::coaching_sessions {

class CoachingService {
 public:
  // The config schema (the manifest's): every key this class reads, with its default.
  static constexpr ConfigKey kConfig[] = {
      {.path = "prep_reminder_hours",
       .type = ConfigType::kNumber,
       .default_value = "24",
       .description = "the salesperson is reminded to prepare this long before a session",
       .min = 0,
       .max = 336},
      {.path = "overdue_after_hours",
       .type = ConfigType::kNumber,
       .default_value = "24",
       .description = "a session not held this long after its time nudges the coach",
       .min = 1,
       .max = 336},
      {.path = "gap_score",
       .type = ConfigType::kNumber,
       .default_value = "2.5",
       .description = "a skill area self-scored at or below this is a gap",
       .min = 1,
       .max = 10},
      {.path = "recurrence.times",
       .type = ConfigType::kInt,
       .default_value = "3",
       .description = "a gap or signal in this many of the last recurrence.window sessions ...",
       .min = 2,
       .max = 52},
      {.path = "recurrence.window",
       .type = ConfigType::kInt,
       .default_value = "4",
       .description = "... without improving suggests an outside perspective",
       .min = 2,
       .max = 52},
      {.path = "language.question_target",
       .type = ConfigType::kNumber,
       .default_value = "0.7",
       .description = "share of questions against directives that reads as engaging",
       .min = 0,
       .max = 1},
      {.path = "language.solution_target",
       .type = ConfigType::kNumber,
       .default_value = "0.9",
       .description = "share of solution words against problem words that reads as engaging",
       .min = 0,
       .max = 1},
      {.path = "signals_kept",
       .type = ConfigType::kInt,
       .default_value = "50",
       .description = "signals kept per salesperson",
       .min = 1,
       .max = 1000},
      {.path = "skills_audit_file",
       .description = "a JSON skills audit replacing the built-in one"},
      {.path = "lexicon_file", .description = "a JSON lexicon replacing the built-in English one"},
      {}};

  // Reads the config and data files; throws coach::Error naming a bad one.
  explicit CoachingService(PluginContext& ctx);

  pb::Relationship start_relationship(const pb::StartRelationshipRequest& r);
  pb::Relationship get_relationship(const pb::GetRelationshipRequest& r);
  pb::Prep submit_prep(const pb::SubmitPrepRequest& r);
  pb::Agenda get_agenda(const pb::GetAgendaRequest& r);
  pb::Session record_session(const pb::RecordSessionRequest& r);
  pb::ActionItem update_action_item(const pb::UpdateActionItemRequest& r);
  pb::SessionList list_sessions(const pb::ListSessionsRequest& r);
  pb::LanguageReport check_language(const pb::CheckLanguageRequest& r);
  pb::SkillsAudit get_skills_audit(const pb::GetSkillsAuditRequest& r);
  pb::CoachingMeasures get_measures(const pb::MeasuresRequest& r);
  pb::MeasuresCsv get_measures_csv(const pb::MeasuresRequest& r);
  // prep_reminder, session_due and item_due entries.
  void on_due(const DueEntry& due);
  // motivation_keys, service_followup and behavior_styles events about a salesperson.
  void on_event(const Event& event);

 private:
  Store& store() { return ctx_.store(); }
  pb::Relationship relationship(const std::string& id, std::int64_t* version = nullptr);
  // The relationship's newest session (the next planned one, unless none is planned).
  std::optional<pb::Session> newest_session(const std::string& rel,
                                            std::int64_t* version = nullptr);
  // The held sessions among the newest `count`, oldest first.
  std::vector<pb::Session> recent_held(const std::string& rel, int count);
  std::vector<pb::ActionItem> open_items(const std::string& rel);
  std::vector<pb::Signal> signals_since(const std::string& salesperson, std::int64_t after_ms);
  std::int64_t last_held_ms(const pb::Relationship& rel);
  pb::Agenda agenda_of(const pb::Relationship& rel, const pb::Session& session);
  // Plans session n of rel at planned_ms: writes it, its facts, schedules its entries.
  pb::Session plan_session(pb::Relationship& rel, std::int64_t planned_ms, WriteBatch& batch);
  void put_session(WriteBatch& batch, const pb::Session& s, std::int64_t version);
  // Rewrites the sessions the closed items began in (and so their facts) with the items' states.
  void close_in_origins(WriteBatch& batch, const std::vector<pb::ActionItem>& closed);
  void schedule_entries(pb::Session& s);
  std::string entry_topic(const std::string& kind) const;
  void add_signal(const std::string& salesperson, pb::Signal signal);
  void suggest_outside_perspective(const pb::Relationship& rel, const pb::Session& held);
  std::vector<pb::SessionFacts> facts_between(const std::string& prefix, std::int64_t from_ms,
                                              std::int64_t to_ms);

  PluginContext& ctx_;
  pb::SkillsAudit audit_;
  std::optional<LanguageChecker> language_;
  std::int64_t reminder_ms_;
  std::int64_t overdue_ms_;
  double gap_score_;
  int recurrence_times_;
  int recurrence_window_;
  std::size_t signals_kept_;
};

}  // namespace coach::coaching_sessions
