// SPDX-License-Identifier: Apache-2.0
// RequestRouter: the daemon's table of services. Decides where a request goes (or which status
// refuses it) and which plugins an event fans out to. Pure bookkeeping, no sockets; owned and
// used by the broker thread only.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "coach/v1/envelope.pb.h"

namespace coach::core {

enum class RouteState { kStarting, kRunning, kStopping, kDisabled, kFailed };
std::string_view to_string(RouteState state);

struct MethodRoute {
  const google::protobuf::Descriptor* request_type = nullptr;
  const google::protobuf::Descriptor* response_type = nullptr;
};

struct Route {
  std::string name;
  RouteState state = RouteState::kDisabled;
  bool internal = false;  // served by the daemon itself
  std::string reason;     // why failed or disabled
  std::string library;
  std::string version;
  std::string description;
  std::uint32_t timeout_ms = 0;
  std::map<std::string, MethodRoute, std::less<>> methods;
  // The protobuf service the methods are the rpcs of, and the plugin's own copy of its .proto
  // files with comments (a serialized FileDescriptorSet; empty when it has none).
  std::string proto_service;
  std::string descriptor_set;
  std::vector<std::string> subscriptions;
  std::uint64_t requests_total = 0;
  std::uint64_t events_dropped = 0;
};

class RequestRouter {
 public:
  struct Decision {
    Route* route = nullptr;  // set when code is OK
    v1::StatusCode code = v1::STATUS_CODE_OK;
    std::string message;
  };

  // Where a request for service/method with a payload of payload_type_url goes.
  Decision resolve(std::string_view service, std::string_view method,
                   std::string_view payload_type_url);

  // The route named name, created (disabled) if absent.
  Route& upsert(const std::string& name);
  Route* find(std::string_view name);
  const std::map<std::string, Route, std::less<>>& routes() const { return routes_; }
  std::map<std::string, Route, std::less<>>& routes() { return routes_; }

  // Calls fn for every starting or running plugin with a subscription that prefixes topic.
  void for_each_subscriber(std::string_view topic, const std::function<void(Route&)>& fn);

 private:
  std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace coach::core
