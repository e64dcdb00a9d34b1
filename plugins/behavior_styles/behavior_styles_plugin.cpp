// SPDX-License-Identifier: Apache-2.0
// behavior_styles: the manifest and the wiring of each rpc to BehaviorStylesService.
#include <coach/plugin.hpp>

#include <optional>

#include "behavior_styles_service.hpp"

namespace {

using coach::behavior_styles::BehaviorStylesService;

class BehaviorStylesPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "behavior_styles",
        .version = "1.0.0",
        .description = "Behavior styles: assessment, customer style, adaptation guidance",
        .service = "coach.v1.behavior_styles.BehaviorStyles",
        .config = BehaviorStylesService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& s = service_.emplace(ctx);
    ctx.serve("GetInstrument", s, &BehaviorStylesService::get_instrument);
    ctx.serve("SetInstrument", s, &BehaviorStylesService::set_instrument);
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
