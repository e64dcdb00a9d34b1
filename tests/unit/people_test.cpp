// SPDX-License-Identifier: Apache-2.0
// The people directory's pure parts: import parsing and applying, the visibility rules, and who
// a connection is.
#include <gtest/gtest.h>

#include "coach/access.hpp"
#include "people_import.hpp"
#include "principal_resolver.hpp"

namespace coach::core {
namespace {

v1::ImportPeopleRequest request(std::string format, std::string text) {
  v1::ImportPeopleRequest r;
  r.set_format(std::move(format));
  r.set_text(std::move(text));
  return r;
}

TEST(PeopleImport, CsvAndJsonLinesGiveTheSamePeopleAndBadLinesAreNumbered) {
  auto csv = parse_people(request("csv",
                                  "id,name,team,roles,coach,manager\n"
                                  "cora,Cora,east,coach;manager,,\n"
                                  "\n"
                                  "ana,\"Ruiz, Ana\",east,salesperson,cora,cora\n"
                                  "bad,Bad,east,wizard,,\n"
                                  "short,Short\n"));
  EXPECT_EQ(csv.lines, 4u);
  ASSERT_EQ(csv.people.size(), 2u);
  EXPECT_EQ(csv.people[1].person.name, "Ruiz, Ana");
  EXPECT_EQ(csv.people[1].line, 4u);
  EXPECT_TRUE(csv.people[0].person.roles.has(Role::kManager));
  ASSERT_EQ(csv.errors.size(), 2u);
  EXPECT_EQ(csv.errors[0].line(), 5u);
  EXPECT_NE(csv.errors[0].message().find("wizard"), std::string::npos);
  EXPECT_EQ(csv.errors[1].line(), 6u);
  auto jsonl = parse_people(request(
      "jsonl",
      R"({"id":"cora","name":"Cora","team":"east","roles":["coach","manager"]})"
      "\n"
      R"({"id":"ana","name":"Ruiz, Ana","team":"east","roles":["salesperson"],"coach":"cora","manager":"cora"})"
      "\n{not json\n"));
  ASSERT_EQ(jsonl.people.size(), 2u);
  EXPECT_EQ(jsonl.people[1].person, csv.people[1].person);
  ASSERT_EQ(jsonl.errors.size(), 1u);
  EXPECT_EQ(jsonl.errors[0].line(), 3u);
  // A chunk of a larger file keeps the file's line numbers and its header.
  auto chunk = request("csv", "bad,Bad,east,wizard,,\n");
  chunk.set_csv_header("id,name,team,roles,coach,manager");
  chunk.set_first_line(1001);
  EXPECT_EQ(parse_people(chunk).errors.at(0).line(), 1001u);
  EXPECT_EQ(parse_people(request("csv", "id,nmae\n")).errors.at(0).line(), 1u);
}

TEST(PeopleImport, ApplyingIsIdempotentAndRefusesUnknownCoaches) {
  PeopleDirectory dir;
  auto parsed = parse_people(request("csv",
                                     "id,team,roles,coach\n"
                                     "ana,east,salesperson,cora\n"
                                     "cora,east,coach,\n"
                                     "ben,east,salesperson,nobody\n"));
  auto applied = apply_people(dir, parsed);
  EXPECT_EQ(applied.added, 2u);  // ana's coach comes later in the file: still fine
  EXPECT_EQ(dir.size(), 2u);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].line(), 4u);
  EXPECT_EQ(dir.find("ben"), nullptr);
  EXPECT_TRUE(dir.coaches("cora", "ana"));
  EXPECT_EQ(dir.team("east").size(), 2u);

  auto again = parse_people(request("csv", "id,team,roles,coach\nana,east,salesperson,cora\n"));
  EXPECT_EQ(apply_people(dir, again).unchanged, 1u);
  auto moved = parse_people(request("csv", "id,team,roles,coach\nana,west,salesperson,cora\n"));
  auto m = apply_people(dir, moved);
  EXPECT_EQ(m.updated, 1u);
  EXPECT_EQ(dir.team("east").size(), 1u);
  EXPECT_EQ(dir.team("west").size(), 1u);
}

