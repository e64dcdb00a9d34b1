// SPDX-License-Identifier: Apache-2.0
// The service case lifecycle and its measures, free of any bus or store. Each transition checks
// the case's state and the event's time and throws coach::Error naming the field at fault; the
// plugin stores the result and schedules what follows.
#pragma once

#include <cstdint>
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
void solve(pb::Case& c, const std::string& agent, const pb::RootCause& root, std::int64_t at_ms,
           const Rules& rules);
void reopen(pb::Case& c, const std::string& actor, std::int64_t at_ms);
void close(pb::Case& c, const std::string& actor, std::int64_t at_ms, bool automatic);

// The measures of resolution over cases (already filtered to a scope and period).
pb::Measures measures(const std::vector<pb::Case>& cases);
// Nearest-rank percentile (p in 0..1) of values; 0 for none.
double percentile(std::vector<double> values, double p);

}  // namespace coach::service_followup
