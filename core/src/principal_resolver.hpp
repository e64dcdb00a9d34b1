// SPDX-License-Identifier: Apache-2.0
// PrincipalResolver: who is asking, from how the request arrived and never from what it says.
//  - a local caller (the ipc socket; no ZAP user id) is an operator of bus.tenant; it may narrow
//    itself to a person of that tenant (Envelope.person);
//  - a CURVE client key names a tenant and a person, or is an operator key of a tenant (a local
//    operator's rights, and the same narrowing);
//  - a gateway's key states the tenant and person of each request it forwards (Envelope.tenant
//    and Envelope.person); no other key can.
// The person's roles come from the tenant's people directory. Pure lookup; used by the broker.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "coach/people.hpp"
#include "coach/v1/envelope.pb.h"
#include "config.hpp"
#include "people_directories.hpp"

namespace coach::core {

struct Principal {
  std::string tenant;
  std::string person;
  Roles roles;
};

class PrincipalResolver {
 public:
  PrincipalResolver(const PeopleDirectories& people) : people_(people) {}

  // The config's tenants, local tenant and client keys (at start and on SIGHUP).
  void configure(const DaemonConfig& config);

  // user_id: the connection's ZAP user id, nullptr for a local caller. On success fills out and
  // returns OK; otherwise the status refusing the request, with a sentence.
  v1::StatusCode resolve(const char* user_id, const v1::Envelope& request, Principal& out,
                         std::string& why) const;

  // The tenant a connection belongs to for events: empty for a gateway (every tenant), nullopt
  // for an unknown user id.
  std::optional<std::string> event_tenant(const char* user_id) const;

 private:
  v1::StatusCode operator_of(std::string_view tenant, const v1::Envelope& request, Principal& out,
                             std::string& why) const;
  // Applies the roles the request narrows to (Envelope.roles) after a successful resolution.
  static v1::StatusCode narrowed(const v1::Envelope& request, v1::StatusCode code, Principal& out);
  v1::StatusCode person_in(std::string_view tenant, std::string_view person, Principal& out,
                           std::string& why) const;

  const PeopleDirectories& people_;
  std::string local_tenant_;
  std::map<std::string, TenantConfig, std::less<>> tenants_;
  std::map<std::string, ClientKeyConfig, std::less<>> clients_;
};

}  // namespace coach::core
