// SPDX-License-Identifier: Apache-2.0
// Who may see what, on a running coachd with the four domain plugins: every cell of the README's
// visibility table, acted by the people it names; tenants that cannot reach each other through any
// served method; a payload that claims another principal.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "visibility_samples.hpp"

namespace coach {
namespace {

using core::BusClient;
using core::BusClientOptions;
using testing::DaemonProcess;
using namespace std::chrono_literals;

bool refused(v1::StatusCode code) { return code == v1::STATUS_CODE_PERMISSION_DENIED; }
// A sample that does not fit its method, or a principal coachd does not know, is a broken test.
bool broken(v1::StatusCode code) {
  return code == v1::STATUS_CODE_UNAUTHENTICATED || code == v1::STATUS_CODE_INVALID_ARGUMENT ||
         code == v1::STATUS_CODE_UNKNOWN_METHOD || code == v1::STATUS_CODE_WRONG_PAYLOAD_TYPE ||
         code == v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT || code == v1::STATUS_CODE_MALFORMED_FRAME;
}

TEST(Visibility, EveryCellOfTheReadmeTableHoldsOnARunningDaemon) {
  const auto rows = visibility_table();
  ASSERT_GE(rows.size(), 40u) << "README visibility table not found";
  DaemonProcess d(kPlugins, "", "info");
  d.start();
  import_people(d);
  std::map<std::string, std::unique_ptr<Caller>> as;
  for (const auto& [column, person] : kColumns)
    as[column] = std::make_unique<Caller>(d.request_endpoint(), acting(person));
  // Every method each plugin serves has a row (a new rpc without one fails here).
  Caller op(d.request_endpoint());
  auto plugins = op.call("coachd", "ListPlugins", "{}");
  v1::ListPluginsReply list;
  ASSERT_TRUE(plugins.payload().UnpackTo(&list));
  std::set<std::string> in_table;
  for (const auto& row : rows) in_table.insert(row.plugin + "." + row.method);
  for (const auto& p : list.plugins()) {
    for (const auto& m : p.methods())
      EXPECT_TRUE(in_table.count(p.name() + "." + m.name())) << p.name() << "." << m.name();
  }
  for (const char* m : {"ImportPeople", "GetPerson", "ListPeople", "RemovePerson", "GetVisibility"})
    EXPECT_TRUE(in_table.count(std::string("people.") + m)) << m;

  // A solved case for CloseCase (the table's order reopens c1 before it closes).
  for (const char* step : {R"({"case_id":"c9","account_id":"acme","salesperson_id":"ana"})",
                           R"({"case_id":"c9","agent_id":"zoe",)"}) {
    const bool open = std::string(step).find("account_id") != std::string::npos;
    auto r = op.call("service_followup", open ? "OpenCase" : "SolveCase",
                     open ? std::string(step) : std::string(step) + kRoot + "}");
    ASSERT_EQ(r.status().code(), v1::STATUS_CODE_OK) << r.status().message();
  }
  for (const auto& row : rows) {
    const std::string name = row.plugin + "." + row.method;
    ASSERT_TRUE(kSamples.count(name)) << "no sample request for " << name;
    // The admin first: the request is valid and its data exists for the others' calls.
    auto admin = as["tenant admin"]->call(row.plugin, row.method, kSamples.at(name));
    EXPECT_EQ(admin.status().code(), v1::STATUS_CODE_OK)
        << name << ": " << admin.status().message();
    for (const auto& [column, person] : kColumns) {
      const std::string want = row.cells.at(column);
      auto reply = as[column]->call(row.plugin, row.method, kSamples.at(name));
      const auto code = reply.status().code();
      EXPECT_FALSE(broken(code)) << name << " as " << person << ": " << reply.status().message();
      if (want == "yes") {
        EXPECT_FALSE(refused(code))
            << name << " as " << column << " (" << person << "): " << reply.status().message();
      } else {
        EXPECT_TRUE(refused(code)) << name << " as " << column << " (" << person
                                   << ") was not refused: " << core::status_name(code);
        EXPECT_FALSE(reply.has_payload() && !reply.payload().value().empty()) << name;
      }
    }
  }
}

TEST(Visibility, ATenantThatAllowsItLetsManagersReadPulseAnswers) {
  DaemonProcess d("  motivation_keys:\n    config:\n      managers_see_answers: [default]\n", "",
                  "info");
  d.start();
  import_people(d);
  Caller(d.request_endpoint(), acting("ana"))
      .call("motivation_keys", "RecordPulse", kSamples.at("motivation_keys.RecordPulse"));
  Caller manager(d.request_endpoint(), acting("max"));
  Caller colleague(d.request_endpoint(), acting("ben"));
  for (const auto& row : visibility_table()) {
    if (row.cells.at("manager") != "if allowed") continue;
    const auto& sample = kSamples.at(row.plugin + "." + row.method);
    auto reply = manager.call(row.plugin, row.method, sample);
    EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_OK)
        << row.method << ": " << reply.status().message();
    // The colleague still may not.
    EXPECT_TRUE(refused(colleague.call(row.plugin, row.method, sample).status().code()));
  }
}

TEST(Visibility, APayloadNamingAnotherPersonGrantsNothing) {
  DaemonProcess d(kPlugins, "", "info");
  d.start();
  import_people(d);
  Caller(d.request_endpoint(), acting("ana"))
      .call("motivation_keys", "RecordPulse", kSamples.at("motivation_keys.RecordPulse"));
  // ben asks for ana's pulse, and his envelope claims another tenant: the tenant field from a
  // local caller is ignored, and the person stays ben.
  core::BusClient client(d.request_endpoint());
  v1::Envelope request = core::make_request("coachd", "WhoAmI", v1::WhoAmIRequest());
  request.set_tenant("globex");
  request.set_person("ben");
  auto who = client.call(request, 5s);
  v1::WhoAmIReply me;
  ASSERT_TRUE(who.payload().UnpackTo(&me));
  EXPECT_EQ(me.tenant(), "default");
  EXPECT_EQ(me.person(), "ben");
  auto reply = Caller(d.request_endpoint(), acting("ben"))
                   .call("motivation_keys", "GetPulseHistory", R"({"person_id":"ana"})");
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_PERMISSION_DENIED);
  EXPECT_NE(reply.status().message().find("person 'ben'"), std::string::npos)
      << reply.status().message();
  // Someone the directory does not know is nobody.
  core::BusClient nobody(d.request_endpoint(), acting("ghost"));
  EXPECT_EQ(nobody.call("coachd", "Health", v1::HealthRequest(), 5s).status().code(),
            v1::STATUS_CODE_UNAUTHENTICATED);
}

}  // namespace
}  // namespace coach
