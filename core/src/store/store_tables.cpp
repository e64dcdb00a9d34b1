// SPDX-License-Identifier: Apache-2.0
#include "store_tables.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "store_service.hpp"

namespace coach::core {

namespace {

// The smallest key greater than every key starting with prefix; nullopt when there is none.
std::optional<std::string> prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

constexpr const char* kEntryColumns =
    "id, tenant, plugin, topic, due_ms, payload, announce, state, claimed_by, lease_until_ms,"
    " attempts, created_ms, done_ms, last_error";

ScheduleEntry to_entry(SqlRow& row) {
  ScheduleEntry e;
  e.id = as_int(row.at(0));
  e.tenant = as_bytes(std::move(row[1]));
  e.plugin = as_bytes(std::move(row[2]));
  e.topic = as_bytes(std::move(row[3]));
  e.due_ms = as_int(row[4]);
  e.payload = as_bytes(std::move(row[5]));
  e.announce = as_int(row[6]) != 0;
  e.state = static_cast<EntryState>(as_int(row[7]));
  e.claimed_by = as_bytes(std::move(row[8]));
  e.lease_until_ms = as_int(row[9]);
  e.attempts = as_int(row[10]);
  e.created_ms = as_int(row[11]);
  e.done_ms = as_int(row[12]);
  e.last_error = as_bytes(std::move(row[13]));
  return e;
}

}  // namespace

void check_key(std::string_view key) {
  if (key.empty()) throw StoreError(v1::STATUS_CODE_INVALID_ARGUMENT, "store key is empty");
  if (key.size() > kMaxKeyBytes) {
    throw StoreError(v1::STATUS_CODE_INVALID_ARGUMENT,
                     fmt::format("store key of {} bytes exceeds {}", key.size(), kMaxKeyBytes));
  }
}

std::optional<StoredValue> kv_get(SqlConnection& c, StoreScope scope, std::string_view key) {
  check_key(key);
  auto rows =
      c.query("SELECT value, version FROM coach_kv WHERE tenant = $1 AND plugin = $2 AND key = $3",
              {Text{scope.tenant}, Text{scope.plugin}, Blob{key}});
  if (rows.empty()) return std::nullopt;
  return StoredValue{std::string(key), as_bytes(std::move(rows[0][0])), as_int(rows[0][1])};
}

ScanPage kv_scan(SqlConnection& c, StoreScope scope, std::string_view prefix,
                 std::string_view start_after, std::uint32_t limit) {
  limit = std::clamp<std::uint32_t>(limit, 1, 1000);
  const auto end = prefix_end(prefix);
  const auto fetch = static_cast<std::int64_t>(limit) + 1;
  // One lower bound: with two (key >= prefix AND key > start_after) both backends take the first
  // as the index range and filter the second row by row, so page k re-read every earlier key.
  const bool after = start_after >= prefix;
  const std::string sql = fmt::format(
      "SELECT key, value, version FROM coach_kv WHERE tenant = $1 AND plugin = $2 AND key {} $3"
      "{} ORDER BY key LIMIT $4",
      after ? ">" : ">=", end ? " AND key < $5" : "");
  const Blob lower{after ? start_after : prefix};
  auto rows = end ? c.query(sql, {Text{scope.tenant}, Text{scope.plugin}, lower, fetch, Blob{*end}})
                  : c.query(sql, {Text{scope.tenant}, Text{scope.plugin}, lower, fetch});
  ScanPage page;
  const bool more = rows.size() > limit;
  if (more) rows.pop_back();
  for (auto& row : rows) {
    page.items.push_back(
        StoredValue{as_bytes(std::move(row[0])), as_bytes(std::move(row[1])), as_int(row[2])});
  }
  if (more) page.next_after = page.items.back().key;
  return page;
}

void kv_write_plan(SqlBatch& batch, StoreScope scope, const std::vector<WriteOp>& ops) {
  const Text tenant{scope.tenant};
  const Text plugin{scope.plugin};
  for (const auto& op : ops) {
    check_key(op.key);
    const Blob key{op.key};
    if (op.kind == WriteOp::Kind::kErase) {
      if (op.expected_version == kAnyVersion) {
        batch.add("DELETE FROM coach_kv WHERE tenant = $1 AND plugin = $2 AND key = $3",
                  {tenant, plugin, key});
      } else {
        batch.add(
            "DELETE FROM coach_kv WHERE tenant = $1 AND plugin = $2 AND key = $3"
            " AND version = $4 RETURNING version",
            {tenant, plugin, key, op.expected_version});
      }
      continue;
    }
    const Blob value{op.value};
    const std::int64_t expires = op.expires_ms;
    if (op.expected_version == kAnyVersion) {
      batch.add(
          "INSERT INTO coach_kv (tenant, plugin, key, value, version, expires_ms)"
          " VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (tenant, plugin, key) DO UPDATE SET"
          " value = excluded.value, version = coach_kv.version + 1,"
          " expires_ms = excluded.expires_ms RETURNING version",
          {tenant, plugin, key, value, expires});
    } else if (op.expected_version == kMustNotExist) {
      batch.add(
          "INSERT INTO coach_kv (tenant, plugin, key, value, version, expires_ms)"
          " VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (tenant, plugin, key) DO NOTHING"
          " RETURNING version",
          {tenant, plugin, key, value, expires});
    } else {
      batch.add(
          "UPDATE coach_kv SET value = $4, version = version + 1, expires_ms = $6 WHERE"
          " tenant = $1 AND plugin = $2 AND key = $3 AND version = $5 RETURNING version",
          {tenant, plugin, key, value, op.expected_version, expires});
    }
  }
}

std::vector<std::int64_t> kv_write_result(const SqlBatch& batch, std::size_t first,
                                          const std::vector<WriteOp>& ops) {
  std::vector<std::int64_t> versions;
  versions.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& op = ops[i];
    const auto& rows = batch.rows(first + i);
    const bool checked = op.expected_version != kAnyVersion;
    if (op.kind == WriteOp::Kind::kErase) {
      if (checked && rows.empty()) throw RolledBack{};
      versions.push_back(0);
      continue;
    }
    if (rows.empty()) throw RolledBack{};
    versions.push_back(as_int(rows[0][0]));
  }
  return versions;
}

