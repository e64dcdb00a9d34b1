// SPDX-License-Identifier: Apache-2.0
#include "session_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace coach::coaching_sessions {

namespace {

constexpr int kMaxListEntries = 50;
constexpr std::size_t kMaxTextBytes = 4000;

double round3(double v) { return std::round(v * 1000) / 1000; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Lower-case words: letters, digits and apostrophes.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      w += static_cast<char>(std::tolower(u));
    } else if (!w.empty()) {
      out.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

// Whether the words of phrase occur in text's words at position i.
bool phrase_at(const std::vector<std::string>& text, std::size_t i,
               const std::vector<std::string>& phrase) {
  if (phrase.empty() || i + phrase.size() > text.size()) return false;
  for (std::size_t k = 0; k < phrase.size(); ++k)
    if (text[i + k] != phrase[k]) return false;
  return true;
}

int count_phrases(const std::vector<std::string>& text,
                  const google::protobuf::RepeatedPtrField<std::string>& phrases) {
  int n = 0;
  for (const auto& p : phrases) {
    const auto pw = words(p);
    for (std::size_t i = 0; i < text.size(); ++i) n += phrase_at(text, i, pw);
  }
  return n;
}

double share(int a, int b) { return a + b == 0 ? 1.0 : round3(static_cast<double>(a) / (a + b)); }

void check_list(const google::protobuf::RepeatedPtrField<std::string>& list,
                const std::string& field) {
  if (list.size() > kMaxListEntries)
    throw invalid_argument(field, fmt::format("at most {} entries", kMaxListEntries));
  for (int i = 0; i < list.size(); ++i) {
    if (trim(list[i]).empty()) throw invalid_argument(fmt::format("{}[{}]", field, i), "empty");
    if (list[i].size() > kMaxTextBytes)
      throw invalid_argument(fmt::format("{}[{}]", field, i), "too long");
  }
}

std::string joined(const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

int cadence_days(const std::string& cadence, int days) {
  if (cadence == "weekly") return 7;
  if (cadence == "fortnightly") return 14;
  if (!cadence.empty())
    throw invalid_argument("cadence", "'" + cadence +
                                          "' is not weekly or fortnightly (or set "
                                          "cadence_days)");
  if (days < 1 || days > 365) throw invalid_argument("cadence_days", "must be 1..365");
  return days;
}

void validate_audit(const pb::SkillsAudit& audit) {
  if (audit.scale_max() < 2 || audit.scale_max() > 10)
    throw invalid_argument("skills_audit.scale_max", "must be 2..10");
  if (audit.items().empty()) throw invalid_argument("skills_audit.items", "none");
  std::set<std::string> ids;
  for (int i = 0; i < audit.items_size(); ++i) {
    const auto& item = audit.items(i);
    const auto field = fmt::format("skills_audit.items[{}]", i);
    if (item.id().empty() || item.area().empty() || item.text().empty())
      throw invalid_argument(field, "needs an id, an area and text");
    if (!ids.insert(item.id()).second) throw invalid_argument(field + ".id", "duplicate");
  }
}

std::vector<pb::AreaScore> score_audit(const pb::SkillsAudit& audit,
                                       const google::protobuf::RepeatedField<std::int32_t>& answers,
                                       const std::vector<pb::AreaScore>& previous) {
  if (answers.empty()) return {};
  if (answers.size() != audit.items_size())
    throw invalid_argument("prep.audit_answers",
                           fmt::format("expected {} answers (one per audit item), got {}",
                                       audit.items_size(), answers.size()));
  std::vector<std::string> order;
  std::map<std::string, std::pair<double, int>> sums;
  for (int i = 0; i < answers.size(); ++i) {
    if (answers[i] < 1 || answers[i] > audit.scale_max())
      throw invalid_argument(fmt::format("prep.audit_answers[{}]", i),
                             fmt::format("{} is outside 1..{}", answers[i], audit.scale_max()));
    const auto& area = audit.items(i).area();
    if (!sums.count(area)) order.push_back(area);
    sums[area].first += answers[i];
    ++sums[area].second;
  }
  std::vector<pb::AreaScore> out;
  for (const auto& area : order) {
    pb::AreaScore s;
    s.set_area(area);
    s.set_score(round3(sums[area].first / sums[area].second));
    for (const auto& p : previous) {
      if (p.area() == area) {
        s.set_has_change(true);
        s.set_change(round3(s.score() - p.score()));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

void complete_prep(pb::Prep& prep) {
  if (prep.figures_size() > kMaxListEntries)
    throw invalid_argument("prep.figures", fmt::format("at most {}", kMaxListEntries));
  for (int i = 0; i < prep.figures_size(); ++i) {
    auto* f = prep.mutable_figures(i);
    if (trim(f->name()).empty())
      throw invalid_argument(fmt::format("prep.figures[{}].name", i), "required");
    if (!std::isfinite(f->this_period()) || !std::isfinite(f->previous_period()))
      throw invalid_argument(fmt::format("prep.figures[{}]", i), "not a number");
    f->set_change(round3(f->this_period() - f->previous_period()));
  }
  check_list(prep.gaps(), "prep.gaps");
  check_list(prep.internal_factors(), "prep.internal_factors");
  check_list(prep.external_factors(), "prep.external_factors");
  check_list(prep.within_influence(), "prep.within_influence");
  check_list(prep.outside_influence(), "prep.outside_influence");
  check_list(prep.upskilling(), "prep.upskilling");
  check_list(prep.keep(), "prep.keep");
  check_list(prep.drop(), "prep.drop");
  check_list(prep.create(), "prep.create");
  if (prep.focus().size() > kMaxTextBytes) throw invalid_argument("prep.focus", "too long");
}

pb::Agenda build_agenda(const pb::Session& session, const std::string& salesperson,
                        const std::vector<pb::ActionItem>& open_items,
                        const std::vector<pb::Signal>& signals, std::int64_t now_ms) {
  pb::Agenda agenda;
  agenda.set_relationship_id(session.relationship_id());
  agenda.set_session_id(session.session_id());
  agenda.set_planned_ms(session.planned_ms());
  agenda.set_prep_submitted(session.prep_submitted());
  auto add = [&](const std::string& source, const std::string& title,
                 std::vector<std::string> details = {}, const std::string& ref = "") {
    auto* item = agenda.add_items();
    item->set_source(source);
    item->set_title(title);
    for (auto& d : details) item->add_details(std::move(d));
    item->set_ref(ref);
  };
  if (session.prep_submitted()) {
    const auto& p = session.prep();
    std::vector<std::string> figures;
    for (const auto& f : p.figures())
      figures.push_back(fmt::format("{}: {} (previous period {}, {:+})", f.name(), f.this_period(),
                                    f.previous_period(), f.change()));
    if (!figures.empty()) add("prep", salesperson + "'s results, in their own figures", figures);
    if (!p.audit().empty()) {
      std::vector<pb::AreaScore> areas(p.audit().begin(), p.audit().end());
      std::stable_sort(areas.begin(), areas.end(),
                       [](const auto& a, const auto& b) { return a.score() < b.score(); });
      std::vector<std::string> lines;
      for (const auto& a : areas)
        lines.push_back(a.has_change() ? fmt::format("{}: {} ({:+} since the last audit)", a.area(),
                                                     a.score(), a.change())
                                       : fmt::format("{}: {}", a.area(), a.score()));
      add("prep", "Their skills self-audit, weakest first", lines);
    }
    if (!p.gaps().empty()) add("prep", "The gaps they see", {joined(p.gaps())});
    std::vector<std::string> factors;
    if (!p.internal_factors().empty())
      factors.push_back("internal: " + joined(p.internal_factors()));
    if (!p.external_factors().empty())
      factors.push_back("external: " + joined(p.external_factors()));
    if (!p.within_influence().empty())
      factors.push_back("within their influence: " + joined(p.within_influence()));
    if (!p.outside_influence().empty())
      factors.push_back("outside their influence: " + joined(p.outside_influence()));
    if (!factors.empty()) add("prep", "What shaped the results", factors);
    if (!p.focus().empty()) add("prep", "Their focus for the coming period", {p.focus()});
    if (!p.upskilling().empty()) add("prep", "What they did to upskill", {joined(p.upskilling())});
    std::vector<std::string> strategies;
    if (!p.keep().empty()) strategies.push_back("keep: " + joined(p.keep()));
    if (!p.drop().empty()) strategies.push_back("drop: " + joined(p.drop()));
    if (!p.create().empty()) strategies.push_back("create: " + joined(p.create()));
    if (!strategies.empty()) add("prep", "Strategies to keep, drop and create", strategies);
  } else {
    add("no_prep", "No preparation submitted yet",
        {"It is " + salesperson +
         "'s session: ask them to lead with their own figures, the gaps they "
         "see and their focus."});
  }
  for (const auto& item : open_items) {
    const bool overdue = item.overdue() || (item.due_ms() && item.due_ms() < now_ms);
    add("carried_item",
        fmt::format("Carried over from {}: {}", item.origin_session_id(), item.text()),
        {fmt::format("owner: {}{}", item.owner() == pb::ITEM_OWNER_COACH ? "coach" : "salesperson",
                     overdue ? "; overdue" : "")},
        item.item_id());
  }
  for (const auto& s : signals) {
    std::vector<std::string> evidence(s.evidence().begin(), s.evidence().end());
    add("signal", s.summary(), evidence, s.kind());
  }
  return agenda;
}

LanguageChecker::LanguageChecker(pb::Lexicon lexicon, Targets targets)
    : lexicon_(std::move(lexicon)), targets_(targets) {
  if (lexicon_.directive_openings().empty() || lexicon_.imperative_verbs().empty() ||
      lexicon_.question_openings().empty() || lexicon_.problem_words().empty() ||
      lexicon_.solution_words().empty() || lexicon_.you_we().empty() || lexicon_.i_me().empty())
    throw invalid_argument("lexicon", "every list needs at least one entry");
}

std::vector<std::string> LanguageChecker::sentences(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c == '\n') {
      if (!trim(current).empty()) out.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
    if (c == '.' || c == '!' || c == '?') {
      if (!trim(current).empty()) out.push_back(trim(current));
      current.clear();
    }
  }
  if (!trim(current).empty()) out.push_back(trim(current));
  return out;
}

bool LanguageChecker::asks(const std::string& lower_sentence, const std::string& sentence) const {
  if (!sentence.empty() && sentence.back() == '?') return true;
  const auto w = words(lower_sentence);
  for (const auto& q : lexicon_.question_openings())
    if (phrase_at(w, 0, words(q))) return true;
  return false;
}

std::string LanguageChecker::telling_reason(const std::string& lower_sentence,
                                            std::string& opening) const {
  const auto w = words(lower_sentence);
  if (w.empty()) return {};
  for (const auto& d : lexicon_.directive_openings()) {
    const auto dw = words(d);
    // A phrase of two words or more directs wherever it stands; a single word only opening it.
    const std::size_t last = dw.size() > 1 ? w.size() : 1;
    for (std::size_t i = 0; i < last; ++i) {
      if (phrase_at(w, i, dw)) {
        opening = d;
        return "a directive: '" + d + "'";
      }
    }
  }
  for (const auto& v : lexicon_.imperative_verbs()) {
    if (w[0] == v) {
      opening.clear();
      return "an order: it opens with '" + v + "'";
    }
  }
  return {};
}

std::string LanguageChecker::suggest(const std::string& sentence,
                                     const std::string& opening) const {
  std::string rest = trim(sentence);
  while (!rest.empty() && (rest.back() == '.' || rest.back() == '!')) rest.pop_back();
  std::string lowered = lower(rest);
  if (!opening.empty()) {
    const auto at = lowered.find(lower(opening));
    if (at != std::string::npos) rest = trim(rest.substr(at + opening.size()));
    lowered = lower(rest);
    if (rest.empty()) return "What do you see as the next step?";
    return "What would help you " + lowered + "?";
  }
  if (rest.empty()) return "What do you see as the next step?";
  return "What would it take to " + lowered + "?";
}

pb::LanguageReport LanguageChecker::check(const std::string& text) const {
  pb::LanguageReport r;
  for (const auto& s : sentences(text)) {
    r.set_sentences(r.sentences() + 1);
    const std::string l = lower(s);
    if (asks(l, s)) {
      r.set_questions(r.questions() + 1);
      continue;
    }
    std::string opening;
    const auto reason = telling_reason(l, opening);
    if (reason.empty()) continue;
    r.set_directives(r.directives() + 1);
    auto* t = r.add_telling();
    t->set_sentence(s);
    t->set_reason(reason);
    t->set_suggested_question(suggest(s, opening));
  }
  const auto w = words(text);
  r.set_problem_words(count_phrases(w, lexicon_.problem_words()));
  r.set_solution_words(count_phrases(w, lexicon_.solution_words()));
  r.set_you_we(count_phrases(w, lexicon_.you_we()));
  r.set_i_me(count_phrases(w, lexicon_.i_me()));
  r.set_question_share(share(r.questions(), r.directives()));
  r.set_solution_share(share(r.solution_words(), r.problem_words()));
  r.set_you_we_share(share(r.you_we(), r.i_me()));
  r.set_verdict(r.question_share() >= targets_.question_share &&
                        r.solution_share() >= targets_.solution_share
                    ? "engaging"
                    : "telling");
  return r;
}

std::vector<std::string> themes_of(const pb::Session& session, double gap_score) {
  std::vector<std::string> out;
  for (const auto& a : session.prep().audit())
    if (a.score() <= gap_score) out.push_back("skill:" + a.area());
  std::set<std::string> seen;
  for (const auto& item : session.agenda().items()) {
    if (item.source() != "signal") continue;
    if (seen.insert("signal:" + item.ref()).second) out.push_back("signal:" + item.ref());
  }
  return out;
}

std::vector<Recurrence> recurring_themes(const std::vector<pb::Session>& sessions, int times,
                                         int window) {
  std::vector<Recurrence> out;
  if (sessions.empty()) return out;
  const auto first = sessions.size() > static_cast<std::size_t>(window)
                         ? sessions.size() - static_cast<std::size_t>(window)
                         : 0;
  auto score_of = [](const pb::Session& s, const std::string& area) -> std::optional<double> {
    for (const auto& a : s.prep().audit())
      if (a.area() == area) return a.score();
    return std::nullopt;
  };
  for (const auto& theme : sessions.back().themes()) {
    std::vector<std::string> evidence;
    std::optional<double> first_score;
    bool improved = false;
    for (std::size_t i = first; i < sessions.size(); ++i) {
      const auto& s = sessions[i];
      if (std::find(s.themes().begin(), s.themes().end(), theme) == s.themes().end()) continue;
      if (theme.rfind("skill:", 0) == 0) {
        const auto score = score_of(s, theme.substr(6));
        if (score && first_score && *score > *first_score) improved = true;
        if (score && !first_score) first_score = score;
        evidence.push_back(fmt::format("session {}: {} scored {}", s.session_id(), theme.substr(6),
                                       score.value_or(0)));
      } else {
        evidence.push_back(
            fmt::format("session {}: {} on the agenda", s.session_id(), theme.substr(7)));
      }
    }
    if (static_cast<int>(evidence.size()) >= times && !improved)
      out.push_back({theme, std::move(evidence)});
  }
  return out;
}

pb::SessionFacts facts_of(const pb::Session& s) {
  pb::SessionFacts f;
  f.set_session_id(s.session_id());
  f.set_planned_ms(s.planned_ms());
  f.set_held(s.state() == pb::SESSION_STATE_HELD);
  f.set_prep_submitted(s.prep_submitted());
  if (s.has_language()) {
    f.set_has_language(true);
    f.set_question_share(s.language().question_share());
    f.set_solution_share(s.language().solution_share());
  }
  f.set_coach_seconds(s.talk().coach_seconds());
  f.set_salesperson_seconds(s.talk().salesperson_seconds());
  f.set_duration_minutes(s.duration_minutes());
  f.set_action_items(s.action_items_size());
  int done = 0;
  for (const auto& item : s.action_items()) done += item.state() == pb::ITEM_STATE_DONE;
  f.set_action_items_done(done);
  f.set_coach_led(s.coach_led());
  return f;
}

pb::CoachingMeasures measures_of(const std::vector<pb::SessionFacts>& facts, std::int64_t from_ms,
                                 std::int64_t to_ms) {
  pb::CoachingMeasures m;
  int with_prep = 0, language = 0;
  double questions = 0, solutions = 0;
  std::int64_t coach_s = 0, talk_s = 0, minutes = 0;
  std::int64_t first = 0, last = 0;
  for (const auto& f : facts) {
    if ((from_ms && f.planned_ms() < from_ms) || (to_ms && f.planned_ms() >= to_ms)) continue;
    if (!first || f.planned_ms() < first) first = f.planned_ms();
    last = std::max(last, f.planned_ms());
    m.set_sessions_planned(m.sessions_planned() + 1);
    if (!f.held()) continue;
    m.set_sessions_held(m.sessions_held() + 1);
    with_prep += f.prep_submitted();
    if (f.has_language()) {
      ++language;
      questions += f.question_share();
      solutions += f.solution_share();
    }
    coach_s += f.coach_seconds();
    talk_s += f.coach_seconds() + f.salesperson_seconds();
    minutes += f.duration_minutes();
    m.set_action_items(m.action_items() + f.action_items());
    m.set_action_items_done(m.action_items_done() + f.action_items_done());
    m.set_coach_led_sessions(m.coach_led_sessions() + f.coach_led());
  }
  auto ratio = [](double a, double b) { return b == 0 ? 0.0 : round3(a / b); };
  m.set_held_share(ratio(m.sessions_held(), m.sessions_planned()));
  m.set_rep_led_share(ratio(with_prep, m.sessions_held()));
  m.set_action_items_done_share(ratio(m.action_items_done(), m.action_items()));
  m.set_question_share(ratio(questions, language));
  m.set_solution_share(ratio(solutions, language));
  m.set_coach_talk_share(ratio(static_cast<double>(coach_s), static_cast<double>(talk_s)));
  const std::int64_t span = (to_ms && from_ms) ? to_ms - from_ms : (last - first) + 7 * kDayMs;
  const double weeks = std::max(1.0, static_cast<double>(span) / static_cast<double>(7 * kDayMs));
  m.set_coaching_hours_per_week(round3(static_cast<double>(minutes) / 60.0 / weeks));
  return m;
}

std::string measures_csv_row(const std::string& scope, const pb::CoachingMeasures& m) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", scope, m.sessions_planned(),
                     m.sessions_held(), m.held_share(), m.rep_led_share(), m.action_items(),
                     m.action_items_done(), m.action_items_done_share(), m.question_share(),
                     m.solution_share(), m.coach_talk_share(), m.coaching_hours_per_week(),
                     m.coach_led_sessions());
}

}  // namespace coach::coaching_sessions
