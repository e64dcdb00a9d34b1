// SPDX-License-Identifier: Apache-2.0
// The plugin SDK. Start here: derive from coach::Plugin, give it a static manifest(), serve
// methods and subscribe to events in start(), and export it with COACH_PLUGIN(YourPlugin).
//
//   class Greeter final : public coach::Plugin {
//    public:
//     static const coach::PluginManifest& manifest();
//     void start(coach::PluginContext& ctx) override {
//       ctx.serve<HelloRequest, HelloReply>("Hello", [](const HelloRequest& req) { ... });
//     }
//   };
//   COACH_PLUGIN(Greeter)
//
// Lifecycle contract:
//  - The plugin object is constructed on its own thread, then start() runs on that thread. start()
//    returns promptly; if the constructor or start() throws, the plugin is marked failed, nothing
//    it registered is kept, and the daemon carries on with the others.
//  - Handlers and event callbacks run one at a time on the plugin's thread, never concurrently, so
//  a
//    plugin needs no locks for its own state. A slow handler delays only this plugin's requests.
//  - PluginContext may be used only on the plugin's thread (in start(), handlers and callbacks).
//  - stop() runs on the plugin's thread after the last handler; when it returns, no thread started
//    by the plugin may still run. Then the object is destroyed.
//  - Nothing throws across the boundary: the SDK catches on the plugin's side and replies with a
//    status. Throw coach::Error to pick the status code; any other exception is HANDLER_FAILED.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>
#include <spdlog/logger.h>
#include <boost/dll/alias.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "coach/abi.hpp"
#include "coach/config_section.hpp"
#include "coach/error.hpp"
#include "coach/store.hpp"

namespace coach {

// Who is asking: set by the daemon for each request, valid during the handler call.
struct RequestContext {
  std::string_view tenant;
  std::string_view message_id;
  std::string_view method;
  // When the caller stops waiting (the route's timeout from when the broker forwarded it). Past
  // it, the store's reads fail with HANDLER_TIMEOUT, so a handler stops instead of running on;
  // a handler with long work of its own calls check_deadline() between steps.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  bool expired() const { return std::chrono::steady_clock::now() >= deadline; }
  // Throws HANDLER_TIMEOUT once the deadline has passed.
  void check_deadline() const {
    if (expired()) throw Error(v1::STATUS_CODE_HANDLER_TIMEOUT, "the request's deadline passed");
  }
};

// payload as Msg, or nullopt when it is of another type or does not parse.
template <typename Msg>
std::optional<Msg> unpack_as(const google::protobuf::Any& payload) {
  Msg msg;
  if (!payload.Is<Msg>() || !payload.UnpackTo(&msg)) return std::nullopt;
  return msg;
}

// An event delivered to a subscriber, valid during the callback.
struct Event {
  std::string_view topic;
  std::string_view tenant;
  const google::protobuf::Any& payload;

  // The payload as Msg, or nullopt when it is of another type or does not parse.
  template <typename Msg>
  std::optional<Msg> as() const {
    return unpack_as<Msg>(payload);
  }
};

// The untyped form of a method, as the daemon calls it. The handler never throws: it fills
// either reply or status. Built by PluginContext::serve in the plugin's own module.
struct MethodBinding {
  const google::protobuf::Descriptor* request_type = nullptr;
  const google::protobuf::Descriptor* response_type = nullptr;
  std::function<void(const RequestContext&, const google::protobuf::Any& request,
                     google::protobuf::Any& reply, v1::Status& status)>
      handler;
};

using EventHandler = std::function<void(const Event&)>;

// A scheduled entry that came due, handed to the plugin that scheduled it; valid during the call.
struct DueEntry {
  std::int64_t id = 0;
  std::string_view topic;
  std::string_view tenant;
  std::int64_t due_ms = 0;    // when it was due (ms since the Unix epoch, daemon clock)
  std::uint32_t attempt = 1;  // 2 and up: an earlier delivery failed or was not confirmed
  const google::protobuf::Any& payload;

  template <typename Msg>
  std::optional<Msg> as() const {
    return unpack_as<Msg>(payload);
  }
};

// The untyped form of a due handler: fills status (OK marks the entry done).
using DueHandler = std::function<void(const DueEntry&, v1::Status& status)>;

struct ScheduleOptions {
  // After the plugin's due handler succeeded, also publish the message as an event on its topic.
  bool announce = false;
};

class PluginContext {
 public:
  virtual ~PluginContext() = default;

