// SPDX-License-Identifier: Apache-2.0
// motivation_keys: the manifest and the wiring of each rpc and subscription to
// MotivationKeysService.
#include <coach/plugin.hpp>

#include <optional>

#include "motivation_keys_service.hpp"

namespace {

using coach::motivation_keys::MotivationKeysService;

class MotivationKeysPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "motivation_keys",
        .version = "1.0.0",
        .description = "Engage, Empower, Perform, Enjoy pulses and the Trust Equation",
        .service = "coach.v1.motivation_keys.MotivationKeys",
        .config = MotivationKeysService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& s = service_.emplace(ctx);
    ctx.serve("GetQuestionnaire", s, &MotivationKeysService::get_questionnaire);
    ctx.serve("RecordPulse", s, &MotivationKeysService::record_pulse);
    ctx.serve("GetPulseHistory", s, &MotivationKeysService::get_pulse_history);
    ctx.serve("GetTeamView", s, &MotivationKeysService::get_team_view);
    ctx.serve("GetCoachingPrompts", s, &MotivationKeysService::get_coaching_prompts);
    ctx.serve("RateTrust", s, &MotivationKeysService::rate_trust);
    ctx.serve("GetTrust", s, &MotivationKeysService::get_trust);
    ctx.serve("RecordAttainment", s, &MotivationKeysService::record_attainment);
    // Nothing arrives when service_followup is not loaded.
    ctx.subscribe("service_followup.", [&s](const coach::Event& e) { s.on_service_event(e); });
  }

 private:
  std::optional<MotivationKeysService> service_;
};

}  // namespace

COACH_PLUGIN(MotivationKeysPlugin)
