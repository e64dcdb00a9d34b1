// SPDX-License-Identifier: Apache-2.0
// The plugin SDK: everything a plugin author uses. Declare the plugin's methods as an rpc
// service in its .proto, derive from coach::Plugin, give it a static manifest() naming that
// service and its config schema, bind a handler to every rpc in start(), export it with
// COACH_PLUGIN. Unit-test it with coach/testing.hpp.
//
//   class Greeter final : public coach::Plugin {
//    public:
//     static const coach::PluginManifest& manifest();  // .service = "acme.v1.Greeter"
//     void start(coach::PluginContext& ctx) override {
//       ctx.serve("Hello", [](const HelloRequest& req) { HelloReply r; ...; return r; });
//     }
//   };
//   COACH_PLUGIN(Greeter)
//
// Lifecycle contract:
//  - The plugin object is constructed on its own thread, then start() runs on that thread. start()
//    returns promptly; if the constructor or start() throws, or an rpc of the declared service is
//    left without a handler, the plugin is marked failed, nothing it registered is kept, and the
//    daemon carries on with the others.
//  - Handlers and callbacks run one at a time on the plugin's thread, never concurrently, so a
//    plugin needs no locks for its own state. A slow handler delays only this plugin's requests.
//  - PluginContext may be used only on the plugin's thread (in start(), handlers and callbacks);
//    it lives as long as the plugin object.
//  - stop() runs on the plugin's thread after the last handler; when it returns, no thread started
//    by the plugin may still run. Then the object is destroyed.
//  - Nothing throws across the boundary: the SDK catches on the plugin's side (capture_status) and
//    replies with a status. Throw coach::Error to pick the code; any other exception is
//    HANDLER_FAILED.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "coach/abi.hpp"
#include "coach/config_section.hpp"
#include "coach/detail/host.hpp"
#include "coach/error.hpp"
#include "coach/people.hpp"
#include "coach/store.hpp"

namespace coach {

// payload as Msg, or nullopt when it is of another type or does not parse.
template <typename Msg>
std::optional<Msg> unpack_as(const google::protobuf::Any& payload) {
  Msg msg;
  if (!payload.Is<Msg>() || !payload.UnpackTo(&msg)) return std::nullopt;
  return msg;
}

// The request being handled; valid during the handler call. coachd sets the principal (tenant,
// person, roles) from the authenticated connection, never from the payload: check access against
// these, not against ids in the request (coach/access.hpp).
struct RequestContext {
  std::string_view tenant;      // whose data the request reads and writes
  std::string_view message_id;  // the caller's id, for logs
  std::string_view method;      // the rpc's name
  // When the caller stops waiting. Past it the store's reads fail with HANDLER_TIMEOUT; a handler
  // with long work of its own calls check_deadline() between steps.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // The person asking (an id in the tenant's people directory), empty for an operator or a key
  // that names no person; and the roles they hold.
  std::string_view person;
  Roles roles;

  bool expired() const { return std::chrono::steady_clock::now() >= deadline; }

  // Throws HANDLER_TIMEOUT once the deadline has passed.
  void check_deadline() const {
    if (expired()) throw Error(v1::STATUS_CODE_HANDLER_TIMEOUT, "the request's deadline passed");
  }
};

// An event delivered to a subscriber; valid during the callback.
struct Event {
  std::string_view topic;   // "<plugin>.<event>"
  std::string_view tenant;  // the tenant it happened in (also the store's scope in the callback)
  const google::protobuf::Any& payload;

  // The payload as Msg, or nullopt when it is of another type or does not parse.
  template <typename Msg>
  std::optional<Msg> as() const {
    return unpack_as<Msg>(payload);
  }
};

// A scheduled entry that came due, handed to the plugin that scheduled it; valid during the call.
struct DueEntry {
  std::int64_t id = 0;        // as schedule() returned it
  std::string_view topic;     // as scheduled
  std::string_view tenant;    // of the request that scheduled it
  std::int64_t due_ms = 0;    // when it was due (ms since the Unix epoch, daemon clock)
  std::uint32_t attempt = 1;  // 2 and up: an earlier delivery failed or was not confirmed
  const google::protobuf::Any& payload;

  template <typename Msg>
  std::optional<Msg> as() const {
    return unpack_as<Msg>(payload);
  }
};

struct ScheduleOptions {
  // After the plugin's due handler succeeded, also publish the message as an event on its topic.
  bool announce = false;
};

namespace detail {
// Request and reply types of a handler: a callable, or a pointer to a member function, taking
// (const Req&) or (const Req&, const RequestContext&) and returning Resp.
template <typename T>
struct handler_traits : handler_traits<decltype(&T::operator())> {};
template <typename R, typename C, typename A, typename... Rest>
struct handler_traits<R (C::*)(A, Rest...)> {
  using request = std::remove_cvref_t<A>;
  using reply = R;
};
template <typename R, typename C, typename A, typename... Rest>
struct handler_traits<R (C::*)(A, Rest...) const> : handler_traits<R (C::*)(A, Rest...)> {};
}  // namespace detail

// What a plugin reaches the daemon through. Every member throws coach::Error on failure.
class PluginContext {
 public:
  PluginContext(detail::HostContext& host, const PluginManifest& manifest)
      : host_(host), service_(manifest.service) {}
  PluginContext(const PluginContext&) = delete;
  PluginContext& operator=(const PluginContext&) = delete;

