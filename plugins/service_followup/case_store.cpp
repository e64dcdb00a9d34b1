// SPDX-License-Identifier: Apache-2.0
#include "case_store.hpp"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <sstream>

namespace coach::service_followup {

namespace {

constexpr std::uint32_t kPage = 500;
constexpr std::int64_t kNoEnd = std::numeric_limits<std::int64_t>::max();

std::string case_key(const std::string& id) { return "case/" + id; }
std::string account_prefix(const std::string& account) { return "account/" + account + "/"; }
std::string agent_prefix(const std::string& agent) { return "agent/" + agent + "/"; }
std::string team_prefix(const std::string& team) { return "team/" + team + "/"; }
constexpr std::string_view kOpenedPrefix = "opened/";
// Work lists: present only while a case needs something, so they hold what is pending, not
// history. work/<agent>/<opened>-<case> while open or pending; checkin/<due>-<case> while its
// check-in is pending.
std::string work_prefix(const std::string& agent) { return "work/" + agent + "/"; }
constexpr std::string_view kCheckInPrefix = "checkin/";
bool needs_work(const pb::Case& c) {
  return c.state() == pb::CASE_STATE_OPEN || c.state() == pb::CASE_STATE_PENDING;
}
constexpr std::string_view kAggAll = "agg/all/";
constexpr std::string_view kAggAgents = "agg/agent/";
std::string agent_agg_prefix(const std::string& agent) {
  return std::string(kAggAgents) + agent + "/";
}

std::string timed(std::string_view prefix, std::int64_t at_ms) {
  return fmt::format("{}{:015d}", prefix, at_ms);
}
std::string timed_key(std::string_view prefix, const pb::Case& c) {
  return timed(prefix, c.opened_ms()) + "-" + c.case_id();
}
// Aggregates cover buckets of time: a day for the tenant, a week for each agent (a CSV reads
// every agent's buckets in its period: 52 a year each instead of 365).
constexpr std::int64_t kTenantBucketMs = kDayMs;
constexpr std::int64_t kAgentBucketMs = 7 * kDayMs;
std::string bucket_key(std::string_view prefix, std::int64_t bucket) {
  return fmt::format("{}{:08d}", prefix, bucket);
}
std::string tenant_bucket(std::int64_t opened_ms) {
  return bucket_key(kAggAll, opened_ms / kTenantBucketMs);
}
std::string agent_bucket(const std::string& agent, std::int64_t opened_ms) {
  return bucket_key(agent_agg_prefix(agent), opened_ms / kAgentBucketMs);
}

// The opened time at the start of a timed key's suffix.
std::int64_t opened_of(std::string_view key, std::size_t prefix_size) {
  std::int64_t ms = 0;
  for (std::size_t i = prefix_size; i < key.size() && i < prefix_size + 15; ++i)
    ms = ms * 10 + (key[i] - '0');
  return ms;
}

std::string csv_header() {
  return "scope,cases,resolved,one_touch,one_touch_rate,reopens,reopens_per_case,"
         "repeat_contacts,repeat_contact_rate,first_resolution_median_h,"
         "first_resolution_p90_h,full_resolution_median_h,full_resolution_p90_h,"
         "confirmed_root_cause_share\n";
}

void csv_row(std::ostringstream& out, const std::string& scope, const pb::Measures& m) {
  out << scope << ',' << m.cases() << ',' << m.resolved() << ',' << m.one_touch() << ','
      << m.one_touch_rate() << ',' << m.reopens() << ',' << m.reopens_per_case() << ','
      << m.repeat_contacts() << ',' << m.repeat_contact_rate() << ','
      << m.first_resolution_median_h() << ',' << m.first_resolution_p90_h() << ','
      << m.full_resolution_median_h() << ',' << m.full_resolution_p90_h() << ','
      << m.confirmed_root_cause_share() << '\n';
}

std::string agent_label(const std::string& agent) { return agent.empty() ? "(none)" : agent; }

void check_scope(const pb::MeasuresRequest& r) {
  const int scopes = !r.agent_id().empty() + !r.team_id().empty() + !r.account_id().empty();
  if (scopes > 1) {
    throw invalid_argument("agent_id",
                           "give at most one of agent_id, team_id and account_id (or none for "
                           "the whole tenant)");
  }
  if (r.from_ms() < 0 || r.to_ms() < 0) throw invalid_argument("from_ms", "must not be negative");
  if (r.to_ms() && r.from_ms() >= r.to_ms())
    throw invalid_argument("to_ms", "must be after from_ms (or 0 for no end)");
}

}  // namespace

std::optional<pb::Case> CaseStore::find(const std::string& id, std::int64_t* version) {
  return store_->get<pb::Case>(case_key(id), version);
}

void CaseStore::stage(WriteBatch& batch, const pb::Case* before, std::int64_t version,
                      const pb::Case& after) {
  batch.put(case_key(after.case_id()), after, before ? version : kMustNotExist);
  stage_work_lists(batch, before, after);
  stage_indexes(batch, before, after);
}

void CaseStore::stage_work_lists(WriteBatch& batch, const pb::Case* before, const pb::Case& after) {
  const auto work_key = [](const pb::Case& c) { return timed_key(work_prefix(c.agent_id()), c); };
  const auto check_in_key = [](const pb::Case& c) {
    return timed(kCheckInPrefix, c.check_in_due_ms()) + "-" + c.case_id();
  };
  if (before && needs_work(*before) && (!needs_work(after) || work_key(*before) != work_key(after)))
    batch.erase(work_key(*before));
  if (needs_work(after) && !(before && needs_work(*before) && work_key(*before) == work_key(after)))
    batch.put_bytes(work_key(after), {});
  if (before && before->check_in_due_ms() && before->check_in_due_ms() != after.check_in_due_ms())
    batch.erase(check_in_key(*before));
  if (after.check_in_due_ms() && !(before && before->check_in_due_ms() == after.check_in_due_ms()))
    batch.put_bytes(check_in_key(after), {});
}

std::vector<pb::Case> CaseStore::cases_under(const std::string& prefix, const std::string& token,
                                             std::uint32_t page_size, std::string& next_token,
                                             const std::string& end) {
  auto page = store_->scan(prefix, token.empty() ? std::string() : prefix + token, page_size);
  std::vector<pb::Case> out;
  next_token.clear();
  for (const auto& item : page.items) {
    if (!end.empty() && item.key > end) return out;  // past the end: the last page
    const std::string id = item.key.substr(item.key.find('-', prefix.size()) + 1);
    if (auto c = find(id)) out.push_back(std::move(*c));
  }
  if (!page.next_after.empty()) next_token = page.next_after.substr(prefix.size());
  return out;
}

std::vector<pb::Case> CaseStore::open_cases(const std::string& agent, const std::string& token,
                                            std::uint32_t page_size, std::string& next_token) {
  return cases_under(work_prefix(agent), token, page_size, next_token, {});
}

std::vector<pb::Case> CaseStore::check_ins_due(std::int64_t due_by_ms, const std::string& token,
                                               std::uint32_t page_size, std::string& next_token) {
  // Keys sort by due time: stop at the first one due later.
  return cases_under(std::string(kCheckInPrefix), token, page_size, next_token,
                     timed(kCheckInPrefix, due_by_ms) + "-\xff");
}

bool CaseStore::index_if_missing(WriteBatch& batch, const pb::Case& c) {
  if (store_->get_bytes(timed_key(kOpenedPrefix, c))) return false;
  stage_indexes(batch, nullptr, c);
  return true;
}

void CaseStore::stage_indexes(WriteBatch& batch, const pb::Case* before, const pb::Case& after) {
  auto facts = facts_of(after);
  facts.set_agent_id(after.agent_id());
  std::optional<pb::CaseFacts> old;
  if (before) {
    old = facts_of(*before);
    old->set_agent_id(before->agent_id());
    if (old->SerializeAsString() == facts.SerializeAsString()) return;  // indexes still right
  }
  const std::string value = facts.SerializeAsString();
  batch.put_bytes(account_prefix(after.account_id()) + after.case_id(), value);
  if (!after.team_id().empty())
    batch.put_bytes(timed_key(team_prefix(after.team_id()), after), value);
  batch.put_bytes(timed_key(kOpenedPrefix, after), value);
  if (before && before->agent_id() != after.agent_id())
    batch.erase(timed_key(agent_prefix(before->agent_id()), *before));
  batch.put_bytes(timed_key(agent_prefix(after.agent_id()), after), value);

  // Daily aggregates: take the old facts out and put the new ones in (one record may get both).
  std::vector<Delta> deltas;
  if (old) {
    deltas.push_back({tenant_bucket(old->opened_ms()), *old, -1});
    deltas.push_back({agent_bucket(old->agent_id(), old->opened_ms()), *old, -1});
  }
  deltas.push_back({tenant_bucket(facts.opened_ms()), facts, 1});
  deltas.push_back({agent_bucket(facts.agent_id(), facts.opened_ms()), facts, 1});
  if (deferring_) {
    for (auto& d : deltas) pending_.push_back(std::move(d));
    return;
  }
  std::map<std::string, Day> days;
  for (const auto& d : deltas) fold(day(days, d.key).measures, d.facts, d.sign);
  put_days(batch, days);
}

CaseStore::Day& CaseStore::day(std::map<std::string, Day>& days, const std::string& key) {
  auto [it, fresh] = days.try_emplace(key);
  if (fresh) {
    if (auto stored = store_->get<pb::DayMeasures>(key, &it->second.version))
      it->second.measures = std::move(*stored);
  }
  return it->second;
}

void CaseStore::put_days(WriteBatch& batch, std::map<std::string, Day>& days) {
  for (auto& [key, d] : days) {
    if (d.measures.cases() > 0) {
      batch.put(key, d.measures, d.version ? d.version : kMustNotExist);
    } else if (d.version) {
      batch.erase(key, d.version);
    }
  }
}

void CaseStore::defer_aggregates(bool on) {
  deferring_ = on;
  pending_.clear();
  cached_days_.clear();
}

void CaseStore::keep_deltas() {
  for (const auto& d : pending_) fold(day(cached_days_, d.key).measures, d.facts, d.sign);
  pending_.clear();
}

void CaseStore::write_aggregates(WriteBatch& batch) {
  put_days(batch, cached_days_);
  cached_days_.clear();
}

std::vector<pb::Case> CaseStore::cases_after(const std::string& after, std::uint32_t limit,
                                             std::string& next) {
  auto page = store_->scan("case/", after.empty() ? std::string() : case_key(after), limit);
  std::vector<pb::Case> out;
  for (const auto& item : page.items) out.push_back(Store::parse<pb::Case>(item));
  next = page.next_after.empty() ? "" : page.next_after.substr(std::string_view("case/").size());
  return out;
}

std::vector<pb::Case> CaseStore::account_cases(const std::string& account, const std::string& token,
                                               std::uint32_t page_size, std::string& next_token) {
  const std::string prefix = account_prefix(account);
  auto page = store_->scan(prefix, token.empty() ? std::string() : prefix + token, page_size);
  std::vector<pb::Case> out;
  for (const auto& item : page.items) {
    const std::string id = item.key.substr(prefix.size());
    if (auto c = find(id)) out.push_back(std::move(*c));
  }
  next_token = page.next_after.empty() ? "" : page.next_after.substr(prefix.size());
  return out;
}

void CaseStore::facts_between(const std::string& prefix, std::int64_t from, std::int64_t to,
                              const FactsFn& fn) {
  if (to == 0) to = kNoEnd;
  std::string after = from > 0 ? timed(prefix, from) : std::string();
  do {
    auto page = store_->scan(prefix, after, kPage);
    for (const auto& item : page.items) {
      if (opened_of(item.key, prefix.size()) >= to) return;
      fn(Store::parse<pb::CaseFacts>(item));
    }
    after = page.next_after;
  } while (!after.empty());
}

void CaseStore::scoped_facts(const pb::MeasuresRequest& r, const FactsFn& fn) {
  if (!r.account_id().empty()) {
    // An account's cases are few; its index is in case id order, so the period is a filter.
    const std::string prefix = account_prefix(r.account_id());
    const std::int64_t to = r.to_ms() ? r.to_ms() : kNoEnd;
    std::string after;
    do {
      auto page = store_->scan(prefix, after, kPage);
      for (const auto& item : page.items) {
        pb::CaseFacts f;
        if (item.value.empty()) {  // written before index records carried facts
          auto c = find(item.key.substr(prefix.size()));
          if (!c) continue;
          f = facts_of(*c);
          f.set_agent_id(c->agent_id());
        } else {
          f = Store::parse<pb::CaseFacts>(item);
        }
        if (f.opened_ms() >= r.from_ms() && f.opened_ms() < to) fn(f);
      }
      after = page.next_after;
    } while (!after.empty());
  } else if (!r.agent_id().empty()) {
    facts_between(agent_prefix(r.agent_id()), r.from_ms(), r.to_ms(), fn);
  } else {
    facts_between(team_prefix(r.team_id()), r.from_ms(), r.to_ms(), fn);
  }
}

void CaseStore::add_period(MeasuresAccumulator& acc, const std::string& facts_prefix,
                           const std::string& agg_prefix, std::int64_t bucket_ms, std::int64_t from,
                           std::int64_t to) {
  const auto add_facts = [&](const pb::CaseFacts& f) { acc.add(f); };
  // Whole buckets in [from, to): [first_bucket, end_bucket).
  const std::int64_t first_bucket = (from + bucket_ms - 1) / bucket_ms;
  const std::int64_t end_bucket = to ? to / bucket_ms : kNoEnd;
  if (first_bucket >= end_bucket) {
    facts_between(facts_prefix, from, to, add_facts);
    return;
  }
  if (from < first_bucket * bucket_ms)
    facts_between(facts_prefix, from, first_bucket * bucket_ms, add_facts);
  std::string after = first_bucket > 0 ? bucket_key(agg_prefix, first_bucket - 1) : std::string();
  bool done = false;
  do {
    auto page = store_->scan(agg_prefix, after, kPage);
    for (const auto& item : page.items) {
      std::int64_t day = 0;
      for (std::size_t i = agg_prefix.size(); i < item.key.size(); ++i)
        day = day * 10 + (item.key[i] - '0');
      if (day >= end_bucket) {
        done = true;
        break;
      }
      acc.add(Store::parse<pb::DayMeasures>(item));
    }
    after = page.next_after;
  } while (!done && !after.empty());
  if (to && end_bucket * bucket_ms < to)
    facts_between(facts_prefix, end_bucket * bucket_ms, to, add_facts);
}

pb::Measures CaseStore::measures(const pb::MeasuresRequest& r) {
  check_scope(r);
  MeasuresAccumulator acc;
  if (r.account_id().empty() && r.agent_id().empty() && r.team_id().empty()) {
    add_period(acc, std::string(kOpenedPrefix), std::string(kAggAll), kTenantBucketMs, r.from_ms(),
               r.to_ms());
  } else {
    scoped_facts(r, [&](const pb::CaseFacts& f) { acc.add(f); });
  }
  return acc.result();
}

std::string CaseStore::measures_csv(const pb::MeasuresRequest& r) {
  check_scope(r);
  std::ostringstream out;
  out << csv_header();
  if (!r.account_id().empty() || !r.agent_id().empty() || !r.team_id().empty()) {
    // A scope's cases are bounded by the scope: group them by agent in memory.
    MeasuresAccumulator all;
    std::map<std::string, MeasuresAccumulator> by_agent;
    scoped_facts(r, [&](const pb::CaseFacts& f) {
      all.add(f);
      by_agent[f.agent_id()].add(f);
    });
    csv_row(out, "all", all.result());
    for (const auto& [agent, acc] : by_agent)
      csv_row(out, "agent:" + agent_label(agent), acc.result());
    return out.str();
  }
  MeasuresAccumulator all;
  add_period(all, std::string(kOpenedPrefix), std::string(kAggAll), kTenantBucketMs, r.from_ms(),
             r.to_ms());
  csv_row(out, "all", all.result());
  if (!r.from_ms() && !r.to_ms()) {
    // All of time: every agent's buckets are needed, so one pass over them in key order (agent,
    // then bucket), one agent's accumulator at a time.
    std::string agent, after;
    MeasuresAccumulator acc;
    auto emit = [&] {
      if (acc.cases() > 0) csv_row(out, "agent:" + agent_label(agent), acc.result());
      acc = MeasuresAccumulator();
    };
    do {
      auto page = store_->scan(kAggAgents, after, kPage);
      for (const auto& item : page.items) {
        const auto slash = item.key.find('/', kAggAgents.size());
        std::string_view of(item.key.data() + kAggAgents.size(), slash - kAggAgents.size());
        if (of != agent) {
          emit();
          agent = of;
        }
        acc.add(Store::parse<pb::DayMeasures>(item));
      }
      after = page.next_after;
    } while (!after.empty());
    emit();
    return out.str();
  }
  // A period: one agent at a time, found by skipping from one agent's buckets to the next one's.
  std::string after;
  for (;;) {
    auto page = store_->scan(kAggAgents, after, 1);
    if (page.items.empty()) break;
    const auto& key = page.items.front().key;
    const auto slash = key.find('/', kAggAgents.size());
    const std::string agent = key.substr(kAggAgents.size(), slash - kAggAgents.size());
    MeasuresAccumulator acc;
    add_period(acc, agent_prefix(agent), agent_agg_prefix(agent), kAgentBucketMs, r.from_ms(),
               r.to_ms());
    if (acc.cases() > 0) csv_row(out, "agent:" + agent_label(agent), acc.result());
    after = agent_agg_prefix(agent) + "\xff";
  }
  return out.str();
}

}  // namespace coach::service_followup
