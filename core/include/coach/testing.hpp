// SPDX-License-Identifier: Apache-2.0
// coach/testing.hpp: run a plugin in-process in a unit test, without coachd. A TestContext stands
// in for the daemon: an in-memory Store with the real store's semantics (it passes the same
// conformance suite as SQLite and PostgreSQL), a manual clock, captured published events and
// scheduled entries that fire when the test says so, and direct calls of served methods.
//
//   coach::testing::TestContext t({{"greeting", "hi"}});  // the plugin linked into this test
//   t.start();                                           // its start(), config checked
//   auto reply = t.call<EchoReply>("Echo", request);     // throws coach::Error on a non-OK status
//   EXPECT_EQ(t.events("echo.echoed").size(), 1u);
//   t.advance(std::chrono::hours(25));
//   t.fire_due();                                        // runs the on_due handlers now due
//
// A service class can be tested on its own too: construct it with t.context(). The plugin under
// test is the one COACH_PLUGIN exports in the test program (coach_add_plugin's TESTS link the
// plugin file in); TestContext(manifest, config) tests a service without one.
#pragma once

#include <google/protobuf/any.pb.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coach/detail/config_schema.hpp"
#include "coach/plugin.hpp"

// The entry points COACH_PLUGIN defines in the test program (see the file comment).
namespace coach_plugin_entry {
const coach::PluginManifest* manifest() noexcept;
coach::detail::PluginInstance* create() noexcept;
}  // namespace coach_plugin_entry

namespace coach::testing {

// The daemon's store semantics in memory: versions from 1, +1 per write; batches all or nothing;
// bytewise key order; keys of 1 to 1024 bytes; scoped per tenant (set_tenant). Expired records
// stay readable, as they do in the daemon until its next prune.
class MemoryStore final : public Store {
 public:
  static constexpr std::size_t kMaxKeyBytes = 1024;

  void set_tenant(std::string tenant) { tenant_ = std::move(tenant); }

  v1::Status read_value(std::string_view key, std::optional<StoredValue>& out) noexcept override {
    v1::Status status;
    capture_status(status, [&] {
      check_key(key);
      out.reset();
      auto& records = records_[tenant_];
      if (auto it = records.find(key); it != records.end())
        out = StoredValue{it->first, it->second.value, it->second.version};
    });
    return status;
  }

  v1::Status scan_values(std::string_view prefix, std::string_view start_after, std::uint32_t limit,
                         ScanPage& out) noexcept override {
    v1::Status status;
    capture_status(status, [&] {
      limit = std::clamp<std::uint32_t>(limit, 1, 1000);
      out = {};
      auto& records = records_[tenant_];
      auto it =
          start_after >= prefix ? records.upper_bound(start_after) : records.lower_bound(prefix);
      for (; it != records.end() && it->first.starts_with(prefix); ++it) {
        if (out.items.size() == limit) {
          out.next_after = out.items.back().key;
          break;
        }
        out.items.push_back(StoredValue{it->first, it->second.value, it->second.version});
      }
    });
    return status;
  }

  v1::Status write_values(const std::vector<WriteOp>& ops, bool& applied,
                          std::vector<std::int64_t>& versions) noexcept override {
    v1::Status status;
    capture_status(status, [&] {
      for (const auto& op : ops) check_key(op.key);
      // Applied to a copy of the touched records, so a failed check leaves nothing behind.
      auto& records = records_[tenant_];
      std::map<std::string, std::optional<Record>, std::less<>> changed;
      auto current = [&](const std::string& key) -> std::optional<Record> {
        if (auto c = changed.find(key); c != changed.end()) return c->second;
        if (auto r = records.find(key); r != records.end()) return r->second;
        return std::nullopt;
      };
      applied = false;
      versions.clear();
      for (const auto& op : ops) {
        const auto before = current(op.key);
        const std::int64_t version = before ? before->version : 0;
        if (op.expected_version != kAnyVersion && op.expected_version != version) {
          versions.clear();
          return;
        }
        if (op.kind == WriteOp::Kind::kErase) {
          changed[op.key] = std::nullopt;
          versions.push_back(0);
        } else {
          changed[op.key] = Record{op.value, version + 1, op.expires_ms};
          versions.push_back(version + 1);
        }
      }
      for (auto& [key, record] : changed) {
        if (record) {
          records[key] = std::move(*record);
        } else {
          records.erase(key);
        }
      }
      applied = true;
      ++commits_;
    });
    return status;
  }

  // Commits that applied, for tests that count round trips.
  std::uint64_t commits() const { return commits_; }

