// SPDX-License-Identifier: Apache-2.0
// MotivationKeysService: the rpcs of motivation_keys over the plugin's store. It keeps a team's
// motivation (Engage, Empower, Perform, Enjoy) and its customers' trust visible, so coaching goes
// where it builds both instead of pushing short-term numbers. The arithmetic is motivation_model's.
//
// Store layout (per tenant, under this plugin):
//   pulse/<person>/<ms>-<n>              Pulse, time-ordered
//   trust/<sp>/<account>/r/<ms>-<n>      TrustAssessment (a rating)
//   trust/<sp>/<account>/s/<ms>-<n>      ReliabilitySignal (from service_followup events)
//   account/<account>/<sp>               (empty) relationships of an account
//   attain/<person>/<period>             PeriodResult
// Every history keeps its last history_kept records. People and teams come from the tenant's
// people directory; who may call what is the README's "Who may see what" (coach/access.hpp).
#pragma once

#include <coach/access.hpp>
#include <coach/plugin.hpp>

#include <set>

#include "directory_person.hpp"
#include "motivation_model.hpp"

namespace coach::motivation_keys {

class MotivationKeysService {
 public:
  // The config schema (the manifest's): every key this class reads, with its default.
  static constexpr ConfigKey kConfig[] = {
      {.path = "trend_window",
       .type = ConfigType::kInt,
       .default_value = "3",
       .description = "pulses in the moving average",
       .min = 1,
       .max = 52},
      {.path = "trust_drop_threshold",
       .type = ConfigType::kNumber,
       .default_value = "1.0",
       .description = "a fall of T by this much publishes motivation_keys.trust_dropped",
       .min = 0.01,
       .max = 10},
      {.path = "uneven_spread",
       .type = ConfigType::kNumber,
       .default_value = "2.0",
       .description = "spread of C, R, I, (11 - S) that marks an uneven trust profile",
       .min = 0.01,
       .max = 10},
      {.path = "crisis_window",
       .type = ConfigType::kInt,
       .default_value = "3",
       .description = "pulses (and ratings) compared for crisis_push_risk",
       .min = 2,
       .max = 52},
      {.path = "crisis_min_change",
       .type = ConfigType::kNumber,
       .default_value = "0.5",
       .description = "how far Perform must rise and Engage/Enjoy fall",
       .min = 0.01,
       .max = 10},
      {.path = "self_orientation_climb",
       .type = ConfigType::kNumber,
       .default_value = "1.0",
       .description = "how far S must climb across crisis_window ratings",
       .min = 0,
       .max = 10},
      {.path = "plateau_periods",
       .type = ConfigType::kInt,
       .default_value = "4",
       .description = "periods of an unchanged target looked at",
       .min = 2,
       .max = 52},
      {.path = "plateau_band",
       .type = ConfigType::kNumber,
       .default_value = "0.05",
       .description = "attainment within this share of the target counts as settled",
       .min = 0,
       .max = 1},
      {.path = "managers_see_answers",
       .type = ConfigType::kStringList,
       .description = "tenants whose managers may read their reports' individual pulse answers "
                      "and coaching prompts (by default a manager sees team aggregates only)"},
      {.path = "history_kept",
       .type = ConfigType::kInt,
       .default_value = "52",
       .description = "pulses per person, ratings and signals per relationship, periods kept",
       .min = 2,
       .max = 1000},
      {.path = "questionnaire_file",
       .description = "a JSON pulse questionnaire replacing the built-in one"},
      {.path = "prompts_file",
       .description = "JSON coaching questions replacing the built-in ones"},
      {}};

  // Reads the plugin's config; throws coach::Error naming a bad key or data file.
  explicit MotivationKeysService(PluginContext& ctx);

  pb::Questionnaire get_questionnaire(const pb::GetQuestionnaireRequest& r,
                                      const RequestContext& rc);
  pb::Pulse record_pulse(const pb::RecordPulseRequest& r, const RequestContext& rc);
  pb::PulseHistory get_pulse_history(const pb::GetPulseHistoryRequest& r, const RequestContext& rc);
  pb::TeamView get_team_view(const pb::GetTeamViewRequest& r, const RequestContext& rc);
  pb::CoachingPrompts get_coaching_prompts(const pb::GetCoachingPromptsRequest& r,
                                           const RequestContext& rc);
  pb::TrustAssessment rate_trust(const pb::RateTrustRequest& r, const RequestContext& rc);
  pb::TrustHistory get_trust(const pb::GetTrustRequest& r, const RequestContext& rc);
  pb::PlateauStatus record_attainment(const pb::RecordAttainmentRequest& r,
                                      const RequestContext& rc);
  // service_followup.case_reopened and .repeat_contact become reliability signals on the
  // account's relationships.
  void on_service_event(const Event& e);

 private:
  Store& store() { return ctx_.store(); }
  Access access(const RequestContext& rc) { return Access(rc, ctx_.people()); }
  pb::Person person(const std::string& id, const std::string& field = "person_id");
  // Individual pulse answers and what is derived from them (prompts): the person, their coach,
  // admins, and their manager where the tenant allows it (managers_see_answers).
  bool may_read_answers(const Access& a, const RequestContext& rc, const std::string& person);
  std::string stamp();
  std::vector<pb::Pulse> pulses(const std::string& person_id);
  void publish_crisis(const std::string& person_id, const std::string& account_id,
                      const std::vector<std::string>& evidence);
  void keep_last(WriteBatch& batch, const std::vector<StoredValue>& items, std::size_t adding);
  std::string relationship(const std::string& sp, const std::string& account);
  std::vector<pb::TrustAssessment> ratings(const std::string& sp, const std::string& account);

  PluginContext& ctx_;
  pb::Questionnaire questionnaire_;
  pb::PromptBook book_;
  int trend_window_;
  double trust_drop_;
  double uneven_spread_;
  int crisis_window_;
  double crisis_min_change_;
  double so_climb_;
  int plateau_periods_;
  double plateau_band_;
  int history_kept_;
  std::set<std::string, std::less<>> managers_see_answers_;
  std::uint64_t sequence_ = 0;
};

}  // namespace coach::motivation_keys
