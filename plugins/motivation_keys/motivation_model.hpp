// SPDX-License-Identifier: Apache-2.0
// The motivation keys model, free of any bus or store: pulse scoring and trends, the Trust
// Equation, and the warning signs of coaching by pressure (crisis push, plateau). Every check
// throws coach::Error naming the field at fault.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "coach/error.hpp"
#include "coach/v1/motivation_keys.pb.h"

namespace coach::motivation_keys {

namespace pb = coach::v1::motivation_keys;

inline constexpr std::array<pb::Key, 4> kKeys{pb::KEY_ENGAGE, pb::KEY_EMPOWER, pb::KEY_PERFORM,
                                              pb::KEY_ENJOY};
using KeyScores = std::array<double, 4>;  // indexed like kKeys

const char* key_name(pb::Key key);
std::size_t key_index(pb::Key key);  // throws for KEY_UNSPECIFIED

// Pulse scores run from 1 to 5 whatever the questionnaire's scale.
inline constexpr double kPulseMax = 5.0;

// Throws unless every item has an id, text and key, and all four keys are covered.
void validate_questionnaire(const pb::Questionnaire& q);
// The mean per key of the answers (reverse-keyed items mirrored), rescaled onto 1..5.
KeyScores score_pulse(const pb::Questionnaire& q,
                      const google::protobuf::RepeatedField<google::protobuf::int32>& answers);
// The lowest key; ties go to the first in Engage, Empower, Perform, Enjoy order.
pb::Key weakest_of(const KeyScores& scores);
// A pulse with change against previous.back() and the moving average over the last `window`
// pulses (previous is oldest first and does not include this one).
pb::Pulse make_pulse(const std::string& person, std::int64_t taken_ms, const KeyScores& scores,
                     const std::vector<pb::Pulse>& previous, int window);

// A team's view from each member's latest pulse (person id, pulse): mean and spread per key, the
// weakest key, and the five who moved most. Aggregates only: no individual answers.
pb::TeamView summarize_team(const std::string& team_id, std::size_t members,
                            const std::vector<std::pair<std::string, pb::Pulse>>& latest);

// Trust ratings run from 1 to 10; self-orientation must be positive (the equation divides by it).
inline constexpr double kTrustMin = 1.0;
inline constexpr double kTrustMax = 10.0;
void validate_trust(const pb::RateTrustRequest& r);
// T = (C + R + I) / S; strongest and weakest factor (S inverted: 11 - S), spread of the four and
// uneven when the spread reaches uneven_spread.
pb::TrustAssessment assess_trust(const pb::RateTrustRequest& r, double uneven_spread);
// The change since the last rating in the same role and the moving average over `window`
// ratings (earlier: that role's ratings, oldest first, without this one).
void trend_trust(pb::TrustAssessment& rating, const std::vector<pb::TrustAssessment>& earlier,
                 int window);

// Perform rose by at least min_change from the first to the last of `recent` pulses while Engage
// and Enjoy both fell by at least min_change. Empty when not; else one line per key.
std::vector<std::string> crisis_push_evidence(const std::vector<pb::Pulse>& recent,
                                              double min_change);
// Self-orientation rose by at least min_change from the first to the last of `recent` ratings.
std::vector<std::string> self_orientation_evidence(const std::vector<pb::TrustAssessment>& recent,
                                                   double min_change);

// The Law of Limited Performance: over the last `periods` results (oldest first), the target did
// not change and attainment stayed within band x target.
pb::PlateauStatus plateau_status(const std::string& person,
                                 const std::vector<pb::PeriodResult>& last, int periods,
                                 double band);

}  // namespace coach::motivation_keys