 private:
  struct Record {
    std::string value;
    std::int64_t version = 0;
    std::int64_t expires_ms = 0;
  };
  static void check_key(std::string_view key) {
    if (key.empty()) throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, "store key is empty");
    if (key.size() > kMaxKeyBytes) {
      throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, "store key of " + std::to_string(key.size()) +
                                                        " bytes exceeds " +
                                                        std::to_string(kMaxKeyBytes));
    }
  }

  std::string tenant_ = "default";
  std::map<std::string, std::map<std::string, Record, std::less<>>> records_;
  std::uint64_t commits_ = 0;
};

// An event the plugin published.
struct PublishedEvent {
  std::string topic;
  std::string tenant;
  google::protobuf::Any payload;

  template <typename Msg>
  Msg as() const {
    auto msg = unpack_as<Msg>(payload);
    if (!msg)
      throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE,
                  topic + " is not a " + Msg::descriptor()->full_name());
    return *msg;
  }
};

// An entry the plugin scheduled.
struct ScheduledEntry {
  enum class State : std::uint8_t { kPending, kDone, kCancelled };
  std::int64_t id = 0;
  std::string topic;
  std::string tenant;
  std::int64_t due_ms = 0;
  google::protobuf::Any payload;
  bool announce = false;
  State state = State::kPending;
  std::uint32_t attempts = 0;  // deliveries so far
  std::string last_error;      // of the last failed delivery
};

// Flattened config: dotted keys, list items as "key.0", "key.1".
using Config = std::map<std::string, std::string>;

class TestContext final : public detail::HostContext {
 public:
  // A context for the plugin COACH_PLUGIN exports in this test program, with config checked
  // against its schema and defaults filled in (throws coach::Error naming a bad key).
  TestContext(std::initializer_list<std::pair<std::string_view, std::string_view>> config = {})
      : TestContext(*coach_plugin_entry::manifest(), to_config(config)) {}
  // A context for the plugin that manifest describes (kept by reference: it must outlive the
  // context, as a static manifest() does).
  TestContext(const PluginManifest& manifest, const Config& config)
      : manifest_(manifest),
        config_(manifest.name,
                detail::apply_config_schema(manifest.config, manifest.name, config, {})),
        logger_(std::make_shared<spdlog::logger>(std::string(manifest.name),
                                                 std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_(*this, manifest_) {}
  ~TestContext() override { stop(); }
  TestContext(const TestContext&) = delete;
  TestContext& operator=(const TestContext&) = delete;

  // Constructs the plugin and runs its start(); then checks that every rpc of its service has a
  // handler, as coachd does. Throws coach::Error with the reason it would be refused.
  void start() {
    instance_.reset(coach_plugin_entry::create());
    std::string error;
    in_start_ = true;
    const bool ok = instance_->start(*this, error);
    in_start_ = false;
    if (ok) {
      std::set<std::string, std::less<>> served;
      for (const auto& [name, binding] : methods_) served.insert(name);
      error = detail::unserved_rpcs(manifest_.service, manifest_.name, served);
    }
    if (!ok || !error.empty()) {
      stop();
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "plugin refused: " + error);
    }
  }
  // Runs the plugin's stop(); also done by the destructor. What it registered goes with it.
  void stop() {
    if (!instance_) return;
    std::string ignored;
    instance_->stop(ignored);
    instance_.reset();
    methods_.clear();
    subscriptions_.clear();
    due_handlers_.clear();
  }

  // The context a service class under test is constructed with. Its serve(), subscribe() and
  // on_due() register here, so call(), deliver() and fire_due() reach them.
  PluginContext& context() { return context_; }

  // Calls a served method as coachd would; throws coach::Error with the status when not OK.
  template <typename Resp>
  Resp call(std::string_view method, const google::protobuf::Message& request) {
    google::protobuf::Any reply;
    const v1::Status status = call_any(method, request, reply);
    if (status.code() != v1::STATUS_CODE_OK) throw Error(status.code(), status.message());
    Resp out;
    if (!reply.UnpackTo(&out))
      throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE,
                  std::string(method) + " replied another type");
    return out;
  }
  // The status of a call, for tests of refusals (the reply is dropped).
  v1::Status call_status(std::string_view method, const google::protobuf::Message& request) {
    google::protobuf::Any reply;
    return call_any(method, request, reply);
  }
  // The status of a call, and its reply in reply when OK.
  v1::Status call_any(std::string_view method, const google::protobuf::Message& request,
                      google::protobuf::Any& reply) {
    v1::Status status;
    auto it = methods_.find(method);
    if (it == methods_.end()) {
      status.set_code(v1::STATUS_CODE_UNKNOWN_METHOD);
      status.set_message("plugin '" + std::string(manifest_.name) + "' has no method '" +
                         std::string(method) + "'");
      return status;
    }
    google::protobuf::Any payload;
    payload.PackFrom(request);
    const std::string id = "test-" + std::to_string(++calls_);
    const RequestContext rc{tenant_, id,    it->first, std::chrono::steady_clock::time_point::max(),
                            person_, roles_};
    it->second.handler(rc, payload, reply, status);
    return status;
  }