  // --- Implemented by the daemon. Never throw; failures come back as a non-OK status. ---

  // Registers a method. Only in start(). Fails on a duplicate or malformed name.
  virtual v1::Status serve_binding(std::string_view method, MethodBinding binding) noexcept = 0;
  // Publishes an event under "<plugin>.<event>" for the tenant of the request being handled
  // (the default tenant outside a request). Fails when the topic is not this plugin's.
  virtual v1::Status publish_message(std::string_view topic,
                                     const google::protobuf::Message& message) noexcept = 0;
  // Receives every event whose topic starts with prefix. Only in start(). Subscriptions are in
  // place before the daemon reports ready, so no event published after that is missed.
  virtual v1::Status subscribe_events(std::string_view prefix, EventHandler handler) noexcept = 0;
  // The plugin's own config section.
  virtual const ConfigSection& config() const noexcept = 0;
  // A logger named after the plugin, writing to the daemon's sinks.
  virtual std::shared_ptr<spdlog::logger> logger() const noexcept = 0;
  // The plugin's name as loaded.
  virtual std::string_view name() const noexcept = 0;
  // The plugin's durable key-value store, scoped to this plugin and the current tenant.
  virtual Store& store() noexcept = 0;
  // The daemon's clock in ms since the Unix epoch: a test deployment can advance it.
  virtual std::int64_t now_ms() const noexcept = 0;
  // Stores an entry that comes due at due_ms (daemon clock); returns once it is durable. The
  // topic is "<plugin>.<name>". When due, the entry goes to this plugin's due handler for a
  // matching prefix, at least once: it is marked done only after the handler succeeds.
  virtual v1::Status schedule_message(std::int64_t due_ms, std::string_view topic,
                                      const google::protobuf::Message& message,
                                      const ScheduleOptions& options,
                                      std::int64_t& id) noexcept = 0;
  // Cancels a pending entry of this plugin and tenant; cancelled is false if none was pending.
  virtual v1::Status cancel_scheduled(std::int64_t id, bool& cancelled) noexcept = 0;
  // Receives this plugin's due entries whose topic starts with prefix. Only in start().
  virtual v1::Status handle_due_binding(std::string_view prefix, DueHandler handler) noexcept = 0;

  // --- Typed helpers, compiled into the plugin. These throw coach::Error on failure. ---

  // Serves method with a handler taking (const Req&) or (const Req&, const RequestContext&)
  // and returning Resp.
  template <typename Req, typename Resp, typename Fn>
  void serve(std::string_view method, Fn fn) {
    static_assert(std::is_base_of_v<google::protobuf::Message, Req>);
    static_assert(std::is_base_of_v<google::protobuf::Message, Resp>);
    MethodBinding binding;
    binding.request_type = Req::descriptor();
    binding.response_type = Resp::descriptor();
    binding.handler = [fn = std::move(fn)](const RequestContext& rc,
                                           const google::protobuf::Any& request,
                                           google::protobuf::Any& reply, v1::Status& status) {
      Req req;
      if (!request.UnpackTo(&req)) {
        status.set_code(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE);
        status.set_message("payload does not parse as " + Req::descriptor()->full_name());
        return;
      }
      capture_status(status, [&] {
        Resp resp;
        if constexpr (std::is_invocable_v<Fn&, const Req&, const RequestContext&>) {
          resp = fn(req, rc);
        } else {
          resp = fn(req);
        }
        reply.PackFrom(resp);
      });
    };
    check(serve_binding(method, std::move(binding)));
  }

