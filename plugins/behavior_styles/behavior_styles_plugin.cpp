// SPDX-License-Identifier: Apache-2.0
// behavior_styles: the manifest and the wiring of each rpc to BehaviorStylesService.
#include <coach/plugin.hpp>

#include <optional>

#include "behavior_styles_service.hpp"

namespace {

using coach::ConfigType;
using coach::behavior_styles::BehaviorStylesService;

class BehaviorStylesPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::ConfigKey config[] = {
        {.path = "tentative_below",
         .type = ConfigType::kNumber,
         .default_value = "0.6",
         .description = "customer estimates below this confidence are marked tentative",
         .min = 0,
         .max = 1},
        {.path = "instrument_file",
         .description = "a JSON questionnaire replacing the built-in one"},
        {.path = "guidance_file", .description = "JSON guidance texts replacing the built-in ones"},
        {.path = "names.tells_controls", .default_value = "Driver", .description = "quadrant name"},
        {.path = "names.tells_emotes",
         .default_value = "Expressive",
         .description = "quadrant name"},
        {.path = "names.asks_emotes", .default_value = "Amiable", .description = "quadrant name"},
        {.path = "names.asks_controls",
         .default_value = "Analytical",
         .description = "quadrant name"},
        {}};
    static const coach::PluginManifest m{
        .name = "behavior_styles",
        .version = "1.0.0",
        .description = "Behavior styles: assessment, customer style, adaptation guidance",
        .service = "coach.v1.behavior_styles.BehaviorStyles",
        .config = config,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& s = service_.emplace(ctx);
    ctx.serve("GetInstrument", s, &BehaviorStylesService::get_instrument);
    ctx.serve("SetInstrument", s, &BehaviorStylesService::set_instrument);
    ctx.serve("RegisterPerson", s, &BehaviorStylesService::register_person);
    ctx.serve("SubmitAssessment", s, &BehaviorStylesService::submit_assessment);
    ctx.serve("GetProfile", s, &BehaviorStylesService::get_profile);
    ctx.serve("RecordObservations", s, &BehaviorStylesService::record_observations);
    ctx.serve("GetCustomerStyle", s, &BehaviorStylesService::get_customer_style);
    ctx.serve("GetGuidance", s, &BehaviorStylesService::get_guidance);
    ctx.serve("GetTeamMap", s, &BehaviorStylesService::get_team_map);
  }

 private:
  std::optional<BehaviorStylesService> service_;
};

}  // namespace

COACH_PLUGIN(BehaviorStylesPlugin)
