// SPDX-License-Identifier: Apache-2.0
// The coaching session model, free of any bus or store: cadences, the salesperson's prep and skills
// self-audit, the agenda (their prep first), the check of the coach's language (telling or
// engaging), the recurring-gap rule that suggests an outside perspective, and coaching measures.
// Every check throws coach::Error naming the field at fault.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coach/error.hpp"
#include "coach/v1/coaching_sessions.pb.h"

namespace coach::coaching_sessions {

namespace pb = coach::v1::coaching_sessions;

inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kDayMs = 24 * kHourMs;

// "weekly" 7, "fortnightly" 14, or days (1..365) when cadence is empty.
int cadence_days(const std::string& cadence, int days);

// Throws unless every item has an id, an area and text, and the scale is 2..10.
void validate_audit(const pb::SkillsAudit& audit);
// The mean answer per area (in the audit's order of areas), each with its change against previous
// (the salesperson's last audit), when that has the area.
std::vector<pb::AreaScore> score_audit(const pb::SkillsAudit& audit,
                                       const google::protobuf::RepeatedField<std::int32_t>& answers,
                                       const std::vector<pb::AreaScore>& previous);
// Checks the prep's figures and lists (names present, sizes bounded) and fills each figure's
// change.
void complete_prep(pb::Prep& prep);

// The agenda of a session: the salesperson's prep first (it is their session), then open items
// carried forward, then the signals other plugins sent since the last session.
pb::Agenda build_agenda(const pb::Session& session, const std::string& salesperson,
                        const std::vector<pb::ActionItem>& open_items,
                        const std::vector<pb::Signal>& signals, std::int64_t now_ms);

// The coach's language, checked with a replaceable lexicon: deterministic and explainable.
class LanguageChecker {
 public:
  struct Targets {
    double question_share = 0.7;
    double solution_share = 0.9;
  };
  // Throws unless every list of the lexicon has at least one entry.
  LanguageChecker(pb::Lexicon lexicon, Targets targets);
  pb::LanguageReport check(const std::string& text) const;
  // Each sentence of text (split at . ! ? and line ends), trimmed, with its end mark.
  static std::vector<std::string> sentences(const std::string& text);

 private:
  // Why the sentence tells rather than asks ("" when it does not), and the opening it tells with.
  std::string telling_reason(const std::string& lower, std::string& opening) const;
  std::string suggest(const std::string& sentence, const std::string& opening) const;
  bool asks(const std::string& lower, const std::string& sentence) const;

  pb::Lexicon lexicon_;
  Targets targets_;
};

// A session's themes: skill areas the salesperson scored at or below gap_score ("skill:<area>")
// and the kinds of signal on its agenda ("signal:<kind>[:<account>]").
std::vector<std::string> themes_of(const pb::Session& session, double gap_score);

struct Recurrence {
  std::string theme;
  std::vector<std::string> evidence;
};
// Themes of the newest of `sessions` (oldest first, held ones) that appear in at least `times` of
// the last `window` without improving (a skill's score no higher than when it first appeared).
std::vector<Recurrence> recurring_themes(const std::vector<pb::Session>& sessions, int times,
                                         int window);

// The measures of the sessions in [from_ms, to_ms) (0: unbounded) from their facts.
pb::SessionFacts facts_of(const pb::Session& session);
pb::CoachingMeasures measures_of(const std::vector<pb::SessionFacts>& facts, std::int64_t from_ms,
                                 std::int64_t to_ms);
std::string measures_csv_row(const std::string& scope, const pb::CoachingMeasures& m);
inline const char* kMeasuresCsvHeader =
    "scope,sessions_planned,sessions_held,held_share,rep_led_share,action_items,"
    "action_items_done,action_items_done_share,question_share,solution_share,coach_talk_share,"
    "coaching_hours_per_week,coach_led_sessions\n";

}  // namespace coach::coaching_sessions
