// SPDX-License-Identifier: Apache-2.0
// The behavior style model, free of any bus or store: scoring a questionnaire onto two axes,
// quadrants and strength, customer style estimates from observed cues, and adaptation guidance
// for a (salesperson, customer) pair from a GuidanceBook. Every check throws coach::Error naming
// the field at fault.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "coach/error.hpp"
#include "coach/v1/behavior_styles.pb.h"

namespace coach::behavior_styles {

namespace pb = coach::v1::behavior_styles;

// Both axes run from 1 to 4.
inline constexpr double kAxisMin = 1.0;
inline constexpr double kAxisMax = 4.0;
// The midline of each axis. A score exactly on it belongs to the high side (tells, shows
// feelings): an even split of answers is read as leaning toward the more visible behavior, which
// is how others meet it first. Tests pin 2.5 -> high and 2.4999 -> low.
inline constexpr double kMidline = 2.5;

// Quadrant names, indexed by Quadrant - 1 (TELLS_CONTROLS, TELLS_EMOTES, ASKS_EMOTES,
// ASKS_CONTROLS).
using Vocabulary = std::array<std::string, 4>;
inline const Vocabulary kDefaultVocabulary{"Driver", "Expressive", "Amiable", "Analytical"};

pb::Quadrant quadrant_of(double assertiveness, double responsiveness);
const std::string& name_of(pb::Quadrant q, const Vocabulary& names);
// A style at (assertiveness, responsiveness): quadrant, its name, strength.
pb::Style make_style(double assertiveness, double responsiveness, const Vocabulary& names);
// Opposite on both axes: Driver-Amiable, Expressive-Analytical.
bool is_diagonal(pb::Quadrant a, pb::Quadrant b);

// Throws unless the instrument is usable: items with ids, an axis each, both axes covered.
void validate_instrument(const pb::Instrument& instrument);
// The mean per axis of the answers (reverse-keyed items mirrored), rescaled to 1..4.
pb::Style score(const pb::Instrument& instrument,
                const google::protobuf::RepeatedField<google::protobuf::int32>& answers,
                const Vocabulary& names);
// The mean position of several views.
pb::Style mean_style(const std::vector<pb::Style>& views, const Vocabulary& names);

struct CustomerEstimate {
  pb::Style style;
  double confidence = 0;  // 0..1
};
// Throws unless every observation names a cue and a value in 1..4.
void validate_observations(const google::protobuf::RepeatedPtrField<pb::Observation>& obs);
// Pace, tells-vs-asks and decisions read on assertiveness; feelings, big picture and relationship
// on responsiveness. confidence = coverage x (consistency + clarity) / 2, where coverage is the
// smaller axis's share of 3 cues, consistency is 1 - the mean per-axis spread / 1.5, and clarity is
// the smaller axis's distance from the midline / 0.5 (each capped at 1).
CustomerEstimate estimate_customer(const std::vector<pb::Observation>& observations,
                                   const Vocabulary& names);

// A style at the centre of quadrant q, for guidance asked by quadrant alone; field names it in
// the error when q is unspecified.
pb::Style style_of_quadrant(pb::Quadrant q, const Vocabulary& names, const std::string& field);
// A person's profile from every rater's latest view: self, the mean of the others, whether the
// two differ, and the effective style (others' when there are any, else self).
pb::Profile make_profile(const pb::Person& person, std::vector<pb::RaterView> views,
                         const Vocabulary& names);
// Adds observations to an account's log, keeping the newest max_kept, under salesperson.
void add_observations(pb::ObservationLog& log, const pb::RecordObservationsRequest& request,
                      int max_kept, std::int64_t now_ms);
// The customer's estimated style from the log; tentative below the confidence given.
pb::CustomerStyle customer_style_of(const pb::ObservationLog& log, const Vocabulary& names,
                                    double tentative_below);
// How far a salesperson must move to meet a customer (distance on the two axes), and whether
// theirs is the hardest pairing (opposite quadrants).
pb::Pairing make_pairing(const std::string& person_id, const pb::Style& person,
                         const pb::CustomerStyle& customer);
// Hardest pairings first, then by the adaptation needed, largest first.
void sort_pairings(pb::TeamMap& map);

// Throws unless the book has traits for all four styles and a note for all 16 pairs.
void validate_book(const pb::GuidanceBook& book);
pb::Guidance make_guidance(const pb::GuidanceBook& book, const pb::Style& salesperson,
                           const pb::Style& customer);
// Marks guidance built on a tentative customer estimate, with a note saying what to do.
void mark_tentative(pb::Guidance& guidance);

}  // namespace coach::behavior_styles
