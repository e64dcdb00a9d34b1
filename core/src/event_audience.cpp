// SPDX-License-Identifier: Apache-2.0
#include "event_audience.hpp"

#include <algorithm>

#include "coach/v1/options.pb.h"

namespace coach::core {

namespace {

namespace pb = google::protobuf;

bool is_person_field(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_STRING &&
         field.options().GetExtension(v1::person);
}

void collect(const pb::Message& message, EventAudience& out, int depth) {
  if (depth > 8) return;  // annotations sit near the top; recursive types stop here
  const auto* descriptor = message.GetDescriptor();
  if (descriptor->options().GetExtension(v1::service_desk)) out.service_desk = true;
  const auto* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (is_person_field(*field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i)
          out.people.push_back(reflection->GetRepeatedString(message, field, i));
      } else {
        out.people.push_back(reflection->GetString(message, field));
      }
    } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i)
          collect(reflection->GetRepeatedMessage(message, field, i), out, depth + 1);
      } else {
        collect(reflection->GetMessage(message, field), out, depth + 1);
      }
    }
  }
}

}  // namespace

EventAudience EventAudience::of(const pb::Message& event) {
  EventAudience out;
  collect(event, out, 0);
  std::sort(out.people.begin(), out.people.end());
  out.people.erase(std::unique(out.people.begin(), out.people.end()), out.people.end());
  std::erase(out.people, std::string());
  return out;
}

bool Viewer::may_see(const EventAudience& audience) const {
  if (admin || (service_desk && audience.service_desk)) return true;
  for (const auto& p : audience.people)
    if (std::binary_search(people.begin(), people.end(), p)) return true;
  return false;
}

Viewer viewer_of(const Access& access, const PeopleDirectory& directory) {
  Viewer v;
  v.admin = access.admin();
  v.service_desk = access.service_desk();
  const auto me = access.person();
  if (!me.empty()) v.people.emplace_back(me);
  for (const auto& id : directory.coachees(me))
    if (access.coach_of(id)) v.people.push_back(id);
  std::sort(v.people.begin(), v.people.end());
  v.people.erase(std::unique(v.people.begin(), v.people.end()), v.people.end());
  return v;
}

}  // namespace coach::core