  // Delivers an event, as if another plugin had published it, to every matching subscription.
  void deliver(std::string_view topic, const google::protobuf::Message& message) {
    google::protobuf::Any payload;
    payload.PackFrom(message);
    const Event event{topic, tenant_, payload};
    for (auto& [prefix, handler] : subscriptions_)
      if (topic.starts_with(prefix)) handler(event);
  }

  // Events the plugin published, oldest first; with a prefix, only those whose topic starts so.
  std::vector<PublishedEvent> events(std::string_view prefix = {}) const {
    std::vector<PublishedEvent> out;
    for (const auto& e : published_)
      if (e.topic.starts_with(prefix)) out.push_back(e);
    return out;
  }
  void clear_events() { published_.clear(); }

  // Every entry scheduled so far, in id order.
  const std::vector<ScheduledEntry>& scheduled() const { return scheduled_; }
  std::vector<ScheduledEntry> pending(std::string_view prefix = {}) const {
    std::vector<ScheduledEntry> out;
    for (const auto& e : scheduled_)
      if (e.state == ScheduledEntry::State::kPending && e.topic.starts_with(prefix))
        out.push_back(e);
    return out;
  }

  // The manual clock: starts at 2026-01-05T09:00:00Z, moves only when told.
  void set_now(std::chrono::system_clock::time_point t) {
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }

  // Delivers every pending entry due by now, earliest first (each at most once per call,
  // entries they schedule included when due). A failed delivery stays pending with attempts
  // counted, as the daemon would retry it. Returns how many were delivered successfully.
  int fire_due() {
    int delivered = 0;
    std::set<std::int64_t> tried;
    for (;;) {
      ScheduledEntry* next = nullptr;
      for (auto& e : scheduled_) {
        if (e.state != ScheduledEntry::State::kPending || e.due_ms > now_ms_ || tried.count(e.id))
          continue;
        if (!next || e.due_ms < next->due_ms) next = &e;
      }
      if (!next) return delivered;
      tried.insert(next->id);
      const ScheduledEntry entry = *next;  // the handler may schedule (and reallocate)
      v1::Status status = deliver_due(entry);
      auto& stored = *std::find_if(scheduled_.begin(), scheduled_.end(),
                                   [&](const auto& e) { return e.id == entry.id; });
      ++stored.attempts;
      if (status.code() == v1::STATUS_CODE_OK) {
        if (stored.state == ScheduledEntry::State::kPending)
          stored.state = ScheduledEntry::State::kDone;
        ++delivered;
        if (entry.announce) published_.push_back({entry.topic, entry.tenant, entry.payload});
      } else {
        stored.last_error = status.message();
      }
    }
  }

  // The tenant requests, events and due entries are handled for (default "default").
  void set_tenant(std::string tenant) {
    tenant_ = std::move(tenant);
    store_.set_tenant(tenant_);
  }
  MemoryStore& memory_store() { return store_; }

  // The current tenant's people directory, for a test to fill.
  PeopleDirectory& directory() { return people_[tenant_]; }
  // Calls are made by this person of the current tenant, with the roles the directory gives
  // them (none when absent), as coachd resolves a principal.
  void act_as(std::string person) {
    const Person* p = directory().find(person);
    roles_ = p ? p->roles : Roles{};
    person_ = std::move(person);
  }
  // Calls are made with exactly this principal.
  void act_as(std::string person, Roles roles) {
    person_ = std::move(person);
    roles_ = roles;
  }
  // Calls are made by a local operator of the tenant (the default): a tenant admin's rights.
  void act_as_operator() { act_as({}, Roles{Role::kOperator}); }

