// SPDX-License-Identifier: Apache-2.0
// The security tests' tenant: its people, a request for every served method (about ana, the
// salesperson), the README's visibility table, and a caller that speaks JSON as any principal.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/people.pb.h"
#include "daemon_process.hpp"
#include "envelope.hpp"
#include "remote_types.hpp"

namespace coach {

using core::BusClient;
using core::BusClientOptions;
using testing::DaemonProcess;
using namespace std::chrono_literals;

inline const std::string kPlugins =
    "  behavior_styles: {}\n  motivation_keys: {}\n  service_followup: {}\n"
    "  coaching_sessions: {}\n  webhooks: {}\n";

// The table's people: ana is the salesperson the records are about.
inline const char* const kPeopleCsv =
    "id,name,team,roles,coach,manager\n"
    "max,Max Manager,east,manager,,\n"
    "cora,Cora Coach,east,coach,,max\n"
    "ana,Ana Secret-Salesperson,east,salesperson,cora,max\n"
    "ben,Ben Colleague,east,salesperson,cora,max\n"
    "zoe,Zoe Agent,service,service_agent,,\n"
    "ada,Ada Admin,,tenant_admin,,\n"
    "helpdesk,Help Desk,,integration,,\n";

// The README's columns, and who acts each.
inline const std::vector<std::pair<std::string, std::string>> kColumns{{"self", "ana"},
                                                                       {"coach", "cora"},
                                                                       {"manager", "max"},
                                                                       {"colleague", "ben"},
                                                                       {"service agent", "zoe"},
                                                                       {"tenant admin", "ada"},
                                                                       {"integration", "helpdesk"}};

inline const std::string kAssessment =
    R"("answers":[4,1,3,2,1,4,3,2,3,2,4,1,2,3,4,1,3,3,2,2,4,1,3,3,1,1,3,2,2,3])";
inline const std::string kRoot =
    R"("root_cause":{"category":"billing","cause":"price list not updated","fix":"corrected","customer_confirmed":true})";

// A request for each method of the table (JSON, the method's request type).
inline const std::map<std::string, std::string> kSamples{
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
    {"service_followup.ListOpenCases", R"({"agent_id":"zoe"})"},
    {"service_followup.ListCheckInsDue", "{}"},
    {"service_followup.ListAccountsAtRisk", "{}"},
    {"service_followup.GetCategories", "{}"},
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
    {"people.GetVisibility", "{}"},
    {"webhooks.Subscribe", R"({"url":"http://127.0.0.1:9/hook","topic_prefix":"none."})"},
    {"webhooks.ListSubscriptions", "{}"},
    {"webhooks.Unsubscribe", R"({"subscription_id":"wh-none"})"},
    {"webhooks.ListDeliveries", R"({"subscription_id":"wh-none"})"},
};

struct Row {
  std::string plugin;
  std::string method;
  std::map<std::string, std::string> cells;  // column -> yes | no | if allowed
};

// The rows between the README's visibility-table markers.
inline std::vector<Row> visibility_table() {
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

// A local operator narrowed to person.
inline BusClientOptions acting(std::string person) {
  BusClientOptions o;
  o.person = std::move(person);
  return o;
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

inline std::string people_file(const DaemonProcess& d) {
  const auto path = d.dir().file("people.csv");
  testing::write_file(path, kPeopleCsv);
  return path;
}

// Imports the people as the daemon's local operator, or as whoever connection (coachctl's
// endpoint and key options) makes the caller.
inline void import_people(const DaemonProcess& d, std::vector<std::string> connection = {}) {
  if (connection.empty()) connection = {"-e", d.request_endpoint()};
  std::vector<std::string> argv{COACHCTL_BIN};
  argv.insert(argv.end(), connection.begin(), connection.end());
  argv.insert(argv.end(), {"people", "import", people_file(d)});
  auto r = testing::run_command(argv, d.dir().file("import.out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace coach
