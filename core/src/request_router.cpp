// SPDX-License-Identifier: Apache-2.0
#include "request_router.hpp"

#include <fmt/format.h>

#include "envelope.hpp"

namespace coach::core {

std::string_view to_string(RouteState state) {
  switch (state) {
    case RouteState::kStarting:
      return "starting";
    case RouteState::kRunning:
      return "running";
    case RouteState::kStopping:
      return "stopping";
    case RouteState::kDisabled:
      return "disabled";
    case RouteState::kFailed:
      return "failed";
  }
  return "unknown";
}

RequestRouter::Decision RequestRouter::resolve(std::string_view service, std::string_view method,
                                               std::string_view payload_type_url) {
  Decision d;
  auto it = routes_.find(service);
  if (it == routes_.end()) {
    d.code = v1::STATUS_CODE_UNKNOWN_SERVICE;
    d.message = fmt::format("no plugin serves '{}'", service);
    return d;
  }
  Route& route = it->second;
  if (route.state != RouteState::kRunning && route.state != RouteState::kStarting) {
    d.code = v1::STATUS_CODE_PLUGIN_DISABLED;
    d.message = fmt::format("plugin '{}' is {}{}{}", service, to_string(route.state),
                            route.reason.empty() ? "" : ": ", route.reason);
    return d;
  }
  auto m = route.methods.find(method);
  if (m == route.methods.end()) {
    d.code = v1::STATUS_CODE_UNKNOWN_METHOD;
    d.message = fmt::format("plugin '{}' has no method '{}'", service, method);
    return d;
  }
  auto expected = m->second.request_type->full_name();
  auto got = type_name_of(payload_type_url);
  if (got != expected) {
    d.code = v1::STATUS_CODE_WRONG_PAYLOAD_TYPE;
    d.message = fmt::format("{}.{} takes {}, got {}", service, method, expected,
                            got.empty() ? std::string_view("no payload") : got);
    return d;
  }
  d.route = &route;
  return d;
}

Route& RequestRouter::upsert(const std::string& name) {
  auto [it, inserted] = routes_.try_emplace(name);
  if (inserted) it->second.name = name;
  return it->second;
}

Route* RequestRouter::find(std::string_view name) {
  auto it = routes_.find(name);
  return it == routes_.end() ? nullptr : &it->second;
}

void RequestRouter::for_each_subscriber(std::string_view topic,
                                        const std::function<void(Route&)>& fn) {
  for (auto& [name, route] : routes_) {
    if (route.state != RouteState::kRunning && route.state != RouteState::kStarting) continue;
    for (const auto& prefix : route.subscriptions) {
      if (topic.substr(0, prefix.size()) == prefix) {
        fn(route);
        break;
      }
    }
  }
}

}  // namespace coach::core
