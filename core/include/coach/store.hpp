// SPDX-License-Identifier: Apache-2.0
// coach::Store: the plugin's durable key-value store (PluginContext::store()).
//
// Keys are the plugin's own: the daemon prefixes each with the tenant of the request being handled
// and the plugin's name, so a plugin never sees another plugin's or another tenant's keys. Values
// are bytes, normally a serialized protobuf message. Every record has a version (1 when created,
// +1 on each write), which compare_and_set checks.
//
// A write returns only once it is durable (committed and synced by the backend). Writes from
// several plugins (and the scheduler) that arrive together share one commit: group commit.
//
//   auto& store = ctx.store();
//   store.put("case/42", c);                       // c: a protobuf message
//   if (auto c = store.get<Case>("case/42")) ...   // DATA_CORRUPT if it does not parse as Case
//   coach::WriteBatch batch;                        // all or nothing
//   batch.put("case/42", c, /*expected_version=*/7).erase("index/old");
//   if (!store.commit(batch)) ...                   // a version check failed; nothing written
//   store.update<Case>("case/42", [](Case& c) { c.set_state(...); });  // retried on a lost race
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "coach/error.hpp"

namespace coach {

struct StoredValue {
  std::string key;
  std::string value;
  std::int64_t version = 0;
};

struct ScanPage {
  std::vector<StoredValue> items;  // in key order (bytewise)
  // Pass as start_after to get the next page; empty when this page is the last.
  std::string next_after;
};

// Version expectations for compare-and-set writes.
inline constexpr std::int64_t kAnyVersion = -1;
inline constexpr std::int64_t kMustNotExist = 0;

struct WriteOp {
  enum class Kind : std::uint8_t { kPut, kErase };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;
  // kAnyVersion: unconditional; kMustNotExist: the key must be absent; n > 0: its version is n.
  std::int64_t expected_version = kAnyVersion;
  // A put's record is removed some time after this (ms since the epoch, daemon clock); until it
  // is, reads still see it. 0: kept until erased. Rewriting a key sets its expiry anew.
  std::int64_t expires_ms = 0;
};

// Writes applied atomically by Store::commit: all of them, or none when a version check fails.
class WriteBatch {
 public:
  WriteBatch& put(std::string key, const google::protobuf::Message& value,
                  std::int64_t expected_version = kAnyVersion) {
    return put_bytes(std::move(key), value.SerializeAsString(), expected_version);
  }
  WriteBatch& put_bytes(std::string key, std::string value,
                        std::int64_t expected_version = kAnyVersion) {
    ops_.push_back({WriteOp::Kind::kPut, std::move(key), std::move(value), expected_version, 0});
    return *this;
  }
  WriteBatch& erase(std::string key, std::int64_t expected_version = kAnyVersion) {
    ops_.push_back({WriteOp::Kind::kErase, std::move(key), {}, expected_version, 0});
    return *this;
  }
  // The put just added expires: for records read only for a while (dedup markers, windows).
  WriteBatch& expiring_at(std::int64_t expires_ms) {
    if (!ops_.empty() && ops_.back().kind == WriteOp::Kind::kPut)
      ops_.back().expires_ms = expires_ms;
    return *this;
  }

  const std::vector<WriteOp>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<WriteOp> ops_;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Implemented by the daemon. Never throw; failures come back as a non-OK status
  // (UNAVAILABLE: backend down, RESOURCE_EXHAUSTED: full, INVALID_ARGUMENT: bad key). ---

  virtual v1::Status read_value(std::string_view key, std::optional<StoredValue>& out) noexcept = 0;
  virtual v1::Status scan_values(std::string_view prefix, std::string_view start_after,
                                 std::uint32_t limit, ScanPage& out) noexcept = 0;
  // applied is false (and nothing written) when a version check failed; versions then holds the
  // new version of each op (0 for an erase).
  virtual v1::Status write_values(const std::vector<WriteOp>& ops, bool& applied,
                                  std::vector<std::int64_t>& versions) noexcept = 0;

  // --- Typed helpers, compiled into the plugin. These throw coach::Error on failure. ---

  std::optional<StoredValue> get_bytes(std::string_view key) {
    std::optional<StoredValue> out;
    check(read_value(key, out));
    return out;
  }

