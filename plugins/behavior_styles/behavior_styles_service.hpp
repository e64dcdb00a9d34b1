// SPDX-License-Identifier: Apache-2.0
// BehaviorStylesService: the rpcs of behavior_styles over the plugin's store. "If you want to
// interact effectively with me, you first need to understand me": self and others' assessments
// place a person on two axes, quick observations estimate a customer's style, and guidance tells
// the salesperson how to adapt (Awareness, Alignment, Action). The arithmetic is style_model's.
//
// Store layout (per tenant, under this plugin):
//   person/<id>              Person
//   team/<team>/<person>     (empty) team membership index
//   rating/<person>/<rater>  RaterView: a rater's latest view of the person
//   account/<id>             ObservationLog: observations of a customer account
//   owner/<person>/<account> (empty) accounts a salesperson observed
//   instrument               Instrument: this tenant's own questionnaire, if it set one
#pragma once

#include <coach/plugin.hpp>

#include "people_registry.hpp"
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

  pb::Instrument get_instrument(const pb::GetInstrumentRequest& r);
  pb::SetInstrumentReply set_instrument(const pb::SetInstrumentRequest& r);
  pb::Person register_person(const pb::RegisterPersonRequest& r);
  pb::SubmitAssessmentReply submit_assessment(const pb::SubmitAssessmentRequest& r);
  pb::Profile get_profile(const pb::GetProfileRequest& r);
  pb::CustomerStyle record_observations(const pb::RecordObservationsRequest& r);
  pb::CustomerStyle get_customer_style(const pb::GetCustomerStyleRequest& r);
  pb::Guidance get_guidance(const pb::GetGuidanceRequest& r);
  pb::TeamMap get_team_map(const pb::GetTeamMapRequest& r);

 private:
  Store& store() { return ctx_.store(); }
  PeopleRegistry<pb::Person> people() { return PeopleRegistry<pb::Person>(store()); }
  pb::Person person(const std::string& id) { return people().get(id); }
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
