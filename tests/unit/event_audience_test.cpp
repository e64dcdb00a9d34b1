// SPDX-License-Identifier: Apache-2.0
// Who sees an event: read from the annotations of its message, generated or dynamic (the gateway
// has no generated code of plugins' messages, only the descriptors coachd serves).
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>

#include "event_audience.hpp"
#include "fixtures.pb.h"

namespace coach::core {
namespace {

test::AudienceEvent sample() {
  test::AudienceEvent e;
  e.set_salesperson_id("ana");
  e.set_account_id("acme");  // not a person
  e.mutable_note()->set_person_id("ben");
  e.add_notes()->set_person_id("cy");
  e.add_notes()->set_person_id("ana");
  e.add_watchers("dee");
  return e;
}

TEST(EventAudience, PeopleFromAnnotatedFieldsAtAnyDepth) {
  const auto audience = EventAudience::of(sample());
  EXPECT_EQ(audience.people, (std::vector<std::string>{"ana", "ben", "cy", "dee"}));
  EXPECT_TRUE(audience.service_desk);
}

TEST(EventAudience, UnmarkedFieldsNameNobody) {
  test::UnmarkedEvent e;
  e.set_person_id("ana");
  const auto audience = EventAudience::of(e);
  EXPECT_TRUE(audience.people.empty());
  EXPECT_FALSE(audience.service_desk);
}

TEST(EventAudience, AnnotationsSurviveADescriptorPoolBuiltFromTheWire) {
  // As the gateway does: the files as coachd sends them, built into a pool of its own.
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::FileDescriptor*> order;
  std::function<void(const google::protobuf::FileDescriptor*)> add =
      [&](const google::protobuf::FileDescriptor* f) {
        for (int i = 0; i < f->dependency_count(); ++i) add(f->dependency(i));
        if (pool.FindFileByName(f->name())) return;
        google::protobuf::FileDescriptorProto proto;
        f->CopyTo(&proto);
        google::protobuf::FileDescriptorProto wire;
        ASSERT_TRUE(wire.ParseFromString(proto.SerializeAsString()));
        ASSERT_NE(pool.BuildFile(wire), nullptr) << f->name();
      };
  add(test::AudienceEvent::descriptor()->file());
  const auto* type = pool.FindMessageTypeByName("coach.test.AudienceEvent");
  ASSERT_NE(type, nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<google::protobuf::Message> dynamic(factory.GetPrototype(type)->New());
  ASSERT_TRUE(dynamic->ParseFromString(sample().SerializeAsString()));
  const auto audience = EventAudience::of(*dynamic);
  EXPECT_EQ(audience.people, (std::vector<std::string>{"ana", "ben", "cy", "dee"}));
  EXPECT_TRUE(audience.service_desk);
}

Viewer viewer(std::string_view person, Roles roles, const PeopleDirectory& directory) {
  RequestContext rc;
  rc.person = person;
  rc.roles = roles;
  return viewer_of(Access(rc, directory), directory);
}

TEST(EventAudience, ViewersSeeTheirOwnTheirCoacheesAndTheirDesk) {
  PeopleDirectory directory;
  directory.put({"ana", "Ana", "", "east", Roles{Role::kSalesperson}, "cora", "max"});
  directory.put({"cora", "Cora", "", "east", Roles{Role::kCoach}, "", ""});
  directory.put({"max", "Max", "", "east", Roles{Role::kManager}, "", ""});
  directory.put({"sam", "Sam", "", "desk", Roles{Role::kServiceAgent}, "", ""});
  EventAudience about_ana{{"ana"}, false};
  EventAudience desk_about_ana{{"ana"}, true};
  EventAudience nobody{{}, false};

  EXPECT_TRUE(viewer("ana", Roles{Role::kSalesperson}, directory).may_see(about_ana));
  EXPECT_TRUE(viewer("cora", Roles{Role::kCoach}, directory).may_see(about_ana));
  // A manager sees aggregates, not a person's own events (pulse answers among them).
  EXPECT_FALSE(viewer("max", Roles{Role::kManager}, directory).may_see(about_ana));
  EXPECT_FALSE(viewer("sam", Roles{Role::kServiceAgent}, directory).may_see(about_ana));
  EXPECT_TRUE(viewer("sam", Roles{Role::kServiceAgent}, directory).may_see(desk_about_ana));
  EXPECT_FALSE(viewer("ana", Roles{Role::kSalesperson}, directory).may_see(nobody));
  EXPECT_TRUE(viewer("", Roles{Role::kOperator}, directory).may_see(nobody));
}

}  // namespace
}  // namespace coach::core