std::vector<std::int64_t> kv_write(SqlConnection& c, StoreScope scope,
                                   const std::vector<WriteOp>& ops) {
  SqlBatch batch;
  kv_write_plan(batch, scope, ops);
  c.run_batch(batch);
  return kv_write_result(batch, 0, ops);
}

std::vector<KvStats> kv_stats(SqlConnection& c, std::int64_t now_ms) {
  auto rows = c.query(
      "SELECT tenant, plugin, COUNT(*), SUM(LENGTH(key) + LENGTH(value)),"
      " SUM(CASE WHEN expires_ms > 0 AND expires_ms <= $1 THEN 1 ELSE 0 END),"
      " SUM(CASE WHEN expires_ms > 0 AND expires_ms <= $1 THEN LENGTH(key) + LENGTH(value)"
      " ELSE 0 END) FROM coach_kv GROUP BY tenant, plugin ORDER BY tenant, plugin",
      {now_ms});
  std::vector<KvStats> out;
  for (auto& row : rows) {
    out.push_back({as_bytes(std::move(row[0])), as_bytes(std::move(row[1])), as_int(row[2]),
                   as_int(row[3]), as_int(row[4]), as_int(row[5])});
  }
  return out;
}

std::int64_t kv_prune_expired(SqlConnection& c, std::int64_t now_ms, std::int64_t limit) {
  auto rows = c.query(
      "DELETE FROM coach_kv WHERE (tenant, plugin, key) IN (SELECT tenant, plugin, key FROM"
      " coach_kv WHERE expires_ms > 0 AND expires_ms <= $1 ORDER BY expires_ms LIMIT $2)"
      " RETURNING 1",
      {now_ms, limit});
  return static_cast<std::int64_t>(rows.size());
}

std::int64_t schedule_prune(SqlConnection& c, std::int64_t finished_before_ms, std::int64_t limit) {
  auto rows = c.query(
      "DELETE FROM coach_schedule WHERE id IN (SELECT id FROM coach_schedule WHERE state <> 0"
      " AND done_ms <= $1 ORDER BY done_ms LIMIT $2) RETURNING 1",
      {finished_before_ms, limit});
  return static_cast<std::int64_t>(rows.size());
}

std::int64_t schedule_prunable(SqlConnection& c, std::int64_t finished_before_ms) {
  auto rows = c.query("SELECT COUNT(*) FROM coach_schedule WHERE state <> 0 AND done_ms <= $1",
                      {finished_before_ms});
  return rows.empty() ? 0 : as_int(rows[0][0]);
}

