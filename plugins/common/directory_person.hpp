// SPDX-License-Identifier: Apache-2.0
// The tenant's people directory (coachd's, read through PluginContext::people()) as the coaching
// plugins' messages: any Person message with person_id, display_name and team_id.
#pragma once

#include <coach/error.hpp>
#include <coach/people.hpp>

#include <string>
#include <vector>

namespace coach {

// The person with this id; NOT_FOUND naming field when the directory has none.
template <typename PersonMsg>
PersonMsg directory_person(const PeopleDirectory& people, const std::string& id,
                           const std::string& field = "person_id") {
  require_id(field, id);
  const Person* p = people.find(id);
  if (!p) {
    throw Error(v1::STATUS_CODE_NOT_FOUND,
                field + ": no person '" + id + "' in the tenant's people directory");
  }
  PersonMsg out;
  out.set_person_id(p->id);
  out.set_display_name(p->name);
  out.set_team_id(p->team);
  return out;
}

// The ids of a team's members; NOT_FOUND when the team has none.
inline std::vector<std::string> directory_team(const PeopleDirectory& people,
                                               const std::string& team_id) {
  require_id("team_id", team_id);
  const auto& members = people.team(team_id);
  if (members.empty()) throw Error(v1::STATUS_CODE_NOT_FOUND, "team_id: no team '" + team_id + "'");
  return {members.begin(), members.end()};
}

}  // namespace coach
