// SPDX-License-Identifier: Apache-2.0
// The store's two tables, in SQL both backends run: coach_kv (the plugins' key-value records,
// keyed by tenant, plugin and key) and coach_schedule (the durable scheduler's entries).
// Every function runs on the connection it is given; the caller chooses read() or write().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coach/store.hpp"
#include "sql_connection.hpp"

namespace coach::core {

// Whose keys: the core fills both from the plugin and the request being handled.
struct StoreScope {
  std::string_view tenant;
  std::string_view plugin;
};

inline constexpr std::size_t kMaxKeyBytes = 1024;

// Throws StoreError(INVALID_ARGUMENT) for an empty or oversized key.
void check_key(std::string_view key);

std::optional<StoredValue> kv_get(SqlConnection& c, StoreScope scope, std::string_view key);
ScanPage kv_scan(SqlConnection& c, StoreScope scope, std::string_view prefix,
                 std::string_view start_after, std::uint32_t limit);
// Applies ops; throws RolledBack when a version check fails (the caller's savepoint undoes the
// rest). Returns the new version of each op (0 for an erase).
std::vector<std::int64_t> kv_write(SqlConnection& c, StoreScope scope,
                                   const std::vector<WriteOp>& ops);
// kv_write in two halves, for writes that share a batch: the statements of ops (one each), and
// the versions read from their rows, starting at statement first (throws RolledBack).
void kv_write_plan(SqlBatch& batch, StoreScope scope, const std::vector<WriteOp>& ops);
std::vector<std::int64_t> kv_write_result(const SqlBatch& batch, std::size_t first,
                                          const std::vector<WriteOp>& ops);

struct KvStats {
  std::string tenant;
  std::string plugin;
  std::int64_t keys = 0;
  std::int64_t bytes = 0;
  std::int64_t expired_keys = 0;  // past their expiry, waiting to be pruned
  std::int64_t expired_bytes = 0;
};
std::vector<KvStats> kv_stats(SqlConnection& c, std::int64_t now_ms);
// Removes up to limit records whose expiry is at or before now_ms; returns how many.
std::int64_t kv_prune_expired(SqlConnection& c, std::int64_t now_ms, std::int64_t limit);

enum class EntryState : std::int64_t { kPending = 0, kDone = 1, kCancelled = 2, kFailed = 3 };
std::string_view to_string(EntryState s);

struct ScheduleEntry {
  std::int64_t id = 0;
  std::string tenant;
  std::string plugin;
  std::string topic;
  std::int64_t due_ms = 0;
  std::string payload;  // a serialized google.protobuf.Any
  bool announce = false;
  EntryState state = EntryState::kPending;
  std::string claimed_by;
  std::int64_t lease_until_ms = 0;
  std::int64_t attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t done_ms = 0;
  std::string last_error;
};

std::int64_t schedule_insert(SqlConnection& c, StoreScope scope, std::string_view topic,
                             std::int64_t due_ms, std::string_view payload, bool announce,
                             std::int64_t now_ms);
bool schedule_cancel(SqlConnection& c, StoreScope scope, std::int64_t id, std::int64_t now_ms);
// Claims up to limit due entries of plugin for node until lease_until_ms; counts an attempt.
// lock_clause comes from the backend (FOR UPDATE SKIP LOCKED on PostgreSQL).
std::vector<ScheduleEntry> schedule_claim(SqlConnection& c, std::string_view lock_clause,
                                          std::string_view plugin, std::string_view node,
                                          std::int64_t now_ms, std::int64_t lease_until_ms,
                                          std::int64_t limit);
void schedule_done(SqlConnection& c, std::int64_t id, std::int64_t now_ms);
// Puts a claimed entry back: due again at due_ms (failed for good when give_up).
void schedule_retry(SqlConnection& c, std::int64_t id, std::int64_t due_ms, std::string_view error,
                    bool give_up, std::int64_t now_ms);
// Returns a claimed entry unattempted (its plugin was not running).
void schedule_release(SqlConnection& c, std::int64_t id);
// Releases every claim node holds: after a restart, its entries fire again at once.
std::int64_t schedule_release_node(SqlConnection& c, std::string_view node);
// When the next entry of plugin becomes claimable; nullopt when none is pending.
std::optional<std::int64_t> schedule_next_due(SqlConnection& c, std::string_view plugin);

struct ScheduleFilter {
  std::string plugin;  // empty: all
  std::string tenant;  // empty: all
  std::optional<EntryState> state;
  std::int64_t limit = 100;
};
std::vector<ScheduleEntry> schedule_list(SqlConnection& c, const ScheduleFilter& filter);

// Removes up to limit done, cancelled or failed entries that finished at or before
// finished_before_ms; returns how many. schedule_prunable counts them.
std::int64_t schedule_prune(SqlConnection& c, std::int64_t finished_before_ms, std::int64_t limit);
std::int64_t schedule_prunable(SqlConnection& c, std::int64_t finished_before_ms);

}  // namespace coach::core
