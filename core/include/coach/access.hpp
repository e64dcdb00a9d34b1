// SPDX-License-Identifier: Apache-2.0
// Who may see what: the visibility rules every domain plugin applies, in one place (the README's
// "Who may see what" table is the contract; tests/security checks each of its cells).
//
//   coach::Access access(rc, ctx.people());
//   access.require(access.own_or_coach(req.person_id()), "pulse answers", req.person_id());
//
// A person sees their own records; their coach sees those of the people they coach; a manager
// sees the aggregates of the teams they lead; a tenant admin (or a local operator) sees all of
// the tenant. An integration reaches only the methods a plugin opens to its role.
#pragma once

#include <string>
#include <string_view>

#include "coach/error.hpp"
#include "coach/people.hpp"
#include "coach/plugin.hpp"

namespace coach {

class Access {
 public:
  Access(const RequestContext& rc, const PeopleDirectory& people)
      : me_(rc.person), roles_(rc.roles), people_(people) {}

  std::string_view person() const { return me_; }
  Roles roles() const { return roles_; }
  bool has(Role r) const { return roles_.has(r); }
  bool admin() const { return roles_.has(Role::kTenantAdmin) || roles_.has(Role::kOperator); }
  bool self(std::string_view person) const { return !me_.empty() && me_ == person; }
  bool coach_of(std::string_view person) const {
    return roles_.has(Role::kCoach) && people_.coaches(me_, person);
  }
  bool manager_of(std::string_view person) const {
    return roles_.has(Role::kManager) && people_.manages(me_, person);
  }

  // A person of the tenant acting as themselves (any role but integration alone), or an admin.
  bool member() const {
    return admin() || (roles_.any() && !(roles_ == Roles{Role::kIntegration}));
  }

  // Individual records (pulse answers, trust ratings, sessions): the person, their coach, admins.
  bool own_or_coach(std::string_view person) const {
    return admin() || self(person) || coach_of(person);
  }
  // A person's style profile: also their manager (the team map shows it).
  bool own_coach_or_manager(std::string_view person) const {
    return own_or_coach(person) || manager_of(person);
  }
  // Team aggregates: a manager of someone in the team, a coach of someone in it, admins.
  bool team_lead(std::string_view team) const {
    if (admin()) return true;
    return (roles_.has(Role::kManager) && people_.manages_team(me_, team)) ||
           (roles_.has(Role::kCoach) && people_.coaches_in_team(me_, team));
  }
  // Anything the tenant holds about its customers' service: service agents, integrations, admins.
  bool service_desk() const {
    return admin() || roles_.has(Role::kServiceAgent) || roles_.has(Role::kIntegration);
  }

  // Throws PERMISSION_DENIED naming who was refused what, unless allowed.
  void require(bool allowed, std::string_view what, std::string_view of = {}) const {
    if (allowed) return;
    std::string who = me_.empty() ? std::string("this caller")
                                  : "person '" + std::string(me_) + "' (" +
                                        (roles_.any() ? role_names(roles_) : "no role") + ")";
    throw Error(v1::STATUS_CODE_PERMISSION_DENIED,
                who + " may not reach " + std::string(what) +
                    (of.empty() ? std::string() : " of '" + std::string(of) + "'"));
  }

 private:
  std::string_view me_;
  Roles roles_;
  const PeopleDirectory& people_;
};

// Serves member of obj (taking const Req&) as method, after check(const Req&, const Access&) let
// the caller through: check calls Access::require, which throws PERMISSION_DENIED. Keeps who may
// call what in the plugin file, next to the wiring, and out of the service class.
template <typename Obj, typename Req, typename Resp, typename Check>
void serve_checked(PluginContext& ctx, std::string_view method, Obj& obj,
                   Resp (Obj::*member)(const Req&), Check check) {
  ctx.serve(method, [&ctx, &obj, member, check](const Req& r, const RequestContext& rc) {
    check(r, Access(rc, ctx.people()));
    return (obj.*member)(r);
  });
}

}  // namespace coach