  // Binds fn to the rpc `method` of the plugin's service; fn takes (const Req&) or
  // (const Req&, const RequestContext&), returns Resp, and Req/Resp must be the rpc's types.
  // Only in start().
  template <typename Fn>
  void serve(std::string_view method, Fn fn) {
    using Traits = detail::handler_traits<Fn>;
    bind<typename Traits::request, typename Traits::reply>(method, std::move(fn));
  }
  // Binds a member function of obj (which must outlive the plugin's handlers) to `method`.
  template <typename Obj, typename MemberFn>
  void serve(std::string_view method, Obj& obj, MemberFn member) {
    using Req = typename detail::handler_traits<MemberFn>::request;
    using Resp = typename detail::handler_traits<MemberFn>::reply;
    bind<Req, Resp>(method, [&obj, member](const Req& req, const RequestContext& rc) -> Resp {
      if constexpr (std::is_invocable_v<MemberFn, Obj&, const Req&, const RequestContext&>) {
        return (obj.*member)(req, rc);
      } else {
        return (obj.*member)(req);
      }
    });
  }

  // Delivers every event whose topic starts with prefix to fn(const Event&), from any plugin.
  // Only in start(); in place before the daemon reports ready. An exception from fn is logged.
  template <typename Fn>
  void subscribe(std::string_view prefix, Fn fn) {
    auto log = logger();
    check(host_.subscribe_events(prefix, [fn = std::move(fn), log](const Event& event) {
      v1::Status status;
      capture_status(status, [&] { fn(event); });
      if (status.code() != v1::STATUS_CODE_OK && log)
        log->error("event {}: subscriber failed: {}", event.topic, status.message());
    }));
  }

  // Publishes message as "<plugin>.<event>" for the tenant of the request being handled.
  void publish(std::string_view topic, const google::protobuf::Message& message) {
    check(host_.publish_message(topic, message));
  }

  // The plugin's durable key-value store, scoped to this plugin and the current tenant.
  Store& store() { return host_.store(); }
  // The current tenant's people directory, as of the start of the handler or callback.
  const PeopleDirectory& people() { return host_.people(); }

  // Stores message to come due at when on topic "<plugin>.<name>"; returns once durable, with the
  // entry's id. At least once, it goes to the on_due handler whose prefix matches.
  std::int64_t schedule(std::chrono::system_clock::time_point when, std::string_view topic,
                        const google::protobuf::Message& message, ScheduleOptions options = {}) {
    std::int64_t id = 0;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
    check(host_.schedule_message(ms.count(), topic, message, options, id));
    return id;
  }
  // True when a pending entry was cancelled; false when it had fired, was cancelled, or is unknown.
  bool cancel(std::int64_t id) {
    bool cancelled = false;
    check(host_.cancel_scheduled(id, cancelled));
    return cancelled;
  }
  // Handles this plugin's due entries whose topic starts with prefix with fn(const DueEntry&).
  // An exception leaves the entry pending; it is retried with backoff. Only in start().
  template <typename Fn>
  void on_due(std::string_view prefix, Fn fn) {
    check(host_.handle_due_binding(prefix,
                                   [fn = std::move(fn)](const DueEntry& due, v1::Status& status) {
                                     capture_status(status, [&] { fn(due); });
                                   }));
  }

  // The plugin's config section, validated against its schema, defaults filled in.
  const ConfigSection& config() const { return host_.config(); }
  // A logger named after the plugin, writing to the daemon's sinks.
  std::shared_ptr<spdlog::logger> logger() const { return host_.logger(); }
  // The plugin's name as loaded.
  std::string_view name() const { return host_.name(); }
  // The daemon's clock (a test deployment or coach/testing.hpp can move it).
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms()));
  }
  std::int64_t now_ms() const { return host_.now_ms(); }

 private:
  template <typename Req, typename Resp, typename Fn>
  void bind(std::string_view method, Fn fn) {
    static_assert(std::is_base_of_v<google::protobuf::Message, Req>, "request is not a message");
    static_assert(std::is_base_of_v<google::protobuf::Message, Resp>, "reply is not a message");
    std::string error;
    detail::MethodBinding binding;
    binding.method = detail::find_rpc(service_, host_.name(), method, error);
    if (!binding.method) throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, error);
    if (binding.method->input_type() != Req::descriptor() ||
        binding.method->output_type() != Resp::descriptor()) {
      throw Error(v1::STATUS_CODE_INVALID_ARGUMENT,
                  "handler of " + binding.method->full_name() + " takes " +
                      Req::descriptor()->full_name() + " and returns " +
                      Resp::descriptor()->full_name() + "; the rpc declares " +
                      binding.method->input_type()->full_name() + " and " +
                      binding.method->output_type()->full_name());
    }
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
        if constexpr (std::is_invocable_v<Fn&, const Req&, const RequestContext&>) {
          reply.PackFrom(fn(req, rc));
        } else {
          reply.PackFrom(fn(req));
        }
      });
    };
    check(host_.serve_binding(std::move(binding)));
  }

  static void check(const v1::Status& status) {
    if (status.code() != v1::STATUS_CODE_OK) throw Error(status.code(), status.message());
  }

  detail::HostContext& host_;
  const char* service_;
};

// What a plugin author implements. See the lifecycle contract at the top of this file.
class Plugin {
 public:
  virtual ~Plugin() = default;
  // Binds handlers, subscriptions and due handlers; reads config. Runs once, on the plugin thread.
  virtual void start(PluginContext& ctx) = 0;
  // Releases what start() acquired; the last call the plugin gets.
  virtual void stop() {}
};

}  // namespace coach

#include "coach/detail/plugin_entry.hpp"

// Exports a plugin class: a coach::Plugin, default-constructible, with a static
// `const coach::PluginManifest& manifest()`. Use once per plugin library.
#define COACH_PLUGIN(PluginClass) COACH_DETAIL_PLUGIN_ENTRY(PluginClass, ::coach::kAbiVersion)
