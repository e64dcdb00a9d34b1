// SPDX-License-Identifier: Apache-2.0
#include "motivation_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace coach::motivation_keys {

namespace {

double round3(double x) { return std::round(x * 1000) / 1000; }

double stddev(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

double score_of(const pb::Pulse& p, pb::Key key) {
  for (const auto& s : p.scores()) {
    if (s.key() == key) return s.score();
  }
  return 0;
}

void check_rating(const std::string& field, double v) {
  if (!(v >= kTrustMin && v <= kTrustMax))
    throw invalid_argument(field, fmt::format("{} is outside {}..{}", v, kTrustMin, kTrustMax));
}

}  // namespace

const char* key_name(pb::Key key) {
  switch (key) {
    case pb::KEY_ENGAGE:
      return "Engage";
    case pb::KEY_EMPOWER:
      return "Empower";
    case pb::KEY_PERFORM:
      return "Perform";
    case pb::KEY_ENJOY:
      return "Enjoy";
    default:
      return "?";
  }
}

std::size_t key_index(pb::Key key) {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i] == key) return i;
  }
  throw invalid_argument("key", "one of KEY_ENGAGE, KEY_EMPOWER, KEY_PERFORM, KEY_ENJOY");
}

void validate_questionnaire(const pb::Questionnaire& q) {
  if (q.scale_max() < 2 || q.scale_max() > 10)
    throw invalid_argument("questionnaire.scale_max", "must be between 2 and 10");
  std::set<std::string> ids;
  std::set<int> keys;
  for (int i = 0; i < q.items_size(); ++i) {
    const auto& item = q.items(i);
    const std::string field = fmt::format("questionnaire.items[{}]", i);
    if (item.id().empty() || !ids.insert(item.id()).second)
      throw invalid_argument(field + ".id", "empty or used twice");
    if (item.text().empty()) throw invalid_argument(field + ".text", "empty");
    if (item.key() == pb::KEY_UNSPECIFIED || !pb::Key_IsValid(item.key()))
      throw invalid_argument(field + ".key", "unspecified");
    keys.insert(item.key());
  }
  for (auto key : kKeys) {
    if (!keys.count(key))
      throw invalid_argument("questionnaire.items", fmt::format("no item for {}", key_name(key)));
  }
}

KeyScores score_pulse(const pb::Questionnaire& q,
                      const google::protobuf::RepeatedField<google::protobuf::int32>& answers) {
  if (answers.size() != q.items_size()) {
    throw invalid_argument("answers", fmt::format("expected {} answers (one per item), got {}",
                                                  q.items_size(), answers.size()));
  }
  const int top = q.scale_max();
  KeyScores sum{}, n{};
  for (int i = 0; i < answers.size(); ++i) {
    const int v = answers[i];
    if (v < 1 || v > top)
      throw invalid_argument(fmt::format("answers[{}]", i),
                             fmt::format("{} is outside 1..{}", v, top));
    const auto& item = q.items(i);
    const int keyed = item.reverse_keyed() ? top + 1 - v : v;
    const auto k = key_index(item.key());
    sum[k] += 1.0 + (keyed - 1) * (kPulseMax - 1.0) / (top - 1);
    n[k] += 1;
  }
  KeyScores out{};
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = round3(sum[k] / n[k]);
  return out;
}

pb::Key weakest_of(const KeyScores& scores) {
  std::size_t low = 0;
  for (std::size_t k = 1; k < scores.size(); ++k) {
    if (scores[k] < scores[low]) low = k;
  }
  return kKeys[low];
}