std::string_view to_string(EntryState s) {
  switch (s) {
    case EntryState::kPending:
      return "pending";
    case EntryState::kDone:
      return "done";
    case EntryState::kCancelled:
      return "cancelled";
    case EntryState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::int64_t schedule_insert(SqlConnection& c, StoreScope scope, std::string_view topic,
                             std::int64_t due_ms, std::string_view payload, bool announce,
                             std::int64_t now_ms) {
  auto rows = c.query(
      "INSERT INTO coach_schedule (tenant, plugin, topic, due_ms, payload, announce, created_ms)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      {Text{scope.tenant}, Text{scope.plugin}, Text{topic}, due_ms, Blob{payload},
       static_cast<std::int64_t>(announce), now_ms});
  return as_int(rows.at(0).at(0));
}

bool schedule_cancel(SqlConnection& c, StoreScope scope, std::int64_t id, std::int64_t now_ms) {
  auto rows = c.query(
      "UPDATE coach_schedule SET state = 2, done_ms = $4 WHERE id = $1 AND tenant = $2"
      " AND plugin = $3 AND state = 0 RETURNING id",
      {id, Text{scope.tenant}, Text{scope.plugin}, now_ms});
  return !rows.empty();
}

std::vector<ScheduleEntry> schedule_claim(SqlConnection& c, std::string_view lock_clause,
                                          std::string_view plugin, std::string_view node,
                                          std::int64_t now_ms, std::int64_t lease_until_ms,
                                          std::int64_t limit) {
  const std::string sql = fmt::format(
      "UPDATE coach_schedule SET claimed_by = $1, lease_until_ms = $2, attempts = attempts + 1"
      " WHERE id IN (SELECT id FROM coach_schedule WHERE state = 0 AND plugin = $3"
      " AND due_ms <= $4 AND lease_until_ms <= $4 ORDER BY due_ms, id LIMIT $5{}) RETURNING {}",
      lock_clause, kEntryColumns);
  auto rows = c.query(sql, {Text{node}, lease_until_ms, Text{plugin}, now_ms, limit});
  std::vector<ScheduleEntry> out;
  for (auto& row : rows) out.push_back(to_entry(row));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
  });
  return out;
}

void schedule_done(SqlConnection& c, std::int64_t id, std::int64_t now_ms) {
  c.query(
      "UPDATE coach_schedule SET state = 1, done_ms = $2, lease_until_ms = 0, last_error = NULL"
      " WHERE id = $1 AND state = 0",
      {id, now_ms});
}

void schedule_retry(SqlConnection& c, std::int64_t id, std::int64_t due_ms, std::string_view error,
                    bool give_up, std::int64_t now_ms) {
  if (give_up) {
    c.query(
        "UPDATE coach_schedule SET state = 3, done_ms = $2, lease_until_ms = 0, last_error = $3"
        " WHERE id = $1 AND state = 0",
        {id, now_ms, Text{error}});
  } else {
    c.query(
        "UPDATE coach_schedule SET due_ms = $2, lease_until_ms = 0, claimed_by = NULL,"
        " last_error = $3 WHERE id = $1 AND state = 0",
        {id, due_ms, Text{error}});
  }
}

void schedule_release(SqlConnection& c, std::int64_t id) {
  c.query(
      "UPDATE coach_schedule SET lease_until_ms = 0, claimed_by = NULL, attempts = attempts - 1"
      " WHERE id = $1 AND state = 0",
      {id});
}

std::int64_t schedule_release_node(SqlConnection& c, std::string_view node) {
  auto rows = c.query(
      "UPDATE coach_schedule SET lease_until_ms = 0, claimed_by = NULL"
      " WHERE state = 0 AND claimed_by = $1 AND lease_until_ms > 0 RETURNING id",
      {Text{node}});
  return static_cast<std::int64_t>(rows.size());
}

std::optional<std::int64_t> schedule_next_due(SqlConnection& c, std::string_view plugin) {
  auto rows = c.query(
      "SELECT MIN(CASE WHEN lease_until_ms > due_ms THEN lease_until_ms ELSE due_ms END)"
      " FROM coach_schedule WHERE state = 0 AND plugin = $1",
      {Text{plugin}});
  if (rows.empty() || is_null(rows[0][0])) return std::nullopt;
  return as_int(rows[0][0]);
}

std::vector<ScheduleEntry> schedule_list(SqlConnection& c, const ScheduleFilter& filter) {
  const std::string sql = fmt::format(
      "SELECT {} FROM coach_schedule WHERE ($1 = '' OR plugin = $1) AND ($2 = '' OR tenant = $2)"
      " AND ($3 < 0 OR state = $3) ORDER BY due_ms, id LIMIT $4",
      kEntryColumns);
  auto rows = c.query(sql, {Text{filter.plugin}, Text{filter.tenant},
                            filter.state ? static_cast<std::int64_t>(*filter.state) : -1,
                            std::clamp<std::int64_t>(filter.limit, 1, 10000)});
  std::vector<ScheduleEntry> out;
  for (auto& row : rows) out.push_back(to_entry(row));
  return out;
}

}  // namespace coach::core
