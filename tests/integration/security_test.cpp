// SPDX-License-Identifier: Apache-2.0
// Who may see what, on a running coachd with the four domain plugins: every cell of the README's
// visibility table, acted by the people it names; tenants that cannot reach each other through any
// served method; a payload that claims another principal.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/people.pb.h"
#include "daemon_process.hpp"
#include "envelope.hpp"
#include "remote_types.hpp"

namespace coach {
namespace {

using core::BusClient;
using core::BusClientOptions;
using testing::DaemonProcess;
using namespace std::chrono_literals;

const std::string kPlugins =
    "  behavior_styles: {}\n  motivation_keys: {}\n  service_followup: {}\n"
    "  coaching_sessions: {}\n";

// The table's people: ana is the salesperson the records are about.
const char* const kPeopleCsv =
    "id,name,team,roles,coach,manager\n"
    "max,Max Manager,east,manager,,\n"
    "cora,Cora Coach,east,coach,,max\n"
    "ana,Ana Secret-Salesperson,east,salesperson,cora,max\n"
    "ben,Ben Colleague,east,salesperson,cora,max\n"
    "zoe,Zoe Agent,service,service_agent,,\n"
    "ada,Ada Admin,,tenant_admin,,\n"
    "helpdesk,Help Desk,,integration,,\n";

// The README's columns, and who acts each.
const std::vector<std::pair<std::string, std::string>> kColumns{
    {"self", "ana"},         {"coach", "cora"},        {"manager", "max"},
    {"colleague", "ben"},    {"service agent", "zoe"}, {"tenant admin", "ada"},
    {"integration", "helpdesk"}};

const std::string kAssessment =
    R"("answers":[4,1,3,2,1,4,3,2,3,2,4,1,2,3,4,1,3,3,2,2,4,1,3,3,1,1,3,2,2,3])";
const std::string kRoot =
    R"("root_cause":{"category":"billing","cause":"price list not updated","fix":"corrected","customer_confirmed":true})";

// A request for each method of the table (JSON, the method's request type).
const std::map<std::string, std::string> kSamples{
    {"behavior_styles.GetInstrument", "{}"},
    {"behavior_styles.SetInstrument", "{}"},
    {"behavior_styles.SubmitAssessment",
     R"({"person_id":"ana","role":"RATER_ROLE_SELF",)" + kAssessment + "}"},
    {"behavior_styles.GetProfile", R"({"person_id":"ana"})"},
    {"behavior_styles.RecordObservations",
     R"({"salesperson_id":"ana","account_id":"acme","observations":[{"cue":"CUE_PACE","value":1},{"cue":"CUE_TELLS_VS_ASKS","value":1},{"cue":"CUE_DECISIONS","value":2},{"cue":"CUE_SHOWS_FEELINGS","value":4}]})"},
    {"behavior_styles.GetCustomerStyle", R"({"account_id":"acme"})"},
    {"behavior_styles.GetGuidance", R"({"salesperson_id":"ana","account_id":"acme"})"},
    {"behavior_styles.GetTeamMap", R"({"team_id":"east"})"},
    {"motivation_keys.GetQuestionnaire", "{}"},
    {"motivation_keys.RecordPulse",
     R"({"person_id":"ana","answers":[4,4,3,2,2,4,3,4,4,2,3,2,4,4,3,3]})"},
    {"motivation_keys.GetPulseHistory", R"({"person_id":"ana"})"},
    {"motivation_keys.GetCoachingPrompts", R"({"person_id":"ana"})"},
    {"motivation_keys.GetTeamView", R"({"team_id":"east"})"},
    {"motivation_keys.RateTrust",
     R"({"salesperson_id":"ana","account_id":"acme","role":"RATER_ROLE_CUSTOMER","credibility":4,"reliability":4,"intimacy":4,"self_orientation":2})"},
    {"motivation_keys.GetTrust", R"({"salesperson_id":"ana","account_id":"acme"})"},
    {"motivation_keys.RecordAttainment",
     R"({"person_id":"ana","period":"2026-11","target":100,"attainment":90})"},
    {"service_followup.OpenCase",
     R"({"case_id":"c1","account_id":"acme","salesperson_id":"ana","agent_id":"zoe","subject":"Secret-Subject invoice"})"},
    {"service_followup.CustomerContact", R"({"case_id":"c1","actor":"customer"})"},
    {"service_followup.AgentReply", R"({"case_id":"c1","actor":"zoe"})"},
    {"service_followup.SetPending", R"({"case_id":"c1","actor":"zoe"})"},
    {"service_followup.SolveCase", R"({"case_id":"c1","agent_id":"zoe",)" + kRoot + "}"},
    {"service_followup.ReopenCase", R"({"case_id":"c1","actor":"customer"})"},
    {"service_followup.CloseCase", R"({"case_id":"c9","actor":"zoe"})"},  // solved in setup
    {"service_followup.GetCase", R"({"case_id":"c1"})"},
    {"service_followup.ListAccountCases", R"({"account_id":"acme"})"},
    {"service_followup.GetMeasures", R"({"account_id":"acme"})"},
    {"service_followup.GetMeasuresCsv", R"({"account_id":"acme"})"},
    {"service_followup.Import",
     R"({"event_id":"e1","kind":"opened","case_id":"h1","at_ms":1764000000000,"account_id":"acme","salesperson_id":"ana","subject":"old"})"},
    {"service_followup.ImportBatch",
     R"({"events":[{"event_id":"e2","kind":"opened","case_id":"h2","at_ms":1764000000000,"account_id":"acme","salesperson_id":"ana","subject":"old"}]})"},
    {"service_followup.Reindex", "{}"},
    {"coaching_sessions.StartRelationship",
     R"({"coach_id":"cora","salesperson_id":"ana","coach_role":"COACH_ROLE_PEER","team_id":"east","cadence":"weekly"})"},
    {"coaching_sessions.GetRelationship", R"({"relationship_id":"cora~ana"})"},
    {"coaching_sessions.SubmitPrep",
     R"({"relationship_id":"cora~ana","submitted_by":"ana","prep":{"focus":"Secret-Focus four first meetings","gaps":["too few first meetings"]}})"},
    {"coaching_sessions.GetAgenda", R"({"relationship_id":"cora~ana"})"},
    {"coaching_sessions.RecordSession",
     R"({"relationship_id":"cora~ana","steps":{"acknowledge":"You named why.","explore":"What changed?","plan":"Four meetings.","offer_help":"How can I help?"},"coach_questions":["What changed?"],"action_items":[{"text":"book four meetings","owner":"ITEM_OWNER_SALESPERSON","due_ms":"4102444800000"}]})"},
    {"coaching_sessions.UpdateActionItem",
     R"({"relationship_id":"cora~ana","item_id":"s1-1","state":"ITEM_STATE_DONE"})"},
    {"coaching_sessions.ListSessions", R"({"relationship_id":"cora~ana"})"},
    {"coaching_sessions.CheckLanguage", R"({"text":"What would help you most?"})"},
    {"coaching_sessions.GetSkillsAudit", "{}"},
    {"coaching_sessions.GetMeasures", R"({"coach_id":"cora"})"},
    {"coaching_sessions.GetMeasuresCsv", R"({"coach_id":"cora"})"},
    {"people.ImportPeople",
     R"({"format":"csv","text":"id,name,team,roles,coach,manager\nada,Ada Admin,,tenant_admin,,\n"})"},
    {"people.GetPerson", R"({"id":"ana"})"},
    {"people.ListPeople", R"({"team":"east"})"},
    {"people.RemovePerson", R"({"id":"nobody"})"},
};

struct Row {
  std::string plugin;
  std::string method;
  std::map<std::string, std::string> cells;  // column -> yes | no | if allowed
};

// The rows between the README's visibility-table markers.
std::vector<Row> visibility_table() {
  std::ifstream in(COACH_SOURCE_DIR "/README.md");
  std::string line;
  bool inside = false;
  std::vector<std::string> header;
  std::vector<Row> rows;
  auto split = [](const std::string& l) {
    std::vector<std::string> out;
    std::stringstream ss(l.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      out.push_back(cell);
    }
    return out;
  };
  while (std::getline(in, line)) {
    if (line == "<!-- visibility-table -->") {
      inside = true;
    } else if (line == "<!-- /visibility-table -->") {
      break;
    } else if (inside && line.rfind("| Plugin", 0) == 0) {
      header = split(line);
    } else if (inside && line.rfind("| ", 0) == 0) {
      auto cells = split(line);
      Row row{cells.at(0), cells.at(1), {}};
      for (std::size_t i = 3; i < cells.size(); ++i) row.cells[header.at(i)] = cells[i];
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// A client acting as person (empty: the local operator itself) of the daemon's local tenant.
class Caller {
 public:
  Caller(const std::string& endpoint, BusClientOptions options = {})
      : client_(endpoint, std::move(options)) {}
  v1::Envelope call(const std::string& service, const std::string& method,
                    const std::string& json) {
    if (!types_loaded_) {
      types_.load(client_, 10s);
      types_loaded_ = true;
    }
    const auto* info = types_.method(service, method);
    if (!info) throw std::runtime_error("no method " + service + "/" + method);
    v1::Envelope request;
    request.set_kind(v1::Envelope::KIND_REQUEST);
    request.set_message_id(core::new_message_id());
    request.set_service(service);
    request.set_method(method);
    request.mutable_payload()->set_type_url(core::url_of(info->request_type()));
    request.mutable_payload()->set_value(
        types_.from_json(core::url_of(info->request_type()), json));
    return client_.call(request, 10s);
  }

 private:
  BusClient client_;
  core::RemoteTypes types_;
  bool types_loaded_ = false;
};

std::string people_file(const DaemonProcess& d) {
  const auto path = d.dir().file("people.csv");
  testing::write_file(path, kPeopleCsv);
  return path;
}

void import_people(const DaemonProcess& d, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{COACHCTL_BIN, "-e", d.request_endpoint()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"people", "import", people_file(d)});
  auto r = testing::run_command(argv, d.dir().file("import.out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

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
  for (const auto& [column, person] : kColumns) {
    BusClientOptions o;
    o.person = person;
    as[column] = std::make_unique<Caller>(d.request_endpoint(), o);
  }
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
  for (const char* m : {"ImportPeople", "GetPerson", "ListPeople", "RemovePerson"})
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
    EXPECT_EQ(admin.status().code(), v1::STATUS_CODE_OK) << name << ": " << admin.status().message();
    for (const auto& [column, person] : kColumns) {
      const std::string want = row.cells.at(column);
      auto reply = as[column]->call(row.plugin, row.method, kSamples.at(name));
      const auto code = reply.status().code();
      EXPECT_FALSE(broken(code)) << name << " as " << person << ": " << reply.status().message();
      if (want == "yes") {
        EXPECT_FALSE(refused(code)) << name << " as " << column << " (" << person
                                    << "): " << reply.status().message();
      } else {
        EXPECT_TRUE(refused(code)) << name << " as " << column << " (" << person
                                   << ") was not refused: " << core::status_name(code);
        EXPECT_FALSE(reply.has_payload() && !reply.payload().value().empty()) << name;
      }
    }
  }
}

TEST(Visibility, ATenantThatAllowsItLetsManagersReadPulseAnswers) {
  DaemonProcess d(
      "  motivation_keys:\n    config:\n      managers_see_answers: [default]\n", "", "info");
  d.start();
  import_people(d);
  BusClientOptions ana;
  ana.person = "ana";
  Caller(d.request_endpoint(), ana)
      .call("motivation_keys", "RecordPulse", kSamples.at("motivation_keys.RecordPulse"));
  BusClientOptions max;
  max.person = "max";
  Caller manager(d.request_endpoint(), max);
  BusClientOptions ben;
  ben.person = "ben";
  Caller colleague(d.request_endpoint(), ben);
  for (const auto& row : visibility_table()) {
    if (row.cells.at("manager") != "if allowed") continue;
    const auto& sample = kSamples.at(row.plugin + "." + row.method);
    auto reply = manager.call(row.plugin, row.method, sample);
    EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_OK) << row.method << ": "
                                                         << reply.status().message();
    // The colleague still may not.
    EXPECT_TRUE(refused(colleague.call(row.plugin, row.method, sample).status().code()));
  }
}

TEST(Visibility, APayloadNamingAnotherPersonGrantsNothing) {
  DaemonProcess d(kPlugins, "", "info");
  d.start();
  import_people(d);
  BusClientOptions ana;
  ana.person = "ana";
  Caller(d.request_endpoint(), ana)
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
  BusClientOptions ben;
  ben.person = "ben";
  auto reply = Caller(d.request_endpoint(), ben)
                   .call("motivation_keys", "GetPulseHistory", R"({"person_id":"ana"})");
  EXPECT_EQ(reply.status().code(), v1::STATUS_CODE_PERMISSION_DENIED);
  EXPECT_NE(reply.status().message().find("person 'ben'"), std::string::npos)
      << reply.status().message();
  // Someone the directory does not know is nobody.
  BusClientOptions ghost;
  ghost.person = "ghost";
  core::BusClient nobody(d.request_endpoint(), ghost);
  EXPECT_EQ(nobody.call("coachd", "Health", v1::HealthRequest(), 5s).status().code(),
            v1::STATUS_CODE_UNAUTHENTICATED);
}

}  // namespace
}  // namespace coach
