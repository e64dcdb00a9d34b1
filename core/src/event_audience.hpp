// SPDX-License-Identifier: Apache-2.0
// EventAudience: who may see an event, read from its message's annotations (coach/v1/options.proto)
// rather than from code per plugin: the people its (coach.v1.person) fields name, at any depth,
// and whether its type is marked (coach.v1.service_desk). Works on generated and dynamic messages.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "coach/access.hpp"

namespace coach::core {

struct EventAudience {
  std::vector<std::string> people;  // sorted, unique
  bool service_desk = false;

  static EventAudience of(const google::protobuf::Message& event);
};

// What a principal may see of a tenant's events: everything (an admin), the service desk's, and
// the events about these people (themselves and the people they coach).
struct Viewer {
  bool admin = false;
  bool service_desk = false;
  std::vector<std::string> people;  // sorted

  bool may_see(const EventAudience& audience) const;
};

// What access's caller may see of events, by the rules every plugin applies to records: the
// events about themselves and the people they coach, the service desk's, all as an admin.
Viewer viewer_of(const Access& access, const PeopleDirectory& directory);

}  // namespace coach::core
