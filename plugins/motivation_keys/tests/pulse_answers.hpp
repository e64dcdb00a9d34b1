// SPDX-License-Identifier: Apache-2.0
// Test helper: a pulse whose every item of a key is answered so the key scores its level.
#pragma once

#include <map>
#include <string>

#include "motivation_model.hpp"

namespace coach::motivation_keys {

inline pb::RecordPulseRequest pulse_answers(const pb::Questionnaire& questionnaire,
                                            const std::string& person, int engage, int empower,
                                            int perform, int enjoy) {
  pb::RecordPulseRequest r;
  r.set_person_id(person);
  std::map<int, int> level{{pb::KEY_ENGAGE, engage},
                           {pb::KEY_EMPOWER, empower},
                           {pb::KEY_PERFORM, perform},
                           {pb::KEY_ENJOY, enjoy}};
  for (const auto& item : questionnaire.items()) {
    const int v = level[item.key()];
    r.add_answers(item.reverse_keyed() ? 6 - v : v);
  }
  return r;
}

}  // namespace coach::motivation_keys
