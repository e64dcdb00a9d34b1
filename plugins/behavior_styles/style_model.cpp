// SPDX-License-Identifier: Apache-2.0
#include "style_model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace coach::behavior_styles {

namespace {

int index_of(pb::Quadrant q) {
  if (q < pb::QUADRANT_TELLS_CONTROLS || q > pb::QUADRANT_ASKS_CONTROLS)
    throw invalid_argument("quadrant", "unspecified");
  return static_cast<int>(q) - 1;
}

bool is_high(double score) { return score >= kMidline; }

pb::Axis axis_of(pb::Cue cue) {
  switch (cue) {
    case pb::CUE_PACE:
    case pb::CUE_TELLS_VS_ASKS:
    case pb::CUE_DECISIONS:
      return pb::AXIS_ASSERTIVENESS;
    case pb::CUE_SHOWS_FEELINGS:
    case pb::CUE_BIG_PICTURE:
    case pb::CUE_RELATIONSHIP:
      return pb::AXIS_RESPONSIVENESS;
    default:
      return pb::AXIS_UNSPECIFIED;
  }
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? kMidline : sum / static_cast<double>(v.size());
}

double spread(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

}  // namespace

pb::Quadrant quadrant_of(double assertiveness, double responsiveness) {
  if (is_high(assertiveness))
    return is_high(responsiveness) ? pb::QUADRANT_TELLS_EMOTES : pb::QUADRANT_TELLS_CONTROLS;
  return is_high(responsiveness) ? pb::QUADRANT_ASKS_EMOTES : pb::QUADRANT_ASKS_CONTROLS;
}

const std::string& name_of(pb::Quadrant q, const Vocabulary& names) {
  return names[static_cast<std::size_t>(index_of(q))];
}

pb::Style make_style(double assertiveness, double responsiveness, const Vocabulary& names) {
  pb::Style s;
  s.set_assertiveness(assertiveness);
  s.set_responsiveness(responsiveness);
  s.set_quadrant(quadrant_of(assertiveness, responsiveness));
  s.set_name(name_of(s.quadrant(), names));
  s.set_strength(std::hypot(assertiveness - kMidline, responsiveness - kMidline));
  return s;
}

bool is_diagonal(pb::Quadrant a, pb::Quadrant b) { return (index_of(a) + 2) % 4 == index_of(b); }

void validate_instrument(const pb::Instrument& instrument) {
  if (instrument.scale_max() < 2 || instrument.scale_max() > 10)
    throw invalid_argument("instrument.scale_max", "must be between 2 and 10");
  if (instrument.items().empty()) throw invalid_argument("instrument.items", "no items");
  std::set<std::string> ids;
  bool axis_seen[3] = {false, false, false};
  for (int i = 0; i < instrument.items_size(); ++i) {
    const auto& item = instrument.items(i);
    const std::string field = "instrument.items[" + std::to_string(i) + "]";
    if (item.id().empty()) throw invalid_argument(field + ".id", "empty");
    if (!ids.insert(item.id()).second)
      throw invalid_argument(field + ".id", "'" + item.id() + "' used twice");
    if (item.text().empty()) throw invalid_argument(field + ".text", "empty");
    if (item.axis() != pb::AXIS_ASSERTIVENESS && item.axis() != pb::AXIS_RESPONSIVENESS)
      throw invalid_argument(field + ".axis", "must be AXIS_ASSERTIVENESS or AXIS_RESPONSIVENESS");
    axis_seen[item.axis()] = true;
  }
  if (!axis_seen[pb::AXIS_ASSERTIVENESS])
    throw invalid_argument("instrument.items", "no item measures assertiveness");
  if (!axis_seen[pb::AXIS_RESPONSIVENESS])
    throw invalid_argument("instrument.items", "no item measures responsiveness");
}

pb::Style score(const pb::Instrument& instrument,
                const google::protobuf::RepeatedField<google::protobuf::int32>& answers,
                const Vocabulary& names) {
  if (answers.size() != instrument.items_size()) {
    throw invalid_argument("answers", "expected " + std::to_string(instrument.items_size()) +
                                          " answers (one per item), got " +
                                          std::to_string(answers.size()));
  }
  const int top = instrument.scale_max();
  std::vector<double> a, r;
  for (int i = 0; i < answers.size(); ++i) {
    const int v = answers[i];
    if (v < 1 || v > top) {
      throw invalid_argument("answers[" + std::to_string(i) + "]",
                             std::to_string(v) + " is outside 1.." + std::to_string(top));
    }
    const auto& item = instrument.items(i);
    const int keyed = item.reverse_keyed() ? top + 1 - v : v;
    // Rescale 1..top onto the model's 1..4.
    const double on_axis = kAxisMin + (keyed - 1) * (kAxisMax - kAxisMin) / (top - 1);
    (item.axis() == pb::AXIS_ASSERTIVENESS ? a : r).push_back(on_axis);
  }
  return make_style(mean(a), mean(r), names);
}

pb::Style mean_style(const std::vector<pb::Style>& views, const Vocabulary& names) {
  std::vector<double> a, r;
  for (const auto& v : views) {
    a.push_back(v.assertiveness());
    r.push_back(v.responsiveness());
  }
  return make_style(mean(a), mean(r), names);
}

void validate_observations(const google::protobuf::RepeatedPtrField<pb::Observation>& obs) {
  if (obs.empty()) throw invalid_argument("observations", "at least one is needed");
  for (int i = 0; i < obs.size(); ++i) {
    const std::string field = "observations[" + std::to_string(i) + "]";
    if (axis_of(obs[i].cue()) == pb::AXIS_UNSPECIFIED)
      throw invalid_argument(field + ".cue", "unspecified or unknown cue");
    if (obs[i].value() < 1 || obs[i].value() > 4)
      throw invalid_argument(field + ".value", std::to_string(obs[i].value()) + " is outside 1..4");
  }
}

CustomerEstimate estimate_customer(const std::vector<pb::Observation>& observations,
                                   const Vocabulary& names) {
  std::vector<double> a, r;
  for (const auto& o : observations) {
    (axis_of(o.cue()) == pb::AXIS_ASSERTIVENESS ? a : r).push_back(o.value());
  }
  CustomerEstimate e;
  e.style = make_style(mean(a), mean(r), names);
  const double coverage = std::min(1.0, static_cast<double>(std::min(a.size(), r.size())) / 3.0);
  const double consistency = std::clamp(1.0 - (spread(a) + spread(r)) / 2.0 / 1.5, 0.0, 1.0);
  const double clarity = std::min(1.0, std::min(std::abs(e.style.assertiveness() - kMidline),
                                                std::abs(e.style.responsiveness() - kMidline)) /
                                           0.5);
  e.confidence = coverage * (consistency + clarity) / 2.0;
  return e;
}

void validate_book(const pb::GuidanceBook& book) {
  std::set<int> styles;
  for (int i = 0; i < book.styles_size(); ++i) {
    const auto& s = book.styles(i);
    const std::string field = "styles[" + std::to_string(i) + "]";
    if (s.quadrant() == pb::QUADRANT_UNSPECIFIED)
      throw invalid_argument(field + ".quadrant", "unspecified");
    if (s.pace().empty() || s.priority().empty() || s.saves().empty() || s.asks().empty() ||
        s.backup_behavior().empty() || s.proposal().empty() || s.decision().empty() ||
        s.do__size() == 0 || s.dont_size() == 0)
      throw invalid_argument(field,
                             "every text (pace, priority, saves, asks, backup_behavior, "
                             "do, dont, proposal, decision) is required");
    styles.insert(s.quadrant());
  }
  if (styles.size() != 4) throw invalid_argument("styles", "need traits for all four quadrants");
  std::set<std::pair<int, int>> pairs;
  for (const auto& p : book.pairs()) {
    if (p.salesperson() != pb::QUADRANT_UNSPECIFIED && p.customer() != pb::QUADRANT_UNSPECIFIED &&
        !p.perceived_as().empty())
      pairs.emplace(p.salesperson(), p.customer());
  }
  if (pairs.size() != 16)
    throw invalid_argument("pairs",
                           "need a perceived_as note for all 16 (salesperson, customer) "
                           "pairs, found " +
                               std::to_string(pairs.size()));
  const auto& adj = book.adjust();
  if (adj.tell_less().empty() || adj.tell_more().empty() || adj.emote_less().empty() ||
      adj.emote_more().empty() || adj.same_style().empty())
    throw invalid_argument("adjust", "all five texts are required");
}

pb::Guidance make_guidance(const pb::GuidanceBook& book, const pb::Style& salesperson,
                           const pb::Style& customer) {
  const pb::StyleTraits* mine = nullptr;
  const pb::StyleTraits* theirs = nullptr;
  for (const auto& s : book.styles()) {
    if (s.quadrant() == salesperson.quadrant()) mine = &s;
    if (s.quadrant() == customer.quadrant()) theirs = &s;
  }
  if (!mine || !theirs) throw Error(v1::STATUS_CODE_INTERNAL, "guidance book lacks a style");
  pb::Guidance g;
  *g.mutable_salesperson() = salesperson;
  *g.mutable_customer() = customer;
  for (const auto& p : book.pairs()) {
    if (p.salesperson() == salesperson.quadrant() && p.customer() == customer.quadrant())
      g.mutable_awareness()->set_perceived_as(p.perceived_as());
  }
  g.mutable_awareness()->set_your_backup_behavior(mine->backup_behavior());
  g.mutable_awareness()->set_their_backup_behavior(theirs->backup_behavior());

  auto* al = g.mutable_alignment();
  al->set_their_pace(theirs->pace());
  al->set_their_priority(theirs->priority());
  al->set_they_want_to_save(theirs->saves());
  al->set_they_ask(theirs->asks());
  std::vector<std::string> adjust;
  const bool i_tell = is_high(salesperson.assertiveness());
  const bool they_tell = is_high(customer.assertiveness());
  const bool i_emote = is_high(salesperson.responsiveness());
  const bool they_emote = is_high(customer.responsiveness());
  if (i_tell && !they_tell) adjust.push_back(book.adjust().tell_less());
  if (!i_tell && they_tell) adjust.push_back(book.adjust().tell_more());
  if (i_emote && !they_emote) adjust.push_back(book.adjust().emote_less());
  if (!i_emote && they_emote) adjust.push_back(book.adjust().emote_more());
  if (adjust.empty()) adjust.push_back(book.adjust().same_style());
  std::string joined;
  for (const auto& a : adjust) joined += (joined.empty() ? "" : " ") + a;
  al->set_adjust(joined);

  auto* act = g.mutable_action();
  for (const auto& d : theirs->do_()) act->add_do_(d);
  for (const auto& d : theirs->dont()) act->add_dont(d);
  act->set_present_a_proposal(theirs->proposal());
  act->set_ask_for_a_decision(theirs->decision());
  g.set_hardest_pairing(is_diagonal(salesperson.quadrant(), customer.quadrant()));
  if (g.hardest_pairing()) g.set_note(book.hardest_note());
  return g;
}

pb::Style style_of_quadrant(pb::Quadrant q, const Vocabulary& names, const std::string& field) {
  if (q == pb::QUADRANT_UNSPECIFIED || !pb::Quadrant_IsValid(q))
    throw invalid_argument(field, "unspecified");
  const double hi = 3.25, lo = 1.75;
  const bool tells = q == pb::QUADRANT_TELLS_CONTROLS || q == pb::QUADRANT_TELLS_EMOTES;
  const bool emotes = q == pb::QUADRANT_TELLS_EMOTES || q == pb::QUADRANT_ASKS_EMOTES;
  return make_style(tells ? hi : lo, emotes ? hi : lo, names);
}

pb::Profile make_profile(const pb::Person& person, std::vector<pb::RaterView> views,
                         const Vocabulary& names) {
  pb::Profile p;
  *p.mutable_person() = person;
  std::vector<pb::Style> others;
  for (auto& view : views) {
    if (view.role() == pb::RATER_ROLE_SELF) {
      *p.mutable_self() = view.style();
    } else {
      others.push_back(view.style());
    }
    *p.add_raters() = std::move(view);
  }
  if (!others.empty()) {
    *p.mutable_others() = mean_style(others, names);
    p.set_others_count(static_cast<int>(others.size()));
  }
  p.set_views_differ(p.has_self() && p.has_others() &&
                     p.self().quadrant() != p.others().quadrant());
  if (p.has_others()) {
    *p.mutable_effective() = p.others();
  } else if (p.has_self()) {
    *p.mutable_effective() = p.self();
  }
  return p;
}

void add_observations(pb::ObservationLog& log, const pb::RecordObservationsRequest& request,
                      int max_kept, std::int64_t now_ms) {
  log.set_account_id(request.account_id());
  log.set_salesperson_id(request.salesperson_id());
  for (const auto& o : request.observations()) *log.add_observations() = o;
  if (log.observations_size() > max_kept)
    log.mutable_observations()->DeleteSubrange(0, log.observations_size() - max_kept);
  log.set_updated_ms(now_ms);
}

pb::CustomerStyle customer_style_of(const pb::ObservationLog& log, const Vocabulary& names,
                                    double tentative_below) {
  std::vector<pb::Observation> obs(log.observations().begin(), log.observations().end());
  auto e = estimate_customer(obs, names);
  pb::CustomerStyle out;
  out.set_account_id(log.account_id());
  *out.mutable_style() = e.style;
  out.set_confidence(std::round(e.confidence * 1000) / 1000);
  out.set_tentative(e.confidence < tentative_below);
  out.set_observations(log.observations_size());
  out.set_salesperson_id(log.salesperson_id());
  return out;
}

pb::Pairing make_pairing(const std::string& person_id, const pb::Style& person,
                         const pb::CustomerStyle& customer) {
  pb::Pairing pair;
  pair.set_person_id(person_id);
  pair.set_account_id(customer.account_id());
  pair.set_person_style(person.name());
  pair.set_customer_style(customer.style().name());
  const double distance = std::hypot(person.assertiveness() - customer.style().assertiveness(),
                                     person.responsiveness() - customer.style().responsiveness());
  pair.set_adaptation_needed(std::round(distance * 1000) / 1000);
  pair.set_hardest_pairing(is_diagonal(person.quadrant(), customer.style().quadrant()));
  return pair;
}

void sort_pairings(pb::TeamMap& map) {
  std::stable_sort(map.mutable_pairings()->begin(), map.mutable_pairings()->end(),
                   [](const pb::Pairing& a, const pb::Pairing& b) {
                     if (a.hardest_pairing() != b.hardest_pairing()) return a.hardest_pairing();
                     return a.adaptation_needed() > b.adaptation_needed();
                   });
}

void mark_tentative(pb::Guidance& guidance) {
  guidance.set_tentative(true);
  guidance.set_note((guidance.note().empty() ? "" : guidance.note() + " ") +
                    std::string("The customer's style is a tentative estimate: test it early in "
                                "the conversation and record more observations."));
}

}  // namespace coach::behavior_styles
