// SPDX-License-Identifier: Apache-2.0
// coach::StagedStore: a Store that keeps its writes in memory on top of another Store and writes
// them all in one commit. For work that makes many small changes in a row, such as an import
// batch: one durable commit instead of one per change.
//
//   coach::StagedStore staged(ctx.store());
//   for (const auto& line : lines) {
//     staged.begin_unit();
//     try { apply(line, staged); staged.keep_unit(); } catch (...) { staged.drop_unit(); ... }
//   }
//   if (!staged.flush()) ...  // a record changed underneath since it was read: nothing written
//
// Reads see the staged writes (a unit's own first, then the kept ones, then the base store) and
// scans merge them in key order. Version checks run against that view, so compare-and-set code
// works unchanged. flush() checks every record it read against the version the base had then.
// Records read from the base are cached until flush(). A put of a key never read does not read
// it: its version is worked out from the base only when asked for. Expiries are kept with the
// staged value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coach/store.hpp"

namespace coach {

class StagedStore final : public Store {
 public:
  explicit StagedStore(Store& base) : base_(base) {}

  // Starts a unit: its writes are kept by keep_unit() or dropped by drop_unit().
  void begin_unit() {
    unit_.clear();
    in_unit_ = true;
  }
  void keep_unit() {
    for (auto& [key, record] : unit_) kept_[key] = std::move(record);
    unit_.clear();
    in_unit_ = false;
  }
  void drop_unit() {
    unit_.clear();
    in_unit_ = false;
  }

  // Writes every kept change to the base store in one commit and starts over. False (nothing
  // written) when a record read from the base changed there in between; throws coach::Error when
  // the base store fails.
  bool flush() {
    WriteBatch batch;
    for (const auto& [key, record] : kept_) {
      const auto read = base_seen_.find(key);
      const bool was_read = read != base_seen_.end();
      const std::int64_t base_version = was_read && read->second ? read->second->version : 0;
      if (!record.value) {
        if (was_read && base_version == 0) continue;  // erasing what the base never had
        batch.erase(key, was_read ? base_version : kAnyVersion);
        continue;
      }
      batch.put_bytes(key, *record.value,
                      was_read ? (base_version ? base_version : kMustNotExist) : kAnyVersion);
      if (record.expires_ms) batch.expiring_at(record.expires_ms);
    }
    const bool applied = batch.empty() || base_.commit(batch);
    kept_.clear();
    unit_.clear();
    base_seen_.clear();
    in_unit_ = false;
    return applied;
  }

  v1::Status read_value(std::string_view key, std::optional<StoredValue>& out) noexcept override {
    return guarded([&] {
      out.reset();
      const Record* r = resolved(key);
      if (r && r->value) out = StoredValue{std::string(key), *r->value, r->version};
    });
  }

  v1::Status scan_values(std::string_view prefix, std::string_view start_after, std::uint32_t limit,
                         ScanPage& out) noexcept override {
    return guarded([&] {
      out = {};
      if (limit == 0) limit = 1;
      ScanPage page = base_.scan(prefix, start_after, limit);
      const bool base_has_more = !page.next_after.empty();
      // The range the base page covers; staged records in it override or add to it.
      std::map<std::string, Record, std::less<>> merged;
      for (auto& item : page.items)
        merged[item.key] = Record{std::move(item.value), item.version, 0};
      const std::string bound = base_has_more ? merged.rbegin()->first : std::string();
      for (const auto* layer : {&kept_, &unit_}) {
        auto it =
            start_after >= prefix ? layer->upper_bound(start_after) : layer->lower_bound(prefix);
        for (; it != layer->end() && it->first.starts_with(prefix); ++it) {
          if (base_has_more && it->first > bound) break;
          if (it->second.value) {
            merged[it->first] = *resolved(it->first);
          } else {
            merged.erase(it->first);
          }
        }
      }
      for (auto& [key, record] : merged) {
        if (out.items.size() == limit) {
          out.next_after = out.items.back().key;
          return;
        }
        out.items.push_back(StoredValue{key, *record.value, record.version});
      }
      if (base_has_more) out.next_after = bound;
    });
  }

