// SPDX-License-Identifier: Apache-2.0
// Test helper: the requests motivation_keys' tests send, to a daemon or in-process.
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

inline pb::RateTrustRequest rating(const std::string& sp, const std::string& account, double c,
                                   double r, double i, double s,
                                   pb::RaterRole role = pb::RATER_ROLE_CUSTOMER) {
  pb::RateTrustRequest t;
  t.set_salesperson_id(sp);
  t.set_account_id(account);
  t.set_role(role);
  t.set_credibility(c);
  t.set_reliability(r);
  t.set_intimacy(i);
  t.set_self_orientation(s);
  return t;
}

}  // namespace coach::motivation_keys