pb::Pulse make_pulse(const std::string& person, std::int64_t taken_ms, const KeyScores& scores,
                     const std::vector<pb::Pulse>& previous, int window) {
  pb::Pulse p;
  p.set_person_id(person);
  p.set_taken_ms(taken_ms);
  for (std::size_t k = 0; k < kKeys.size(); ++k) {
    auto* s = p.add_scores();
    s->set_key(kKeys[k]);
    s->set_name(key_name(kKeys[k]));
    s->set_score(scores[k]);
    if (!previous.empty()) {
      s->set_has_change(true);
      s->set_change(round3(scores[k] - score_of(previous.back(), kKeys[k])));
    }
    double sum = scores[k];
    int n = 1;
    for (auto it = previous.rbegin(); it != previous.rend() && n < window; ++it, ++n)
      sum += score_of(*it, kKeys[k]);
    s->set_moving_average(round3(sum / n));
  }
  p.set_weakest(weakest_of(scores));
  return p;
}

void validate_trust(const pb::RateTrustRequest& r) {
  if (r.role() == pb::RATER_ROLE_UNSPECIFIED || !pb::RaterRole_IsValid(r.role()))
    throw invalid_argument("role", "one of RATER_ROLE_SELF, _CUSTOMER, _MANAGER");
  check_rating("credibility", r.credibility());
  check_rating("reliability", r.reliability());
  check_rating("intimacy", r.intimacy());
  if (!(r.self_orientation() > 0))
    throw invalid_argument(
        "self_orientation",
        fmt::format("must be positive (T divides by it), got {}", r.self_orientation()));
  check_rating("self_orientation", r.self_orientation());
}

pb::TrustAssessment assess_trust(const pb::RateTrustRequest& r, double uneven_spread) {
  validate_trust(r);
  pb::TrustAssessment t;
  t.set_salesperson_id(r.salesperson_id());
  t.set_account_id(r.account_id());
  t.set_role(r.role());
  t.set_credibility(r.credibility());
  t.set_reliability(r.reliability());
  t.set_intimacy(r.intimacy());
  t.set_self_orientation(r.self_orientation());
  t.set_trust(round3((r.credibility() + r.reliability() + r.intimacy()) / r.self_orientation()));
  const std::array<std::pair<const char*, double>, 4> goodness{
      {{"credibility", r.credibility()},
       {"reliability", r.reliability()},
       {"intimacy", r.intimacy()},
       {"self_orientation", kTrustMax + kTrustMin - r.self_orientation()}}};
  auto best = goodness[0], worst = goodness[0];
  std::vector<double> values;
  for (const auto& g : goodness) {
    if (g.second > best.second) best = g;
    if (g.second < worst.second) worst = g;
    values.push_back(g.second);
  }
  t.set_strongest(best.first);
  t.set_biggest_opportunity(worst.first);
  t.set_spread(round3(stddev(values)));
  t.set_uneven(t.spread() >= uneven_spread);
  return t;
}

std::vector<std::string> crisis_push_evidence(const std::vector<pb::Pulse>& recent,
                                              double min_change) {
  if (recent.size() < 2) return {};
  const auto& first = recent.front();
  const auto& last = recent.back();
  auto delta = [&](pb::Key k) { return score_of(last, k) - score_of(first, k); };
  if (delta(pb::KEY_PERFORM) < min_change || delta(pb::KEY_ENGAGE) > -min_change ||
      delta(pb::KEY_ENJOY) > -min_change)
    return {};
  std::vector<std::string> evidence;
  for (auto [key, verb] : {std::pair{pb::KEY_PERFORM, "rose"}, std::pair{pb::KEY_ENGAGE, "fell"},
                           std::pair{pb::KEY_ENJOY, "fell"}}) {
    evidence.push_back(fmt::format("{} {} from {:.2f} to {:.2f} over the last {} pulses",
                                   key_name(key), verb, score_of(first, key), score_of(last, key),
                                   recent.size()));
  }
  return evidence;
}

std::vector<std::string> self_orientation_evidence(const std::vector<pb::TrustAssessment>& recent,
                                                   double min_change) {
  if (recent.size() < 2) return {};
  const double from = recent.front().self_orientation();
  const double to = recent.back().self_orientation();
  if (to - from < min_change) return {};
  return {
      fmt::format("self-orientation with account {} rose from {:g} to {:g} over the last {} "
                  "ratings; trust went from {:g} to {:g}",
                  recent.back().account_id(), from, to, recent.size(), recent.front().trust(),
                  recent.back().trust())};
}

