// SPDX-License-Identifier: Apache-2.0
// The motivation keys model alone: pulse scoring and trends, the Trust Equation with its worked
// examples, crisis-push and self-orientation evidence, plateaus.
#include <gtest/gtest.h>

#include "plugin_client.hpp"

#include <coach/data_file.hpp>
#include <functional>

#include "motivation_model.hpp"

namespace coach::motivation_keys {
namespace {

using testing::error_code_of;

pb::Questionnaire builtin() {
  return coach::message_from_json<pb::Questionnaire>(
      coach::read_text_file(MOTIVATION_KEYS_DATA_DIR "/questionnaire.json"), "questionnaire");
}

pb::RateTrustRequest rating(double c, double r, double i, double s) {
  pb::RateTrustRequest t;
  t.set_salesperson_id("ana");
  t.set_account_id("acme");
  t.set_role(pb::RATER_ROLE_CUSTOMER);
  t.set_credibility(c);
  t.set_reliability(r);
  t.set_intimacy(i);
  t.set_self_orientation(s);
  return t;
}

TEST(MotivationModel, TrustEquationWorkedExamples) {
  EXPECT_DOUBLE_EQ(assess_trust(rating(4, 4, 4, 2), 2.0).trust(), 6.0);
  EXPECT_DOUBLE_EQ(assess_trust(rating(4, 4, 4, 4), 2.0).trust(), 3.0);
  EXPECT_DOUBLE_EQ(assess_trust(rating(10, 10, 10, 1), 2.0).trust(), 30.0);
}

TEST(MotivationModel, TrustNamesStrongestFactorAndBiggestOpportunity) {
  // Goodness: C 9, R 5, I 6, S inverted 11 - 3 = 8.
  auto t = assess_trust(rating(9, 5, 6, 3), 2.0);
  EXPECT_EQ(t.strongest(), "credibility");
  EXPECT_EQ(t.biggest_opportunity(), "reliability");
  // A low self-orientation is the strength.
  auto s = assess_trust(rating(5, 5, 5, 1), 2.0);
  EXPECT_EQ(s.strongest(), "self_orientation");
  // High self-orientation is the opportunity.
  EXPECT_EQ(assess_trust(rating(5, 5, 5, 9), 2.0).biggest_opportunity(), "self_orientation");
}

TEST(MotivationModel, UnevenProfileIsFlagged) {
  auto even = assess_trust(rating(6, 6, 6, 5), 2.0);  // goodness 6, 6, 6, 6
  EXPECT_DOUBLE_EQ(even.spread(), 0.0);
  EXPECT_FALSE(even.uneven());
  auto uneven = assess_trust(rating(10, 2, 9, 2), 2.0);  // 10, 2, 9, 9
  EXPECT_GE(uneven.spread(), 2.0);
  EXPECT_TRUE(uneven.uneven());
}

TEST(MotivationModel, BadTrustRatingsNameTheField) {
  std::string msg;
  EXPECT_EQ(error_code_of([&] { assess_trust(rating(4, 4, 4, 0), 2.0); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("self_orientation: must be positive"), std::string::npos) << msg;
  EXPECT_EQ(error_code_of([&] { assess_trust(rating(4, 4, 4, -2), 2.0); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error_code_of([&] { assess_trust(rating(11, 4, 4, 2), 2.0); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("credibility: 11 is outside 1..10"), std::string::npos) << msg;
  auto no_role = rating(4, 4, 4, 2);
  no_role.set_role(pb::RATER_ROLE_UNSPECIFIED);
  EXPECT_EQ(error_code_of([&] { assess_trust(no_role, 2.0); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("role"), std::string::npos);
}

TEST(MotivationModel, BuiltInQuestionnaireCoversAllKeysWithReverseItems) {
  auto q = builtin();
  EXPECT_NO_THROW(validate_questionnaire(q));
  std::map<int, int> per_key, reversed;
  for (const auto& item : q.items()) {
    ++per_key[item.key()];
    reversed[item.key()] += item.reverse_keyed();
  }
  for (auto key : kKeys) {
    EXPECT_EQ(per_key[key], 4) << key_name(key);
  }
  EXPECT_GT(reversed[pb::KEY_ENGAGE] + reversed[pb::KEY_PERFORM], 0);
  auto missing = q;
  for (int i = missing.items_size() - 1; i >= 0; --i) {
    if (missing.items(i).key() == pb::KEY_ENJOY) missing.mutable_items()->DeleteSubrange(i, 1);
  }
  std::string msg;
  EXPECT_EQ(error_code_of([&] { validate_questionnaire(missing); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("no item for Enjoy"), std::string::npos) << msg;
}

google::protobuf::RepeatedField<google::protobuf::int32> all(const pb::Questionnaire& q,
                                                             std::map<pb::Key, int> level) {
  google::protobuf::RepeatedField<google::protobuf::int32> out;
  for (const auto& item : q.items()) {
    const int v = level[item.key()];
    out.Add(item.reverse_keyed() ? q.scale_max() + 1 - v : v);
  }
  return out;
}

TEST(MotivationModel, PulseScoresMirrorReverseItemsAndTrend) {
  auto q = builtin();
  auto s = score_pulse(
      q,
      all(q,
          {{pb::KEY_ENGAGE, 5}, {pb::KEY_EMPOWER, 4}, {pb::KEY_PERFORM, 3}, {pb::KEY_ENJOY, 2}}));
  EXPECT_DOUBLE_EQ(s[0], 5.0);
  EXPECT_DOUBLE_EQ(s[1], 4.0);
  EXPECT_DOUBLE_EQ(s[2], 3.0);
  EXPECT_DOUBLE_EQ(s[3], 2.0);
  EXPECT_EQ(weakest_of(s), pb::KEY_ENJOY);

  auto p1 = make_pulse("ana", 1, {4, 4, 4, 4}, {}, 3);
  EXPECT_FALSE(p1.scores(0).has_change());
  auto p2 = make_pulse("ana", 2, {3, 4, 5, 4}, {p1}, 3);
  EXPECT_TRUE(p2.scores(0).has_change());
  EXPECT_DOUBLE_EQ(p2.scores(0).change(), -1.0);
  EXPECT_DOUBLE_EQ(p2.scores(2).change(), 1.0);
  auto p3 = make_pulse("ana", 3, {2, 4, 5, 4}, {p1, p2}, 3);
  EXPECT_DOUBLE_EQ(p3.scores(0).moving_average(), 3.0);  // (4 + 3 + 2) / 3
  auto p4 = make_pulse("ana", 4, {2, 4, 5, 4}, {p1, p2, p3}, 3);
  EXPECT_NEAR(p4.scores(0).moving_average(), 2.333, 1e-9);  // the window is 3
  EXPECT_EQ(p4.weakest(), pb::KEY_ENGAGE);
}

TEST(MotivationModel, BadAnswersNameTheField) {
  auto q = builtin();
  auto answers =
      all(q, {{pb::KEY_ENGAGE, 3}, {pb::KEY_EMPOWER, 3}, {pb::KEY_PERFORM, 3}, {pb::KEY_ENJOY, 3}});
  std::string msg;
  auto short_answers = answers;
  short_answers.RemoveLast();
  EXPECT_EQ(error_code_of([&] { score_pulse(q, short_answers); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("answers: expected 16 answers"), std::string::npos) << msg;
  answers.Set(3, 6);
  EXPECT_EQ(error_code_of([&] { score_pulse(q, answers); }, &msg),
            v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("answers[3]: 6 is outside 1..5"), std::string::npos) << msg;
}

TEST(MotivationModel, CrisisPushNeedsPerformUpWhileEngageAndEnjoyFall) {
  auto a = make_pulse("ana", 1, {4, 3, 2, 4}, {}, 3);
  auto b = make_pulse("ana", 2, {3.5, 3, 3, 3.5}, {a}, 3);
  auto c = make_pulse("ana", 3, {3, 3, 4, 3}, {a, b}, 3);
  auto evidence = crisis_push_evidence({a, b, c}, 0.5);
  ASSERT_EQ(evidence.size(), 3u);
  EXPECT_NE(evidence[0].find("Perform rose from 2.00 to 4.00"), std::string::npos) << evidence[0];
  EXPECT_NE(evidence[1].find("Engage fell"), std::string::npos);
  // Perform up with Engage steady: no signal.
  auto d = make_pulse("ana", 3, {4, 3, 4, 3}, {a, b}, 3);
  EXPECT_TRUE(crisis_push_evidence({a, b, d}, 0.5).empty());
  // Everything falling: not a push, no signal.
  auto e = make_pulse("ana", 3, {3, 3, 1, 3}, {a, b}, 3);
  EXPECT_TRUE(crisis_push_evidence({a, b, e}, 0.5).empty());
}

TEST(MotivationModel, ClimbingSelfOrientationIsEvidence) {
  auto r1 = assess_trust(rating(6, 6, 6, 2), 2.0);
  auto r2 = assess_trust(rating(6, 6, 6, 2.5), 2.0);
  auto r3 = assess_trust(rating(6, 6, 6, 4), 2.0);
  auto evidence = self_orientation_evidence({r1, r2, r3}, 1.0);
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_NE(evidence[0].find("rose from 2 to 4"), std::string::npos) << evidence[0];
  EXPECT_TRUE(self_orientation_evidence({r1, r2}, 1.0).empty());
}

pb::PeriodResult period(const std::string& p, double target, double attained) {
  pb::PeriodResult r;
  r.set_period(p);
  r.set_target(target);
  r.set_attainment(attained);
  return r;
}

TEST(MotivationModel, PlateauIsASettledBandUnderAnUnchangedTarget) {
  std::vector<pb::PeriodResult> flat{period("2026-08", 100, 95), period("2026-09", 100, 97),
                                     period("2026-10", 100, 96), period("2026-11", 100, 98)};
  auto s = plateau_status("ana", flat, 4, 0.05);
  EXPECT_TRUE(s.plateau()) << s.evidence();
  EXPECT_NE(s.evidence().find("unchanged target of 100 for 4 periods"), std::string::npos);
  auto moved = flat;
  moved[2] = period("2026-10", 120, 96);
  EXPECT_FALSE(plateau_status("ana", moved, 4, 0.05).plateau());
  auto growing = flat;
  growing[3] = period("2026-11", 100, 110);
  EXPECT_FALSE(plateau_status("ana", growing, 4, 0.05).plateau());
  EXPECT_FALSE(plateau_status("ana", {flat[0], flat[1]}, 4, 0.05).plateau());
}

}  // namespace
}  // namespace coach::motivation_keys