  // --- detail::HostContext ---
  v1::Status serve_binding(detail::MethodBinding binding) noexcept override {
    return guarded([&] {
      if (!in_start_ && instance_) fail("serve() only in start()");
      if (!binding.method || !binding.handler) fail("a method binding without rpc or handler");
      if (!manifest_.service || binding.method->service()->full_name() != manifest_.service)
        fail("serves " + binding.method->full_name() + ", not an rpc of its declared service");
      if (!methods_.emplace(binding.method->name(), std::move(binding)).second)
        fail("method served twice");
    });
  }
  v1::Status publish_message(std::string_view topic,
                             const google::protobuf::Message& message) noexcept override {
    return guarded([&] {
      check_own_topic(topic);
      PublishedEvent e{std::string(topic), tenant_, {}};
      e.payload.PackFrom(message);
      published_.push_back(std::move(e));
    });
  }
  v1::Status subscribe_events(std::string_view prefix,
                              detail::EventHandler handler) noexcept override {
    return guarded([&] { subscriptions_.emplace_back(std::string(prefix), std::move(handler)); });
  }
  const ConfigSection& config() const noexcept override { return config_; }
  std::shared_ptr<spdlog::logger> logger() const noexcept override { return logger_; }
  std::string_view name() const noexcept override { return manifest_.name; }
  Store& store() noexcept override { return store_; }
  const PeopleDirectory& people() noexcept override { return people_[tenant_]; }
  std::int64_t now_ms() const noexcept override { return now_ms_; }
  v1::Status schedule_message(std::int64_t due_ms, std::string_view topic,
                              const google::protobuf::Message& message,
                              const ScheduleOptions& options, std::int64_t& id) noexcept override {
    return guarded([&] {
      check_own_topic(topic);
      ScheduledEntry e;
      e.id = id = static_cast<std::int64_t>(scheduled_.size()) + 1;
      e.topic = topic;
      e.tenant = tenant_;
      e.due_ms = due_ms;
      e.payload.PackFrom(message);
      e.announce = options.announce;
      scheduled_.push_back(std::move(e));
    });
  }
  v1::Status cancel_scheduled(std::int64_t id, bool& cancelled) noexcept override {
    cancelled = false;
    for (auto& e : scheduled_) {
      if (e.id == id && e.tenant == tenant_ && e.state == ScheduledEntry::State::kPending) {
        e.state = ScheduledEntry::State::kCancelled;
        cancelled = true;
      }
    }
    return {};
  }
  v1::Status handle_due_binding(std::string_view prefix,
                                detail::DueHandler handler) noexcept override {
    return guarded([&] { due_handlers_.emplace_back(std::string(prefix), std::move(handler)); });
  }

 private:
  static Config to_config(
      std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
    Config out;
    for (const auto& [key, value] : values) out.emplace(key, value);
    return out;
  }

  v1::Status deliver_due(const ScheduledEntry& e) {
    v1::Status status;
    const std::string tenant = tenant_;
    set_tenant(e.tenant);
    const DueEntry due{e.id, e.topic, e.tenant, e.due_ms, e.attempts + 1, e.payload};
    bool handled = false;
    for (auto& [prefix, handler] : due_handlers_) {
      if (!e.topic.starts_with(prefix)) continue;
      handler(due, status);
      handled = true;
      break;
    }
    set_tenant(tenant);
    if (!handled) {
      status.set_code(v1::STATUS_CODE_UNKNOWN_METHOD);
      status.set_message("no due handler for '" + e.topic + "'");
    }
    return status;
  }

  void check_own_topic(std::string_view topic) const {
    const std::string_view own = manifest_.name;
    if (topic.size() <= own.size() || !topic.starts_with(own) || topic[own.size()] != '.')
      fail("topic '" + std::string(topic) + "' must be '" + std::string(own) + ".<event>'");
  }
  [[noreturn]] static void fail(const std::string& why) {
    throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, why);
  }
  template <typename Fn>
  static v1::Status guarded(Fn&& fn) noexcept {
    v1::Status status;
    capture_status(status, fn, v1::STATUS_CODE_INTERNAL);
    return status;
  }

  const PluginManifest& manifest_;
  ConfigSection config_;
  std::shared_ptr<spdlog::logger> logger_;
  PluginContext context_;
  MemoryStore store_;
  std::string tenant_ = "default";
  std::map<std::string, PeopleDirectory, std::less<>> people_;
  std::string person_;
  Roles roles_{Role::kOperator};
  std::int64_t now_ms_ = 1'767'603'600'000;  // 2026-01-05T09:00:00Z, a Monday
  std::unique_ptr<detail::PluginInstance> instance_;
  bool in_start_ = false;
  std::uint64_t calls_ = 0;
  std::map<std::string, detail::MethodBinding, std::less<>> methods_;
  std::vector<std::pair<std::string, detail::EventHandler>> subscriptions_;
  std::vector<std::pair<std::string, detail::DueHandler>> due_handlers_;
  std::vector<PublishedEvent> published_;
  std::vector<ScheduledEntry> scheduled_;
};

}  // namespace coach::testing
