// SPDX-License-Identifier: Apache-2.0
// The untyped ABI between coachd and a plugin library. Plugin authors never use this header:
// coach/plugin.hpp wraps it in PluginContext. coachd implements HostContext; so does
// coach/testing.hpp's TestContext. Everything here is noexcept and reports failures as a Status,
// so no exception crosses the library boundary.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "coach/abi.hpp"
#include "coach/config_section.hpp"
#include "coach/error.hpp"
#include "coach/people.hpp"
#include "coach/store.hpp"

namespace coach {

struct RequestContext;
struct Event;
struct DueEntry;
struct ScheduleOptions;

namespace detail {

// A method as the host calls it: the rpc it implements and a handler that never throws (it fills
// either reply or status).
struct MethodBinding {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::function<void(const RequestContext&, const google::protobuf::Any& request,
                     google::protobuf::Any& reply, v1::Status& status)>
      handler;
};

using EventHandler = std::function<void(const Event&)>;
// Fills status; OK marks the entry done.
using DueHandler = std::function<void(const DueEntry&, v1::Status& status)>;

class HostContext {
 public:
  virtual ~HostContext() = default;

  // Registers the handler of one rpc of the plugin's declared service. Only in start().
  virtual v1::Status serve_binding(MethodBinding binding) noexcept = 0;
  // Publishes "<plugin>.<event>" for the tenant of the request being handled.
  virtual v1::Status publish_message(std::string_view topic,
                                     const google::protobuf::Message& message) noexcept = 0;
  // Delivers every event whose topic starts with prefix. Only in start().
  virtual v1::Status subscribe_events(std::string_view prefix, EventHandler handler) noexcept = 0;
  virtual const ConfigSection& config() const noexcept = 0;
  virtual std::shared_ptr<spdlog::logger> logger() const noexcept = 0;
  virtual std::string_view name() const noexcept = 0;
  // Scoped to this plugin and the current tenant.
  virtual Store& store() noexcept = 0;
  // The current tenant's people; the reference stays valid until the handler returns.
  virtual const PeopleDirectory& people() noexcept = 0;
  virtual std::int64_t now_ms() const noexcept = 0;
  virtual v1::Status schedule_message(std::int64_t due_ms, std::string_view topic,
                                      const google::protobuf::Message& message,
                                      const ScheduleOptions& options,
                                      std::int64_t& id) noexcept = 0;
  virtual v1::Status cancel_scheduled(std::int64_t id, bool& cancelled) noexcept = 0;
  // Delivers this plugin's due entries whose topic starts with prefix. Only in start().
  virtual v1::Status handle_due_binding(std::string_view prefix, DueHandler handler) noexcept = 0;
};

// The host's view of a plugin object.
class PluginInstance {
 public:
  virtual ~PluginInstance() = default;
  // Constructs the plugin and runs its start(). On failure returns false with error set.
  virtual bool start(HostContext& host, std::string& error) noexcept = 0;
  // Runs the plugin's stop() and destroys it. On failure sets error; the plugin is gone anyway.
  virtual void stop(std::string& error) noexcept = 0;
};

// The rpc `method` of the service named `service` in protobuf's generated pool, or an error
// sentence. One check for the daemon and the test context.
inline const google::protobuf::MethodDescriptor* find_rpc(const char* service,
                                                          std::string_view plugin,
                                                          std::string_view method,
                                                          std::string& error) {
  if (service == nullptr || *service == '\0') {
    error = "plugin " + std::string(plugin) + " serves '" + std::string(method) +
            "' but its manifest declares no service";
    return nullptr;
  }
  const auto* s = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (s == nullptr) {
    error = "plugin " + std::string(plugin) + " declares service " + service +
            ", which no .proto compiled into it defines";
    return nullptr;
  }
  const auto* m = s->FindMethodByName(std::string(method));
  if (m == nullptr) {
    error = "plugin " + std::string(plugin) + " serves '" + std::string(method) +
            "', which its service " + service + " does not declare";
  }
  return m;
}

// Empty when every rpc of the plugin's service has a handler; otherwise the sentence refusing it.
inline std::string unserved_rpcs(const char* service, std::string_view plugin,
                                 const std::set<std::string, std::less<>>& served) {
  if (service == nullptr || *service == '\0') return {};
  const auto* s = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (s == nullptr) {
    return "plugin " + std::string(plugin) + " declares service " + service +
           ", which no .proto compiled into it defines";
  }
  std::string missing;
  for (int i = 0; i < s->method_count(); ++i) {
    if (!served.count(s->method(i)->name()))
      missing += (missing.empty() ? "" : ", ") + s->method(i)->name();
  }
  if (missing.empty()) return {};
  return "plugin " + std::string(plugin) + " leaves rpc " + missing + " of service " + service +
         " without a handler";
}

}  // namespace detail
}  // namespace coach
