// SPDX-License-Identifier: Apache-2.0
// The people of a tenant as every plugin sees them: who they are, their team, their roles, and
// who coaches or manages whom. coachd keeps one directory per tenant (imported from an HR export
// with `coachctl people import`); a plugin reads the current tenant's through
// PluginContext::people(). The principal of a request (RequestContext::person and roles) is
// resolved against the same directory.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace coach {

// What a principal may be; a person can hold several.
enum class Role : std::uint32_t {
  kSalesperson = 1u << 0,
  kCoach = 1u << 1,
  kManager = 1u << 2,
  kServiceAgent = 1u << 3,
  kTenantAdmin = 1u << 4,
  // A tool acting for the tenant (a help desk, a CRM): reaches only the methods its role allows.
  kIntegration = 1u << 5,
  // A local caller on coachd's ipc socket: the tenant's operator, with a tenant admin's rights.
  kOperator = 1u << 6,
  // A gateway's key stating no person: the gateway itself (resolving tokens, descriptors).
  kGateway = 1u << 7,
};

// A set of roles.
class Roles {
 public:
  constexpr Roles() = default;
  constexpr explicit Roles(std::uint32_t bits) : bits_(bits) {}
  constexpr Roles(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= static_cast<std::uint32_t>(r);
  }
  constexpr bool has(Role r) const { return (bits_ & static_cast<std::uint32_t>(r)) != 0; }
  constexpr bool any() const { return bits_ != 0; }
  constexpr std::uint32_t bits() const { return bits_; }
  constexpr Roles& add(Role r) {
    bits_ |= static_cast<std::uint32_t>(r);
    return *this;
  }
  friend constexpr bool operator==(Roles, Roles) = default;

 private:
  std::uint32_t bits_ = 0;
};

// The names roles have in config, imports and messages, in Role's bit order.
inline constexpr std::string_view kRoleNames[] = {"salesperson",   "coach",        "manager",
                                                  "service_agent", "tenant_admin", "integration",
                                                  "operator",      "gateway"};

inline std::optional<Role> role_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(1u << i);
  }
  return std::nullopt;
}

// "salesperson,coach".
inline std::string role_names(Roles roles) {
  std::string out;
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (!roles.has(static_cast<Role>(1u << i))) continue;
    if (!out.empty()) out += ',';
    out += kRoleNames[i];
  }
  return out;
}

struct Person {
  std::string id;
  std::string name;  // as people read it; the id when the export had none
  std::string email;
  std::string team;
  Roles roles;
  std::string coach;    // the id of the person who coaches them, or empty
  std::string manager;  // the id of their manager, or empty

  friend bool operator==(const Person&, const Person&) = default;
};

// One tenant's people with the indexes the visibility rules ask for. A value: coachd hands
// plugins an immutable snapshot, replaced as a whole when the directory changes.
class PeopleDirectory {
 public:
  // Adds or replaces a person, keeping the indexes right.
  void put(Person person) {
    erase(person.id);
    index(person, true);
    std::string id = person.id;
    people_.emplace(std::move(id), std::move(person));
  }
  bool erase(std::string_view id) {
    auto it = people_.find(id);
    if (it == people_.end()) return false;
    index(it->second, false);
    people_.erase(it);
    return true;
  }

  const Person* find(std::string_view id) const {
    auto it = people_.find(id);
    return it == people_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return people_.size(); }
  const std::map<std::string, Person, std::less<>>& all() const { return people_; }

  // The ids of a team's members, of the people someone coaches, of someone's reports; sorted.
  const std::set<std::string>& team(std::string_view team) const { return lookup(teams_, team); }
  const std::set<std::string>& coachees(std::string_view coach) const {
    return lookup(coachees_, coach);
  }
  const std::set<std::string>& reports(std::string_view manager) const {
    return lookup(reports_, manager);
  }

  bool coaches(std::string_view coach, std::string_view person) const {
    const Person* p = find(person);
    return p && !coach.empty() && p->coach == coach;
  }
  bool manages(std::string_view manager, std::string_view person) const {
    const Person* p = find(person);
    return p && !manager.empty() && p->manager == manager;
  }
  // A manager leads a team when someone in it reports to them.
  bool manages_team(std::string_view manager, std::string_view team_id) const {
    for (const auto& id : team(team_id)) {
      if (manages(manager, id)) return true;
    }
    return false;
  }
  // A coach works with a team when they coach someone in it.
  bool coaches_in_team(std::string_view coach, std::string_view team_id) const {
    for (const auto& id : team(team_id)) {
      if (coaches(coach, id)) return true;
    }
    return false;
  }

 private:
  using Index = std::map<std::string, std::set<std::string>, std::less<>>;

  static const std::set<std::string>& lookup(const Index& index, std::string_view key) {
    static const std::set<std::string> kNone;
    auto it = index.find(key);
    return it == index.end() ? kNone : it->second;
  }
  void index(const Person& p, bool add) {
    for (auto [idx, key] : {std::pair{&teams_, &p.team}, std::pair{&coachees_, &p.coach},
                            std::pair{&reports_, &p.manager}}) {
      if (key->empty()) continue;
      if (add) {
        (*idx)[*key].insert(p.id);
      } else if (auto it = idx->find(*key); it != idx->end()) {
        it->second.erase(p.id);
        if (it->second.empty()) idx->erase(it);
      }
    }
  }

  std::map<std::string, Person, std::less<>> people_;
  Index teams_;
  Index coachees_;
  Index reports_;
};

}  // namespace coach