  // The value as Msg; nullopt when absent; DATA_CORRUPT when the bytes do not parse as Msg.
  template <typename Msg>
  std::optional<Msg> get(std::string_view key, std::int64_t* version = nullptr) {
    auto stored = get_bytes(key);
    if (!stored) return std::nullopt;
    if (version) *version = stored->version;
    return parse<Msg>(*stored);
  }

  template <typename Msg>
  static Msg parse(const StoredValue& stored) {
    Msg msg;
    if (!msg.ParseFromString(stored.value)) {
      throw Error(
          v1::STATUS_CODE_DATA_CORRUPT,
          "stored value '" + stored.key + "' does not parse as " + Msg::descriptor()->full_name());
    }
    return msg;
  }

  // Writes unconditionally; returns the new version.
  std::int64_t put(std::string key, const google::protobuf::Message& value) {
    return single(WriteBatch().put(std::move(key), value));
  }
  std::int64_t put_bytes(std::string key, std::string value) {
    return single(WriteBatch().put_bytes(std::move(key), std::move(value)));
  }
  // Writes only when the key's version is expected (kMustNotExist: absent). Returns the new
  // version, or nullopt when the check failed.
  std::optional<std::int64_t> compare_and_set(std::string key, std::int64_t expected_version,
                                              const google::protobuf::Message& value) {
    std::vector<std::int64_t> versions;
    if (!commit(WriteBatch().put(std::move(key), value, expected_version), &versions))
      return std::nullopt;
    return versions.front();
  }
  void erase(std::string key) { single(WriteBatch().erase(std::move(key))); }

  // Read-modify-write of one record: reads key, calls fn, and writes the result back only if
  // nobody wrote the record in between; a lost race is retried up to `attempts` times, then
  // throws CONFLICT. fn takes either Msg& (an absent record starts as Msg{}) or
  // std::optional<Msg>& (nullopt: absent; reset it to erase the record). Returns what was left.
  template <typename Msg, typename Fn>
  std::optional<Msg> update(std::string_view key, Fn fn, int attempts = 8) {
    for (int i = 0; i < attempts; ++i) {
      std::int64_t version = 0;
      std::optional<Msg> value = get<Msg>(key, &version);
      const bool existed = value.has_value();
      if constexpr (std::is_invocable_v<Fn&, std::optional<Msg>&>) {
        fn(value);
      } else {
        if (!value) value.emplace();
        fn(*value);
      }
      WriteBatch batch;
      if (value) {
        batch.put(std::string(key), *value, existed ? version : kMustNotExist);
      } else if (existed) {
        batch.erase(std::string(key), version);
      } else {
        return value;
      }
      if (commit(batch)) return value;
    }
    throw Error(v1::STATUS_CODE_CONFLICT,
                "'" + std::string(key) + "' kept changing underneath; try again");
  }

  // Applies every op or none; false when a version check failed.
  bool commit(const WriteBatch& batch, std::vector<std::int64_t>* versions = nullptr) {
    bool applied = false;
    std::vector<std::int64_t> out;
    check(write_values(batch.ops(), applied, out));
    if (versions) *versions = std::move(out);
    return applied;
  }

  // One page of keys starting with prefix, after start_after (empty: from the first).
  ScanPage scan(std::string_view prefix, std::string_view start_after = {},
                std::uint32_t limit = 100) {
    ScanPage page;
    check(scan_values(prefix, start_after, limit, page));
    return page;
  }

  // Every key starting with prefix, in order, across pages. For prefixes known to stay small.
  std::vector<StoredValue> scan_all(std::string_view prefix) {
    std::vector<StoredValue> out;
    std::string after;
    do {
      auto page = scan(prefix, after, 500);
      for (auto& item : page.items) out.push_back(std::move(item));
      after = page.next_after;
    } while (!after.empty());
    return out;
  }

 private:
  std::int64_t single(const WriteBatch& batch) {
    std::vector<std::int64_t> versions;
    commit(batch, &versions);
    return versions.empty() ? 0 : versions.front();
  }
  static void check(const v1::Status& status) {
    if (status.code() != v1::STATUS_CODE_OK) throw Error(status.code(), status.message());
  }
};

}  // namespace coach
