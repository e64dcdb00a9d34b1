// SPDX-License-Identifier: Apache-2.0
#include "plugin_store.hpp"

#include <algorithm>

#include "store_tables.hpp"

namespace coach::core {

namespace {

void check_deadline(const PluginStore::Deadline* deadline, std::string_view what) {
  if (deadline && std::chrono::steady_clock::now() >= *deadline) {
    throw StoreError(v1::STATUS_CODE_HANDLER_TIMEOUT,
                     "the request's deadline passed; stopped before " + std::string(what));
  }
}

}  // namespace

v1::Status PluginStore::read_value(std::string_view key, std::optional<StoredValue>& out) noexcept {
  return status_of([&] {
    check_deadline(deadline_, "a read");
    out = service_.read([&](SqlConnection& c) { return kv_get(c, {tenant_, plugin_}, key); });
  });
}

v1::Status PluginStore::scan_values(std::string_view prefix, std::string_view start_after,
                                    std::uint32_t limit, ScanPage& out) noexcept {
  return status_of([&] {
    check_deadline(deadline_, "a scan");
    out = service_.read([&](SqlConnection& c) {
      return kv_scan(c, {tenant_, plugin_}, prefix, start_after, limit);
    });
  });
}

v1::Status PluginStore::write_values(const std::vector<WriteOp>& ops, bool& applied,
                                     std::vector<std::int64_t>& versions) noexcept {
  applied = false;
  versions.clear();
  return status_of([&] {
    if (ops.empty()) {
      applied = true;
      return;
    }
    for (const auto& op : ops) check_key(op.key);  // refuse before queueing for a commit
    try {
      versions = service_.write_planned(
          [&](SqlBatch& batch) {
            kv_write_plan(batch, {tenant_, plugin_}, ops);
          },
          [&](const SqlBatch& batch, std::size_t first) {
            return kv_write_result(batch, first, ops);
          },
          std::any_of(ops.begin(), ops.end(),
                      [](const WriteOp& op) { return op.expected_version != kAnyVersion; }));
      applied = true;
    } catch (const RolledBack&) {
      applied = false;  // a version check failed; nothing of the batch was written
    }
  });
}

}  // namespace coach::core