  v1::Status write_values(const std::vector<WriteOp>& ops, bool& applied,
                          std::vector<std::int64_t>& versions) noexcept override {
    return guarded([&] {
      applied = false;
      versions.clear();
      for (const auto& op : ops) {
        if (op.expected_version == kAnyVersion) continue;
        const Record* r = resolved(op.key);
        const std::int64_t have = r && r->value ? r->version : 0;
        if (op.expected_version != have) return;
      }
      auto& layer = in_unit_ ? unit_ : kept_;
      for (const auto& op : ops) {
        const Record* r = known(op.key);
        Record next;
        if (op.kind == WriteOp::Kind::kPut) {
          next.value = op.value;
          next.expires_ms = op.expires_ms;
          if (!r) {
            next.version = kUnresolved;  // not read: worked out from the base if ever asked
            next.blind_puts = 1;
          } else if (r->version == kUnresolved) {
            next.version = kUnresolved;
            next.blind_puts = r->blind_puts + 1;
          } else {
            next.version = (r->value ? r->version : 0) + 1;
          }
        }
        versions.push_back(next.version == kUnresolved ? 0 : next.version);
        layer[op.key] = std::move(next);
      }
      applied = true;
    });
  }

 private:
  static constexpr std::int64_t kUnresolved = -1;
  struct Record {
    std::optional<std::string> value;  // nullopt: erased
    std::int64_t version = 0;          // kUnresolved: put blind, base version not read yet
    std::int64_t expires_ms = 0;
    std::int64_t blind_puts = 0;  // puts since the base version, while unresolved
  };

  // What the view holds for key without asking the base; nullptr when unknown.
  const Record* known(std::string_view key) const {
    if (auto it = unit_.find(key); it != unit_.end()) return &it->second;
    if (auto it = kept_.find(key); it != kept_.end()) return &it->second;
    if (auto it = base_seen_.find(key); it != base_seen_.end()) {
      return it->second ? &*it->second : &kAbsent;
    }
    return nullptr;
  }
  // The base's record for key, read once; nullptr when absent.
  const Record* base_record(std::string_view key) {
    auto it = base_seen_.find(key);
    if (it == base_seen_.end()) {
      auto stored = base_.get_bytes(key);
      it = base_seen_.emplace(std::string(key), std::nullopt).first;
      if (stored) it->second = Record{std::move(stored->value), stored->version, 0, 0};
    }
    return it->second ? &*it->second : nullptr;
  }
  // What the view holds for key with its version worked out; a null value when absent.
  const Record* resolved(std::string_view key) {
    Record* r = nullptr;
    if (auto it = unit_.find(key); it != unit_.end()) r = &it->second;
    if (!r) {
      if (auto it = kept_.find(key); it != kept_.end()) r = &it->second;
    }
    if (!r) {
      const Record* base = base_record(key);
      return base ? base : &kAbsent;
    }
    if (r->version == kUnresolved) {
      // Every unresolved layer of this key counts its puts from the same base version.
      const Record* base = base_record(key);
      const std::int64_t from = base ? base->version : 0;
      for (auto* layer : {&kept_, &unit_}) {
        if (auto it = layer->find(key); it != layer->end() && it->second.version == kUnresolved)
          it->second.version = from + it->second.blind_puts;
      }
    }
    return r;
  }

  template <typename Fn>
  static v1::Status guarded(Fn&& fn) noexcept {
    v1::Status status;
    capture_status(status, std::forward<Fn>(fn), v1::STATUS_CODE_INTERNAL);
    return status;
  }

  static inline const Record kAbsent{std::nullopt, 0, 0, 0};

  Store& base_;
  bool in_unit_ = false;
  std::map<std::string, Record, std::less<>> unit_;
  std::map<std::string, Record, std::less<>> kept_;
  std::map<std::string, std::optional<Record>, std::less<>> base_seen_;
};

}  // namespace coach
