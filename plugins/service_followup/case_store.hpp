// SPDX-License-Identifier: Apache-2.0
// CaseStore: service_followup's records in its store, and every read that can grow with history.
//
//   case/<id>                                  Case
//   account/<account>/<case>                   CaseFacts  (the index records' values are the
//   agent/<agent>/<opened ms>-<case>           CaseFacts   cases' facts, so a scoped read never
//   team/<team>/<opened ms>-<case>             CaseFacts   loads a case)
//   opened/<opened ms>-<case>                  CaseFacts
//   work/<agent>/<opened ms>-<case>            (empty)     while the case is open or pending
//   checkin/<due ms>-<case>                    (empty)     while its check-in is pending
//   agg/all/<day>                              DayMeasures (cases opened that UTC day)
//   agg/agent/<agent>/<week>                   DayMeasures (... in that 7-day bucket)
//
// A scoped read (account, agent, team) reads its own index records: its cost follows the scope,
// not the tenant. A tenant-wide read sums the days in its period, plus the facts of the partial
// days at its edges: its cost follows the length of the period. Times are zero-padded ms, so
// index keys sort by when the case was opened.
#pragma once

#include <coach/store.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "case_model.hpp"

namespace coach::service_followup {

class CaseStore {
 public:
  explicit CaseStore(Store& store) : store_(&store) {}
  // Reads and writes go to store from now on (the plugin's, or an import batch's staged one).
  void use(Store& store) { store_ = &store; }
  Store& store() { return *store_; }

  std::optional<pb::Case> find(const std::string& id, std::int64_t* version = nullptr);

  // Adds to batch the writes that store after (before: its stored form and version, nullptr when
  // new) and keep its index records and the daily aggregates in step.
  void stage(WriteBatch& batch, const pb::Case* before, std::int64_t version,
             const pb::Case& after);

  // For a case stored before index records carried facts (version 1.0 of the plugin): adds its
  // index records and its share of the aggregates, unless its opened/ record shows it has them.
  bool index_if_missing(WriteBatch& batch, const pb::Case& c);
  // A page of cases in id order, after the case id after (empty: from the first).
  std::vector<pb::Case> cases_after(const std::string& after, std::uint32_t limit,
                                    std::string& next);

  // While deferring (an import batch), stage() leaves the daily aggregates to memory: a unit's
  // changes are folded in by keep_deltas() (or dropped by drop_deltas()), and write_aggregates()
  // adds every changed day to a batch once. A day touched by a thousand lines is written once.
  void defer_aggregates(bool on);
  void keep_deltas();
  void drop_deltas() { pending_.clear(); }
  void write_aggregates(WriteBatch& batch);

  // One page of an account's cases in case id order; next_token is empty on the last page.
  std::vector<pb::Case> account_cases(const std::string& account, const std::string& token,
                                      std::uint32_t page_size, std::string& next_token);

  // A page of an agent's open and pending cases, oldest first; of the cases whose check-in is
  // due by due_by_ms, earliest first. Both read only what is pending, never history.
  std::vector<pb::Case> open_cases(const std::string& agent, const std::string& token,
                                   std::uint32_t page_size, std::string& next_token);
  std::vector<pb::Case> check_ins_due(std::int64_t due_by_ms, const std::string& token,
                                      std::uint32_t page_size, std::string& next_token);

  pb::Measures measures(const pb::MeasuresRequest& r);
  // One row for the scope asked, then one per agent with cases in it.
  std::string measures_csv(const pb::MeasuresRequest& r);

 private:
  using FactsFn = std::function<void(const pb::CaseFacts&)>;
  void stage_indexes(WriteBatch& batch, const pb::Case* before, const pb::Case& after);
  void stage_work_lists(WriteBatch& batch, const pb::Case* before, const pb::Case& after);
  // The cases a page of keys under prefix names ("<time>-<case>"), up to the key end (empty:
  // no end).
  std::vector<pb::Case> cases_under(const std::string& prefix, const std::string& token,
                                    std::uint32_t page_size, std::string& next_token,
                                    const std::string& end);
  // Facts of the cases in a scoped request (account, agent or team) and its period.
  void scoped_facts(const pb::MeasuresRequest& r, const FactsFn& fn);
  // Facts under an index prefix whose keys start with the opened time, opened in [from, to).
  void facts_between(const std::string& prefix, std::int64_t from, std::int64_t to,
                     const FactsFn& fn);
  // Whole buckets of bucket_ms from the aggregates under agg_prefix, the partial ones at the
  // edges from the index under facts_prefix: [from, to), 0 meaning unbounded.
  void add_period(MeasuresAccumulator& acc, const std::string& facts_prefix,
                  const std::string& agg_prefix, std::int64_t bucket_ms, std::int64_t from,
                  std::int64_t to);

  struct Day {
    pb::DayMeasures measures;
    std::int64_t version = 0;  // 0: not stored yet
  };
  struct Delta {
    std::string key;
    pb::CaseFacts facts;
    int sign = 1;
  };
  // The day record for key, loaded once into days.
  Day& day(std::map<std::string, Day>& days, const std::string& key);
  void put_days(WriteBatch& batch, std::map<std::string, Day>& days);

  Store* store_;
  bool deferring_ = false;
  std::vector<Delta> pending_;
  std::map<std::string, Day> cached_days_;
};

}  // namespace coach::service_followup
