// SPDX-License-Identifier: Apache-2.0
#include "principal_resolver.hpp"

#include <fmt/format.h>

namespace coach::core {

void PrincipalResolver::configure(const DaemonConfig& config) {
  local_tenant_ = config.bus.tenant;
  tenants_.clear();
  for (const auto& t : config.tenants) tenants_.emplace(t.name, t);
  clients_.clear();
  for (const auto& c : config.security.clients) clients_.emplace(c.name, c);
}

v1::StatusCode PrincipalResolver::person_in(std::string_view tenant, std::string_view person,
                                            Principal& out, std::string& why) const {
  out.tenant.assign(tenant);
  out.person.assign(person);
  const auto directory = people_.get(tenant);
  const Person* p = directory->find(person);
  if (!p) {
    why = fmt::format("person '{}' is not in tenant '{}''s people directory", person, tenant);
    return v1::STATUS_CODE_UNAUTHENTICATED;
  }
  out.roles = p->roles;
  return v1::STATUS_CODE_OK;
}

v1::StatusCode PrincipalResolver::narrowed(const v1::Envelope& request, v1::StatusCode code,
                                           Principal& out) {
  if (code != v1::STATUS_CODE_OK || request.roles().empty()) return code;
  Roles keep;
  for (const auto& name : request.roles()) {
    if (auto role = role_from_name(name)) keep.add(*role);
  }
  out.roles = Roles(out.roles.bits() & keep.bits());
  return code;
}

v1::StatusCode PrincipalResolver::operator_of(std::string_view tenant, const v1::Envelope& request,
                                              Principal& out, std::string& why) const {
  if (request.person().empty()) {
    out.tenant.assign(tenant);
    out.person.clear();
    out.roles = Roles{Role::kOperator};
    return v1::STATUS_CODE_OK;
  }
  return narrowed(request, person_in(tenant, request.person(), out, why), out);  // to a person
}

v1::StatusCode PrincipalResolver::resolve(const char* user_id, const v1::Envelope& request,
                                          Principal& out, std::string& why) const {
  if (user_id == nullptr) return operator_of(local_tenant_, request, out, why);
  auto it = clients_.find(std::string_view(user_id));
  if (it == clients_.end()) {
    // Its key was listed when it connected and removed since (SIGHUP).
    why = fmt::format("client '{}' is no longer listed", user_id);
    return v1::STATUS_CODE_UNAUTHENTICATED;
  }
  const ClientKeyConfig& client = it->second;
  if (client.tenant_operator) return operator_of(client.tenant, request, out, why);
  if (!client.gateway) return person_in(client.tenant, client.person, out, why);
  if (!tenants_.count(request.tenant())) {
    why = request.tenant().empty()
              ? std::string("a gateway states the tenant of each request (Envelope.tenant)")
              : fmt::format("no tenant '{}'", request.tenant());
    return v1::STATUS_CODE_UNAUTHENTICATED;
  }
  if (request.person().empty()) {  // the gateway itself: tokens, health and descriptors
    out.tenant = request.tenant();
    out.person.clear();
    out.roles = Roles{Role::kGateway};
    return v1::STATUS_CODE_OK;
  }
  return narrowed(request, person_in(request.tenant(), request.person(), out, why), out);
}

std::optional<std::string> PrincipalResolver::event_tenant(const char* user_id) const {
  if (user_id == nullptr) return local_tenant_;
  auto it = clients_.find(std::string_view(user_id));
  if (it == clients_.end()) return std::nullopt;
  if (it->second.gateway) return std::string();
  return it->second.tenant;
}

}  // namespace coach::core