TEST(Access, TheRulesFollowTheDirectory) {
  PeopleDirectory dir;
  dir.put({"max", "Max", "", "east", Roles{Role::kManager}, "", ""});
  dir.put({"cora", "Cora", "", "east", Roles{Role::kCoach}, "", "max"});
  dir.put({"ana", "Ana", "", "east", Roles{Role::kSalesperson}, "cora", "max"});
  dir.put({"ben", "Ben", "", "west", Roles{Role::kSalesperson}, "", ""});
  auto as = [&](std::string_view person) {
    const Person* p = dir.find(person);
    return RequestContext{"t", "m", "x", {}, person, p ? p->roles : Roles{}};
  };
  const auto ana = as("ana"), cora = as("cora"), max = as("max"), ben = as("ben");
  EXPECT_TRUE(Access(ana, dir).own_or_coach("ana"));
  EXPECT_TRUE(Access(cora, dir).own_or_coach("ana"));
  EXPECT_FALSE(Access(max, dir).own_or_coach("ana"));
  EXPECT_TRUE(Access(max, dir).own_coach_or_manager("ana"));
  EXPECT_FALSE(Access(ben, dir).own_coach_or_manager("ana"));
  EXPECT_TRUE(Access(max, dir).team_lead("east"));
  EXPECT_FALSE(Access(max, dir).team_lead("west"));
  EXPECT_FALSE(Access(ana, dir).team_lead("east"));
  // A coach role without coaching anyone in the team leads nothing there.
  EXPECT_FALSE(Access(cora, dir).team_lead("west"));
  try {
    Access(ben, dir).require(false, "the pulse answers", "ana");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_PERMISSION_DENIED);
    EXPECT_NE(std::string(e.what()).find("person 'ben' (salesperson)"), std::string::npos);
  }
}

TEST(PrincipalResolver, FromTheConnectionNeverFromThePayload) {
  PeopleDirectories people;
  auto dir = std::make_shared<PeopleDirectory>();
  dir->put({"ana", "Ana", "", "east", Roles{Role::kSalesperson}, "", ""});
  people.replace("acme", dir);
  DaemonConfig cfg;
  cfg.bus.tenant = "acme";
  cfg.tenants = {{"acme", true, {}, 0}, {"globex", true, {}, 0}};
  cfg.security.clients = {{"ana-key", "k1", "acme", "ana", false, false, ""},
                          {"gw", "k2", "", "", false, true, ""},
                          {"globex-ops", "k3", "globex", "", true, false, ""}};
  PrincipalResolver r(people);
  r.configure(cfg);
  Principal p;
  std::string why;
  v1::Envelope env;
  env.set_tenant("globex");
  env.set_person("ana");
  EXPECT_EQ(r.resolve("ana-key", env, p, why), v1::STATUS_CODE_OK);
  EXPECT_EQ(p.tenant, "acme");
  EXPECT_EQ(p.person, "ana");
  EXPECT_EQ(r.resolve(nullptr, env, p, why), v1::STATUS_CODE_OK);  // local: tenant ignored
  EXPECT_EQ(p.tenant, "acme");
  EXPECT_TRUE(p.roles.has(Role::kSalesperson));
  EXPECT_EQ(r.resolve("gw", env, p, why), v1::STATUS_CODE_UNAUTHENTICATED);  // no ana in globex
  env.set_tenant("acme");
  EXPECT_EQ(r.resolve("gw", env, p, why), v1::STATUS_CODE_OK);
  env.clear_person();
  EXPECT_EQ(r.resolve("globex-ops", env, p, why), v1::STATUS_CODE_OK);
  EXPECT_EQ(p.tenant, "globex");
  EXPECT_TRUE(p.roles.has(Role::kOperator));
  EXPECT_EQ(r.resolve("removed-key", env, p, why), v1::STATUS_CODE_UNAUTHENTICATED);
  EXPECT_EQ(r.event_tenant("gw"), std::string());
  EXPECT_EQ(r.event_tenant("ana-key"), std::string("acme"));
  EXPECT_EQ(r.event_tenant("removed-key"), std::nullopt);
}

}  // namespace
}  // namespace coach::core