pb::PlateauStatus plateau_status(const std::string& person,
                                 const std::vector<pb::PeriodResult>& last, int periods,
                                 double band) {
  pb::PlateauStatus s;
  s.set_person_id(person);
  for (const auto& p : last) *s.add_periods() = p;
  if (static_cast<int>(last.size()) < periods) {
    s.set_evidence(fmt::format("{} of {} periods recorded", last.size(), periods));
    return s;
  }
  const double target = last.front().target();
  double lo = last.front().attainment(), hi = lo;
  bool same_target = true;
  for (const auto& p : last) {
    same_target = same_target && std::abs(p.target() - target) <= 1e-9 * std::max(1.0, target);
    lo = std::min(lo, p.attainment());
    hi = std::max(hi, p.attainment());
  }
  if (!same_target) {
    s.set_evidence("the target changed within the last periods");
    return s;
  }
  s.set_plateau(hi - lo <= band * target);
  s.set_evidence(
      fmt::format("attainment between {:g} and {:g} ({:.1f}% of the target) against an unchanged "
                  "target of {:g} "
                  "for {} periods; the band is {:g}%",
                  lo, hi, (hi - lo) / target * 100, target, last.size(), band * 100));
  return s;
}

pb::TeamView summarize_team(const std::string& team_id, std::size_t members,
                            const std::vector<std::pair<std::string, pb::Pulse>>& latest_pulses) {
  pb::TeamView view;
  view.set_team_id(team_id);
  view.set_members(static_cast<int>(members));
  view.set_members_with_pulse(static_cast<int>(latest_pulses.size()));
  std::array<std::vector<double>, 4> latest;
  std::vector<pb::Mover> movers;
  for (const auto& [id, pulse] : latest_pulses) {
    for (const auto& s : pulse.scores()) {
      latest[key_index(s.key())].push_back(s.score());
      if (s.has_change() && s.change() != 0) {
        pb::Mover mv;
        mv.set_person_id(id);
        mv.set_key(s.key());
        mv.set_name(s.name());
        mv.set_change(s.change());
        movers.push_back(mv);
      }
    }
  }
  if (view.members_with_pulse() == 0) return view;
  double weakest_mean = 1e9;
  for (std::size_t k = 0; k < kKeys.size(); ++k) {
    double sum = 0;
    for (double x : latest[k]) sum += x;
    const double mean = sum / static_cast<double>(latest[k].size());
    double sq = 0;
    for (double x : latest[k]) sq += (x - mean) * (x - mean);
    auto* st = view.add_keys();
    st->set_key(kKeys[k]);
    st->set_name(key_name(kKeys[k]));
    st->set_mean(std::round(mean * 1000) / 1000);
    st->set_spread(std::round(std::sqrt(sq / static_cast<double>(latest[k].size())) * 1000) / 1000);
    if (mean < weakest_mean) {
      weakest_mean = mean;
      view.set_weakest(kKeys[k]);
    }
  }
  std::stable_sort(movers.begin(), movers.end(), [](const auto& a, const auto& b) {
    return std::abs(a.change()) > std::abs(b.change());
  });
  for (std::size_t i = 0; i < movers.size() && i < 5; ++i) *view.add_moved_most() = movers[i];
  return view;
}

void trend_trust(pb::TrustAssessment& t, const std::vector<pb::TrustAssessment>& same_role,
                 int window) {
  if (!same_role.empty()) {
    t.set_has_change(true);
    t.set_change(std::round((t.trust() - same_role.back().trust()) * 1000) / 1000);
  }
  double sum = t.trust();
  int n = 1;
  for (auto it = same_role.rbegin(); it != same_role.rend() && n < window; ++it, ++n)
    sum += it->trust();
  t.set_moving_average(std::round(sum / n * 1000) / 1000);
}

}  // namespace coach::motivation_keys
