// SPDX-License-Identifier: Apache-2.0
// The style model alone: scoring, reverse keys, midline boundaries, quadrants, strength,
// multi-rater means, customer estimates and confidence, guidance for all 16 pairs.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "plugin_client.hpp"

#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "style_model.hpp"

namespace coach::behavior_styles {
namespace {

using testing::error_code_of;

template <typename Msg>
Msg load(const std::string& file) {
  std::ifstream in(std::string(BEHAVIOR_STYLES_DATA_DIR) + "/" + file);
  std::stringstream buf;
  buf << in.rdbuf();
  Msg msg;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(buf.str(), &msg).ok()) << file;
  return msg;
}

// A two-item-per-axis instrument: a1, a2 (reverse), r1, r2 (reverse).
pb::Instrument tiny() {
  pb::Instrument in;
  in.set_id("tiny");
  in.set_scale_max(4);
  auto add = [&](const char* id, pb::Axis axis, bool reverse) {
    auto* item = in.add_items();
    item->set_id(id);
    item->set_text(id);
    item->set_axis(axis);
    item->set_reverse_keyed(reverse);
  };
  add("a1", pb::AXIS_ASSERTIVENESS, false);
  add("a2", pb::AXIS_ASSERTIVENESS, true);
  add("r1", pb::AXIS_RESPONSIVENESS, false);
  add("r2", pb::AXIS_RESPONSIVENESS, true);
  return in;
}

google::protobuf::RepeatedField<google::protobuf::int32> answers(std::vector<int> v) {
  google::protobuf::RepeatedField<google::protobuf::int32> out;
  for (int x : v) out.Add(x);
  return out;
}

TEST(StyleModel, BuiltInInstrumentHas15ItemsPerAxisSomeReverseKeyed) {
  auto in = load<pb::Instrument>("instrument.json");
  EXPECT_NO_THROW(validate_instrument(in));
  int a = 0, r = 0, a_rev = 0, r_rev = 0;
  for (const auto& item : in.items()) {
    (item.axis() == pb::AXIS_ASSERTIVENESS ? a : r)++;
    if (item.reverse_keyed()) (item.axis() == pb::AXIS_ASSERTIVENESS ? a_rev : r_rev)++;
  }
  EXPECT_EQ(a, 15);
  EXPECT_EQ(r, 15);
  EXPECT_GT(a_rev, 0);
  EXPECT_GT(r_rev, 0);
  EXPECT_EQ(in.scale_max(), 4);
}

TEST(StyleModel, ScoringIsTheMeanPerAxisWithReverseKeysMirrored) {
  // a1 = 4, a2 = 1 reversed -> 4: assertiveness 4. r1 = 1, r2 = 4 reversed -> 1: responsiveness 1.
  auto s = score(tiny(), answers({4, 1, 1, 4}), kDefaultVocabulary);
  EXPECT_DOUBLE_EQ(s.assertiveness(), 4.0);
  EXPECT_DOUBLE_EQ(s.responsiveness(), 1.0);
  EXPECT_EQ(s.quadrant(), pb::QUADRANT_TELLS_CONTROLS);
  EXPECT_EQ(s.name(), "Driver");
  EXPECT_NEAR(s.strength(), std::hypot(1.5, 1.5), 1e-9);
  // Without mirroring the same answers would land on the midline.
  auto plain = tiny();
  for (auto& item : *plain.mutable_items()) item.set_reverse_keyed(false);
  auto p = score(plain, answers({4, 1, 1, 4}), kDefaultVocabulary);
  EXPECT_DOUBLE_EQ(p.assertiveness(), 2.5);
  EXPECT_DOUBLE_EQ(p.strength(), 0.0);
}

TEST(StyleModel, MidlineBelongsToTheHighSide) {
  EXPECT_EQ(kMidline, 2.5);
  EXPECT_EQ(quadrant_of(2.5, 2.5), pb::QUADRANT_TELLS_EMOTES);
  EXPECT_EQ(quadrant_of(2.4999, 2.5), pb::QUADRANT_ASKS_EMOTES);
  EXPECT_EQ(quadrant_of(2.5, 2.4999), pb::QUADRANT_TELLS_CONTROLS);
  EXPECT_EQ(quadrant_of(2.4999, 2.4999), pb::QUADRANT_ASKS_CONTROLS);
  EXPECT_EQ(quadrant_of(1.0, 4.0), pb::QUADRANT_ASKS_EMOTES);
  // Answers that average exactly 2.5 on both axes: Expressive, strength 0.
  auto s = score(tiny(), answers({2, 2, 3, 3}), kDefaultVocabulary);
  EXPECT_DOUBLE_EQ(s.assertiveness(), 2.5);
  EXPECT_DOUBLE_EQ(s.responsiveness(), 2.5);
  EXPECT_EQ(s.name(), "Expressive");
}

TEST(StyleModel, VocabularyIsConfigurable) {
  Vocabulary v{"Director", "Socializer", "Relater", "Thinker"};
  EXPECT_EQ(make_style(1.5, 1.5, v).name(), "Thinker");
  EXPECT_EQ(make_style(3.5, 3.5, v).name(), "Socializer");
}

TEST(StyleModel, OtherScalesAreRescaledOntoOneToFour) {
  auto in = tiny();
  in.set_scale_max(7);
  auto s = score(in, answers({7, 1, 4, 4}), kDefaultVocabulary);
  EXPECT_DOUBLE_EQ(s.assertiveness(), 4.0);
  EXPECT_DOUBLE_EQ(s.responsiveness(), 2.5);
}

TEST(StyleModel, BadAnswersNameTheField) {
  std::string msg;
  EXPECT_EQ(error_code_of(
                [&] {
                  score(tiny(), answers({1, 2, 3}), kDefaultVocabulary);
                },
                &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("answers: expected 4 answers"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of(
                [&] {
                  score(tiny(), answers({1, 2, 5, 1}), kDefaultVocabulary);
                },
                &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("answers[2]: 5 is outside 1..4"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of(
                [&] {
                  score(tiny(), answers({0, 2, 3, 1}), kDefaultVocabulary);
                },
                &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("answers[0]"), std::string::npos) << msg;
}

TEST(StyleModel, InstrumentMustCoverBothAxes) {
  auto in = tiny();
  in.mutable_items()->DeleteSubrange(2, 2);  // only assertiveness left
  std::string msg;
  EXPECT_EQ(error_code_of([&] { validate_instrument(in); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("instrument.items: no item measures responsiveness"), std::string::npos)
      << msg;
  auto dup = tiny();
  dup.mutable_items(1)->set_id("a1");
  EXPECT_EQ(error_code_of([&] { validate_instrument(dup); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("instrument.items[1].id"), std::string::npos) << msg;
  auto no_axis = tiny();
  no_axis.mutable_items(3)->set_axis(pb::AXIS_UNSPECIFIED);
  EXPECT_EQ(error_code_of([&] { validate_instrument(no_axis); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("instrument.items[3].axis"), std::string::npos) << msg;
}

TEST(StyleModel, OthersViewIsTheMeanOfTheirPositions) {
  auto m = mean_style(
      {make_style(3.5, 1.5, kDefaultVocabulary), make_style(2.5, 2.5, kDefaultVocabulary),
       make_style(3.0, 2.0, kDefaultVocabulary)},
      kDefaultVocabulary);
  EXPECT_DOUBLE_EQ(m.assertiveness(), 3.0);
  EXPECT_DOUBLE_EQ(m.responsiveness(), 2.0);
  EXPECT_EQ(m.name(), "Driver");
}

pb::Observation cue(pb::Cue c, int v) {
  pb::Observation o;
  o.set_cue(c);
  o.set_value(v);
  return o;
}

TEST(StyleModel, CustomerEstimateConfidenceGrowsWithConsistentCues) {
  auto one = estimate_customer({cue(pb::CUE_PACE, 4)}, kDefaultVocabulary);
  EXPECT_LT(one.confidence, 0.2);  // nothing on responsiveness yet
  std::vector<pb::Observation> six{cue(pb::CUE_PACE, 4),        cue(pb::CUE_TELLS_VS_ASKS, 4),
                                   cue(pb::CUE_DECISIONS, 4),   cue(pb::CUE_SHOWS_FEELINGS, 1),
                                   cue(pb::CUE_BIG_PICTURE, 1), cue(pb::CUE_RELATIONSHIP, 1)};
  auto clear = estimate_customer(six, kDefaultVocabulary);
  EXPECT_EQ(clear.style.name(), "Driver");
  EXPECT_DOUBLE_EQ(clear.confidence, 1.0);
  std::vector<pb::Observation> mixed{cue(pb::CUE_PACE, 4),        cue(pb::CUE_TELLS_VS_ASKS, 1),
                                     cue(pb::CUE_DECISIONS, 3),   cue(pb::CUE_SHOWS_FEELINGS, 4),
                                     cue(pb::CUE_BIG_PICTURE, 1), cue(pb::CUE_RELATIONSHIP, 2)};
  auto unsure = estimate_customer(mixed, kDefaultVocabulary);
  EXPECT_LT(unsure.confidence, 0.5);
  EXPECT_GT(unsure.confidence, 0.0);
}

TEST(StyleModel, BadObservationsNameTheField) {
  google::protobuf::RepeatedPtrField<pb::Observation> obs;
  std::string msg;
  EXPECT_EQ(error_code_of([&] { validate_observations(obs); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  *obs.Add() = cue(pb::CUE_PACE, 2);
  *obs.Add() = cue(pb::CUE_UNSPECIFIED, 2);
  EXPECT_EQ(error_code_of([&] { validate_observations(obs); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("observations[1].cue"), std::string::npos) << msg;
  obs.Mutable(1)->set_cue(pb::CUE_BIG_PICTURE);
  obs.Mutable(1)->set_value(9);
  EXPECT_EQ(error_code_of([&] { validate_observations(obs); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("observations[1].value: 9 is outside 1..4"), std::string::npos) << msg;
}

TEST(StyleModel, AllSixteenPairsGetCompleteGuidanceAndDiagonalsAreHardest) {
  auto book = load<pb::GuidanceBook>("guidance.json");
  ASSERT_NO_THROW(validate_book(book));
  const std::pair<double, double> centre[] = {
      {3.25, 1.75}, {3.25, 3.25}, {1.75, 3.25}, {1.75, 1.75}};
  std::set<std::string> perceptions;
  int hardest = 0;
  for (const auto& [sa, sr] : centre) {
    for (const auto& [ca, cr] : centre) {
      auto sp = make_style(sa, sr, kDefaultVocabulary);
      auto cu = make_style(ca, cr, kDefaultVocabulary);
      auto g = make_guidance(book, sp, cu);
      SCOPED_TRACE(sp.name() + " -> " + cu.name());
      EXPECT_FALSE(g.awareness().perceived_as().empty());
      EXPECT_FALSE(g.awareness().your_backup_behavior().empty());
      EXPECT_FALSE(g.alignment().their_pace().empty());
      EXPECT_FALSE(g.alignment().they_want_to_save().empty());
      EXPECT_FALSE(g.alignment().they_ask().empty());
      EXPECT_FALSE(g.alignment().adjust().empty());
      EXPECT_GE(g.action().do__size(), 1);
      EXPECT_GE(g.action().dont_size(), 1);
      EXPECT_FALSE(g.action().present_a_proposal().empty());
      EXPECT_FALSE(g.action().ask_for_a_decision().empty());
      perceptions.insert(g.awareness().perceived_as());
      hardest += g.hardest_pairing();
      EXPECT_EQ(g.hardest_pairing(), (sp.name() == "Driver" && cu.name() == "Amiable") ||
                                         (sp.name() == "Amiable" && cu.name() == "Driver") ||
                                         (sp.name() == "Expressive" && cu.name() == "Analytical") ||
                                         (sp.name() == "Analytical" && cu.name() == "Expressive"));
    }
  }
  EXPECT_EQ(perceptions.size(), 16u) << "each pair has its own note";
  EXPECT_EQ(hardest, 4);
  // A Driver meeting an Amiable turns assertiveness down and responsiveness up.
  auto g = make_guidance(book, make_style(3.5, 1.5, kDefaultVocabulary),
                         make_style(1.5, 3.5, kDefaultVocabulary));
  EXPECT_NE(g.alignment().adjust().find(book.adjust().tell_less()), std::string::npos);
  EXPECT_NE(g.alignment().adjust().find(book.adjust().emote_more()), std::string::npos);
  EXPECT_EQ(g.alignment().they_want_to_save(), "relationships");
  EXPECT_EQ(g.alignment().they_ask(), "why (why change, why now, why you)");
}

TEST(StyleModel, IncompleteGuidanceBookIsRefused) {
  auto book = load<pb::GuidanceBook>("guidance.json");
  book.mutable_pairs()->RemoveLast();
  std::string msg;
  EXPECT_EQ(error_code_of([&] { validate_book(book); }, &msg), v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("16"), std::string::npos) << msg;
}

}  // namespace
}  // namespace coach::behavior_styles
