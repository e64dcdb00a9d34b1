// SPDX-License-Identifier: Apache-2.0
// The service case lifecycle and its measures, free of any bus or store. Each transition checks
// the case's state and the event's time and throws coach::Error naming the field at fault; the
// plugin stores the result and schedules what follows.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coach/error.hpp"
#include "coach/v1/service_followup.pb.h"

namespace coach::service_followup {

namespace pb = coach::v1::service_followup;

inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kDayMs = 24 * kHourMs;

struct Rules {
  std::int64_t close_after_ms = 4 * kDayMs;  // a solved case closes after this (1 h .. 28 d)
  std::int64_t check_in_after_ms = kDayMs;   // satisfaction check-in after a solve
  int reopens_at_risk = 2;                   // a case reopened this often puts its account at risk
  int contacts_at_risk = 3;                  // ... as do this many customer contacts
  std::int64_t contacts_window_ms = 7 * kDayMs;  // ... within this window
  std::vector<std::string> categories;           // the root-cause taxonomy
};

// Throws unless the delays are in range and there is at least one category.
void validate_rules(const Rules& rules);

const char* state_name(pb::CaseState s);
// The larger of explicit reopens and solves - 1: a reopen followed by a solve is one reopen.
int reopen_count(const pb::Case& c);

pb::Case open_case(const pb::OpenCaseRequest& r, std::int64_t at_ms);
enum class ContactOutcome { kRecorded, kReopened, kClosedCase };
// A customer contact: reopens a pending or solved case; on a closed case it changes nothing and
// returns kClosedCase (the caller opens a follow-up case).
ContactOutcome customer_contact(pb::Case& c, const std::string& actor, std::int64_t at_ms);
void agent_reply(pb::Case& c, const std::string& actor, std::int64_t at_ms);
void set_pending(pb::Case& c, const std::string& actor, std::int64_t at_ms);
// Also sets when the auto-close and the check-in fall due (auto_close_due_ms, check_in_due_ms).
void solve(pb::Case& c, const std::string& agent, const pb::RootCause& root, std::int64_t at_ms,
           const Rules& rules);
void reopen(pb::Case& c, const std::string& actor, std::int64_t at_ms);
void close(pb::Case& c, const std::string& actor, std::int64_t at_ms, bool automatic);
// Drops the pending auto-close and check-in (a reopen or a close makes them moot). Returns the
// scheduler entries that carried them (0s skipped), for the caller to cancel.
std::vector<std::int64_t> clear_follow_ups(pb::Case& c);

// A consequence of an earlier event that fell due.
struct Applied {
  enum class Kind { kCheckIn, kAutoClose } kind;
  std::int64_t due_ms = 0;
};
// Applies, in order of due time and at that time, the case's consequences due at or before
// until_ms: a check-in records "check_in_due"; an auto-close closes a solved case and drops its
// check-in. What living through the history would have done before an event at until_ms.
// Returns what it applied and, in entries_done, the scheduler entries those no longer need.
std::vector<Applied> apply_due(pb::Case& c, std::int64_t until_ms,
                               std::vector<std::int64_t>& entries_done);

// A case's contribution to the measures.
pb::CaseFacts facts_of(const pb::Case& c);

// Sums measures over cases one at a time (facts, or whole days of them), then reports them.
// Memory grows with distinct resolution times, not with cases: exact times from facts, and
// aggregates' times rounded to 3 significant figures of hours (round_resolution_ms).
// (value, how many): a histogram.
using Counts = std::vector<std::pair<std::int64_t, std::int64_t>>;

class MeasuresAccumulator {
 public:
  void add(const pb::CaseFacts& f);
  void add(const pb::DayMeasures& day);
  pb::Measures result() const;
  std::int64_t cases() const { return cases_; }

 private:
  std::int64_t cases_ = 0, resolved_ = 0, one_touch_ = 0, reopens_ = 0, repeats_ = 0,
               confirmed_ = 0;
  // (resolution ms, cases), unsorted: appending is cheaper than keeping a tree in order, and
  // result() sorts once.
  mutable Counts first_, full_;
};

// The measures of resolution over cases (already filtered to a scope and period).
pb::Measures measures(const std::vector<pb::Case>& cases);
// Nearest-rank percentile (p in 0..1) of a histogram sorted by value; 0 for none.
double percentile(const Counts& sorted, double p);

// ms rounded to 3 significant figures of hours (2 h 0 min 15 s -> 2.00 h; 37.25 h -> 37.3 h).
std::int64_t round_resolution_ms(std::int64_t ms);
// Adds (sign 1) or removes (sign -1) a case's facts from a day's aggregate.
void fold(pb::DayMeasures& day, const pb::CaseFacts& f, int sign);

}  // namespace coach::service_followup
