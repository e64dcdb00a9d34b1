// SPDX-License-Identifier: Apache-2.0
// PeopleRegistry: the people and teams a coaching plugin knows, in the plugin's own store (each
// plugin keeps its own records; plugins share nothing but messages). Works with any Person
// message that has person_id, display_name and team_id.
//
//   person/<id>           Person
//   team/<team>/<person>  (empty) membership index, for team views
#pragma once

#include <coach/store.hpp>

#include <string>
#include <vector>

namespace coach {

template <typename Person>
class PeopleRegistry {
 public:
  explicit PeopleRegistry(Store& store) : store_(store) {}

  // Adds or updates a person (moving them between teams keeps the index right).
  Person put(const std::string& person_id, const std::string& display_name,
             const std::string& team_id) {
    require_id("person_id", person_id);
    if (!team_id.empty()) require_id("team_id", team_id);
    Person p;
    p.set_person_id(person_id);
    p.set_display_name(display_name.empty() ? person_id : display_name);
    p.set_team_id(team_id);
    WriteBatch batch;
    std::int64_t version = kMustNotExist;
    if (auto old = store_.get<Person>("person/" + person_id, &version);
        old && !old->team_id().empty() && old->team_id() != team_id) {
      batch.erase("team/" + old->team_id() + "/" + person_id);
    }
    batch.put("person/" + person_id, p, version);
    if (!team_id.empty()) batch.put_bytes("team/" + team_id + "/" + person_id, "");
    if (!store_.commit(batch))
      throw Error(v1::STATUS_CODE_CONFLICT, "person_id: changed concurrently, retry");
    return p;
  }

  // The person; NOT_FOUND naming field when unknown.
  Person get(const std::string& person_id, const std::string& field = "person_id") {
    require_id(field, person_id);
    auto p = store_.get<Person>("person/" + person_id);
    if (!p) throw Error(v1::STATUS_CODE_NOT_FOUND, field + ": no person '" + person_id + "'");
    return *p;
  }

  // The ids of a team's members; NOT_FOUND when the team has none.
  std::vector<std::string> team(const std::string& team_id) {
    require_id("team_id", team_id);
    const std::string prefix = "team/" + team_id + "/";
    std::vector<std::string> ids;
    for (const auto& item : store_.scan_all(prefix)) ids.push_back(item.key.substr(prefix.size()));
    if (ids.empty()) throw Error(v1::STATUS_CODE_NOT_FOUND, "team_id: no team '" + team_id + "'");
    return ids;
  }

 private:
  Store& store_;
};

}  // namespace coach
