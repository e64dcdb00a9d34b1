// SPDX-License-Identifier: Apache-2.0
// BehaviorStylesService: the rpcs of behavior_styles over the plugin's store. "If you want to
// interact effectively with me, you first need to understand me": self and others' assessments
// place a person on two axes, quick observations estimate a customer's style, and guidance tells
// the salesperson how to adapt (Awareness, Alignment, Action). The arithmetic is style_model's.
//
// Store layout (per tenant, under this plugin):
//   rating/<person>/<rater>  RaterView: a rater's latest view of the person
//   account/<id>             ObservationLog: observations of a customer account
//   owner/<person>/<account> (empty) accounts a salesperson observed
//   instrument               Instrument: this tenant's own questionnaire, if it set one
// People and teams come from the tenant's people directory. Who may call what: the README's
// "Who may see what" (coach/access.hpp).
#pragma once

#include <coach/access.hpp>
#include <coach/plugin.hpp>

#include "directory_person.hpp"
#include "style_model.hpp"

namespace coach::behavior_styles {

class BehaviorStylesService {
 public:
  // The config schema (the manifest's): every key this class reads, with its default.
  static constexpr ConfigKey kConfig[] = {
      {.path = "tentative_below",
       .type = ConfigType::kNumber,
       .default_value = "0.6",
       .description = "customer estimates below this confidence are marked tentative",
       .min = 0,
       .max = 1},
      {.path = "instrument_file", .description = "a JSON questionnaire replacing the built-in one"},
      {.path = "guidance_file", .description = "JSON guidance texts replacing the built-in ones"},
      {.path = "names.tells_controls", .default_value = "Driver", .description = "quadrant name"},
      {.path = "names.tells_emotes", .default_value = "Expressive", .description = "quadrant name"},
      {.path = "names.asks_emotes", .default_value = "Amiable", .description = "quadrant name"},
      {.path = "names.asks_controls",
       .default_value = "Analytical",
       .description = "quadrant name"},
      {}};

  // Reads the plugin's config; throws coach::Error naming a bad data file or vocabulary.
  explicit BehaviorStylesService(PluginContext& ctx);

  pb::Instrument get_instrument(const pb::GetInstrumentRequest& r, const RequestContext& rc);
  pb::SetInstrumentReply set_instrument(const pb::SetInstrumentRequest& r,
                                        const RequestContext& rc);
  pb::SubmitAssessmentReply submit_assessment(const pb::SubmitAssessmentRequest& r,
                                              const RequestContext& rc);
  pb::Profile get_profile(const pb::GetProfileRequest& r, const RequestContext& rc);
  pb::CustomerStyle record_observations(const pb::RecordObservationsRequest& r,
                                        const RequestContext& rc);
  pb::CustomerStyle get_customer_style(const pb::GetCustomerStyleRequest& r,
                                       const RequestContext& rc);
  pb::Guidance get_guidance(const pb::GetGuidanceRequest& r, const RequestContext& rc);
  pb::TeamMap get_team_map(const pb::GetTeamMapRequest& r, const RequestContext& rc);

 private:
  Store& store() { return ctx_.store(); }
  Access access(const RequestContext& rc) { return Access(rc, ctx_.people()); }
  pb::Person person(const std::string& id, const std::string& field = "person_id") {
    return directory_person<pb::Person>(ctx_.people(), id, field);
  }
  pb::Instrument instrument();
  pb::Profile profile(const pb::Person& who);
  pb::CustomerStyle customer_style(const std::string& account);

  PluginContext& ctx_;
  Vocabulary names_;
  double tentative_below_;
  pb::Instrument configured_instrument_;
  pb::GuidanceBook book_;
};

}  // namespace coach::behavior_styles
