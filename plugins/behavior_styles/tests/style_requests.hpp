// SPDX-License-Identifier: Apache-2.0
// Test helper: the requests behavior_styles' tests send, through a daemon (PluginClient) or
// in-process (InProcessClient); both have the same call/ok interface.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "plugin_client.hpp"
#include "style_model.hpp"

namespace coach::behavior_styles {

// Answers that place someone high or low on each axis of the instrument.
inline pb::SubmitAssessmentRequest answers_for(const pb::Instrument& in, bool tells, bool emotes) {
  pb::SubmitAssessmentRequest r;
  for (const auto& item : in.items()) {
    const bool high = item.axis() == pb::AXIS_ASSERTIVENESS ? tells : emotes;
    r.add_answers(high != item.reverse_keyed() ? 4 : 1);
  }
  return r;
}

// Adds a salesperson to the tenant's people directory.
template <typename Client>
void register_person(Client& client, const std::string& id, const std::string& team) {
  client.add_person({id, id, "", team, Roles{Role::kSalesperson}, "", ""});
}

template <typename Client>
testing::Reply assess(Client& client, const pb::Instrument& instrument, const std::string& person,
                      const std::string& rater, pb::RaterRole role, bool tells, bool emotes) {
  auto r = answers_for(instrument, tells, emotes);
  r.set_person_id(person);
  r.set_rater_id(rater);
  r.set_role(role);
  return client.call("SubmitAssessment", r);
}

template <typename Client>
testing::Reply observe(Client& client, const std::string& sp, const std::string& account,
                       const std::vector<std::pair<pb::Cue, int>>& cues) {
  pb::RecordObservationsRequest r;
  r.set_salesperson_id(sp);
  r.set_account_id(account);
  for (auto [c, v] : cues) {
    auto* o = r.add_observations();
    o->set_cue(c);
    o->set_value(v);
  }
  return client.call("RecordObservations", r);
}

}  // namespace coach::behavior_styles