  void publish(std::string_view topic, const google::protobuf::Message& message) {
    check(publish_message(topic, message));
  }

  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms()));
  }

  // Schedules message on topic at when; returns the entry's id (for cancel).
  std::int64_t schedule(std::chrono::system_clock::time_point when, std::string_view topic,
                        const google::protobuf::Message& message, ScheduleOptions options = {}) {
    std::int64_t id = 0;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
    check(schedule_message(ms.count(), topic, message, options, id));
    return id;
  }

  // True when a pending entry was cancelled; false when it had fired, was cancelled, or is unknown.
  bool cancel(std::int64_t id) {
    bool cancelled = false;
    check(cancel_scheduled(id, cancelled));
    return cancelled;
  }

  // Handles due entries with a callback taking (const DueEntry&). Throwing coach::Error or any
  // exception leaves the entry pending; it is retried with backoff.
  template <typename Fn>
  void on_due(std::string_view prefix, Fn fn) {
    check(handle_due_binding(prefix, [fn = std::move(fn)](const DueEntry& due, v1::Status& status) {
      capture_status(status, [&] { fn(due); });
    }));
  }

  // Subscribes with a callback taking (const Event&). Exceptions from the callback are caught
  // here and logged by the daemon as a failed delivery.
  template <typename Fn>
  void subscribe(std::string_view prefix, Fn fn) {
    auto log = logger();
    check(subscribe_events(prefix, [fn = std::move(fn), log](const Event& event) {
      try {
        fn(event);
      } catch (const std::exception& e) {
        report_event_failure(log, event.topic, e.what());
      } catch (...) {
        report_event_failure(log, event.topic, "unknown exception");
      }
    }));
  }

 private:
  static void check(const v1::Status& status) {
    if (status.code() != v1::STATUS_CODE_OK) throw Error(status.code(), status.message());
  }
  static void report_event_failure(const std::shared_ptr<spdlog::logger>& log,
                                   std::string_view topic, const char* what) {
    if (log) log->error("event {}: subscriber failed: {}", topic, what);
  }
};

// What a plugin author implements. See the lifecycle contract at the top of this file.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual void start(PluginContext& ctx) = 0;
  virtual void stop() {}
};

// The daemon's view of a plugin object: everything noexcept, so no exception crosses.
class PluginInstance {
 public:
  virtual ~PluginInstance() = default;
  // Constructs the plugin and runs its start(). On failure returns false with error set.
  virtual bool start(PluginContext& ctx, std::string& error) noexcept = 0;
  // Runs the plugin's stop() and destroys it. On failure sets error; the plugin is gone anyway.
  virtual void stop(std::string& error) noexcept = 0;
};

namespace detail {

template <typename P>
class PluginAdapter final : public PluginInstance {
 public:
  bool start(PluginContext& ctx, std::string& error) noexcept override {
    try {
      plugin_.emplace();
      plugin_->start(ctx);
      return true;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    plugin_.reset();
    return false;
  }
  void stop(std::string& error) noexcept override {
    if (!plugin_) return;
    try {
      plugin_->stop();
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown exception";
    }
    plugin_.reset();
  }

 private:
  std::optional<P> plugin_;
};

}  // namespace detail
}  // namespace coach

// Exports a plugin class (a coach::Plugin with a static `const coach::PluginManifest& manifest()`).
// The macro defines the three plain entry points the loader looks up with Boost.DLL.
#define COACH_PLUGIN(PluginClass) COACH_PLUGIN_WITH_ABI(PluginClass, ::coach::kAbiVersion)

// Like COACH_PLUGIN with an explicit ABI version; only tests need it (to build a mismatch).
#define COACH_PLUGIN_WITH_ABI(PluginClass, AbiVersion)                       \
  static_assert(std::is_base_of_v<::coach::Plugin, PluginClass>,             \
                #PluginClass " must derive from coach::Plugin");             \
  namespace coach_plugin_entry {                                             \
  std::uint32_t abi_version() noexcept { return (AbiVersion); }              \
  const ::coach::PluginManifest* manifest() noexcept {                       \
    static const ::coach::PluginManifest m = [] {                            \
      ::coach::PluginManifest copy = PluginClass::manifest();                \
      copy.abi_version = (AbiVersion);                                       \
      return copy;                                                           \
    }();                                                                     \
    return &m;                                                               \
  }                                                                          \
  ::coach::PluginInstance* create() noexcept {                               \
    return new (std::nothrow)::coach::detail::PluginAdapter<PluginClass>();  \
  }                                                                          \
  }                                                                          \
  BOOST_DLL_ALIAS(coach_plugin_entry::abi_version, coach_plugin_abi_version) \
  BOOST_DLL_ALIAS(coach_plugin_entry::manifest, coach_plugin_manifest)       \
  BOOST_DLL_ALIAS(coach_plugin_entry::create, coach_plugin_create)
