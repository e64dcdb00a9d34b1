// SPDX-License-Identifier: Apache-2.0
// The domain at an organisation's size: for each size, a fresh coachd (release, SQLite store)
// gets N service cases as a year of help-desk history through `coachctl import` (ImportBatch,
// pipelined) and N/10 people in motivation_keys and behavior_styles, then each plugin's main
// reads are timed (median of --reads calls). Printed per size with the growth ratio between the
// first and the last size, the import rate next to a raw SQLite loop writing the same number of
// rows with the same durability and batching, coachd's peak memory and the store's bytes per case.
#include <fmt/format.h>
#include <sqlite3.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/behavior_styles.pb.h"
#include "coach/v1/coaching_sessions.pb.h"
#include "coach/v1/motivation_keys.pb.h"
#include "coach/v1/service_followup.pb.h"
#include "daemon_process.hpp"
#include "envelope.hpp"
#include "raw_sqlite.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using coach::core::BusClient;
using namespace std::chrono_literals;
namespace sf = coach::v1::service_followup;
namespace mk = coach::v1::motivation_keys;
namespace bs = coach::v1::behavior_styles;
namespace cs = coach::v1::coaching_sessions;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// A year of history: each case opened, answered, solved at the root; some come back (a contact
// reopens them and they are solved again), some are closed by hand. Agents in teams of 10,
// accounts with about 24 cases each. Lines are in time order, as a help desk exports them.
std::size_t write_history(const std::string& path, int cases, std::int64_t end_ms) {
  std::mt19937 rng(7);
  const std::int64_t start = end_ms - 365 * kDayMs;
  const int agents = std::max(10, cases / 1000);  // about 1,000 cases per agent a year
  const int accounts = std::max(1, cases / 24);
  struct Line {
    std::int64_t at;
    std::string json;
  };
  std::vector<Line> lines;
  lines.reserve(static_cast<std::size_t>(cases) * 4);
  static const char* const categories[] = {"billing",     "onboarding", "product_defect", "how_to",
                                           "integration", "delivery",   "account_change"};
  for (int i = 0; i < cases; ++i) {
    const std::string id = fmt::format("c{}", i);
    const std::string agent = fmt::format("agent{}", static_cast<int>(rng() % agents));
    const int agent_no = std::stoi(agent.substr(5));
    std::int64_t t = start + static_cast<std::int64_t>(rng() % (360 * kDayMs));
    auto add = [&](std::int64_t at, const std::string& kind, const std::string& extra) {
      lines.push_back({at, fmt::format(R"({{"event_id":"{}-{}","kind":"{}","case_id":"{}",)"
                                       R"("actor":"{}","at_ms":"{}"{}}})",
                                       id, lines.size(), kind, id, agent, at, extra)});
    };
    add(t, "opened",
        fmt::format(R"(,"account_id":"acct{}","salesperson_id":"sp{}","team_id":"team{}")",
                    rng() % accounts, rng() % 500, agent_no / 10));
    t += static_cast<std::int64_t>(rng() % (8 * kHourMs)) + 60'000;
    add(t, "agent_reply", "");
    const auto solve = [&] {
      t += static_cast<std::int64_t>(rng() % (30 * kHourMs)) + 60'000;
      add(t, "solved",
          fmt::format(R"(,"root_cause":{{"category":"{}","cause":"c","fix":"f",)"
                      R"("customer_confirmed":{}}})",
                      categories[rng() % 7], rng() % 2 ? "true" : "false"));
    };
    solve();
    if (rng() % 5 == 0) {  // the customer comes back within the auto-close window
      t += static_cast<std::int64_t>(rng() % (48 * kHourMs)) + 60'000;
      add(t, "customer_contact", "");
      solve();
    } else if (rng() % 10 == 0) {
      t += static_cast<std::int64_t>(rng() % (24 * kHourMs)) + 60'000;
      add(t, "closed", "");
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.at < b.at; });
  std::ofstream out(path);
  for (const auto& l : lines) out << l.json << '\n';
  return lines.size();
}

class Caller {
 public:
  explicit Caller(const std::string& endpoint) : client_(endpoint) {}

  template <typename Reply>
  Reply call(const std::string& service, const std::string& method,
             const google::protobuf::Message& request) {
    auto env = client_.call(service, method, request, 60s);
    // A plugin still working through the events the load made (every pulse and assessment is one
    // for coaching_sessions) says OVERLOADED: retry later, as a client should.
    for (int retry = 0; env.status().code() == coach::v1::STATUS_CODE_OVERLOADED && retry < 600;
         ++retry) {
      std::this_thread::sleep_for(100ms);
      env = client_.call(service, method, request, 60s);
    }
    if (env.status().code() != coach::v1::STATUS_CODE_OK) {
      throw std::runtime_error(service + "." + method + ": " + env.status().message());
    }
    Reply out;
    env.payload().UnpackTo(&out);
    return out;
  }

  // Median ms of reads calls, after one that warms the caches.
  double time_ms(const std::string& service, const std::string& method,
                 const google::protobuf::Message& request, int reads) {
    std::vector<double> ms;
    for (int i = -1; i < reads; ++i) {
      const auto t0 = Clock::now();
      auto env = client_.call(service, method, request, 60s);
      if (i >= 0) ms.push_back(seconds_since(t0) * 1000);
      if (env.status().code() != coach::v1::STATUS_CODE_OK)
        throw std::runtime_error(service + "." + method + ": " + env.status().message());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }

  // Sends every request with up to window in flight; throws on the first refusal.
  void pipeline(const std::vector<coach::v1::Envelope>& requests, std::size_t window) {
    std::size_t sent = 0, done = 0;
    while (done < requests.size()) {
      while (sent < requests.size() && sent - done < window)
        client_.send_raw(requests[sent++].SerializeAsString());
      auto raw = client_.recv_raw(60s);
      if (!raw) throw std::runtime_error("no reply within 60 s");
      coach::v1::Envelope reply;
      reply.ParseFromString(*raw);
      if (reply.status().code() != coach::v1::STATUS_CODE_OK)
        throw std::runtime_error("refused: " + reply.status().message());
      ++done;
    }
  }

 private:
  BusClient client_;
};

struct Figures {
  std::map<std::string, double> reads_ms;  // in the order of kReads
  double import_lines_s = 0;
  double raw_rows_s = 0;
  std::size_t lines = 0;
  double import_s = 0;
  double people_s = 0;
  double people_import_s = 0;
  double peak_mib = 0;
  double bytes_per_case = 0;
  double expired_bytes_per_case = 0;
};

const char* const kReads[] = {
    "service_followup GetMeasures tenant, all time",
    "service_followup GetMeasures tenant, last 30 days",
    "service_followup GetMeasures one account",
    "service_followup GetMeasures one agent",
    "service_followup GetMeasures one team",
    "service_followup GetMeasuresCsv tenant, all time",
    "service_followup ListAccountCases first page",
    "service_followup GetCase",
    "motivation_keys GetPulseHistory one person",
    "motivation_keys GetTeamView one team",
    "behavior_styles GetProfile one person",
    "behavior_styles GetTeamMap one team",
    "coaching_sessions GetAgenda one relationship",
    "coaching_sessions ListSessions first page",
    "coaching_sessions GetMeasures one coach",
    "coaching_sessions GetMeasures one team",
};

Figures run_size(int cases, int people, int reads, const std::string& coachctl) {
  Figures f;
  coach::testing::DaemonProcess d(
      "  service_followup: {}\n  motivation_keys: {}\n  behavior_styles: {}\n"
      "  coaching_sessions: {}\n",
      "  request_timeout_ms: 60000\n", "warn");
  d.start();
  Caller c(d.request_endpoint());

  const std::string history = d.dir().file("history.jsonl");
  f.lines = write_history(history, cases, now_ms() - 30 * kDayMs);
  // The floor for importing that many lines: one row each, 500 per durable transaction.
  f.raw_rows_s = coach::testing::raw_sqlite_rows_per_s(d.dir().file("raw.db"), f.lines,
                                                       std::string(300, 'v'), 500);
  auto t0 = Clock::now();
  auto r = coach::testing::run_command({coachctl, "-e", d.request_endpoint(), "-t", "60000",
                                        "import", "service_followup", "ImportBatch", history});
  f.import_s = seconds_since(t0);
  if (r.exit_code != 0) throw std::runtime_error("import failed: " + r.output.substr(0, 2000));
  f.import_lines_s = static_cast<double>(f.lines) / f.import_s;

  // People: imported into the tenant's directory from an HR export (teams of 10, each coached
  // and managed by the team's first member), then one pulse and one self-assessment each.
  {
    const std::string csv = d.dir().file("people.csv");
    std::ofstream out(csv);
    out << "id,name,team,roles,coach,manager\n";
    for (int p = 0; p < people; ++p) {
      const int lead = p / 10 * 10;
      out << fmt::format("p{0},Person {0},t{1},{2},{3},{3}\n", p, p / 10,
                         p == lead ? "salesperson;coach;manager" : "salesperson",
                         p == lead ? std::string() : fmt::format("p{}", lead));
    }
  }
  t0 = Clock::now();
  r = coach::testing::run_command({coachctl, "-e", d.request_endpoint(), "-t", "60000", "people",
                                   "import", d.dir().file("people.csv")});
  f.people_import_s = seconds_since(t0);
  if (r.exit_code != 0) throw std::runtime_error("people import failed: " + r.output);
  t0 = Clock::now();
  const auto questionnaire = c.call<mk::Questionnaire>("motivation_keys", "GetQuestionnaire",
                                                       mk::GetQuestionnaireRequest());
  const auto instrument =
      c.call<bs::Instrument>("behavior_styles", "GetInstrument", bs::GetInstrumentRequest());
  std::vector<coach::v1::Envelope> requests;
  for (int p = 0; p < people; ++p) {
    const std::string id = fmt::format("p{}", p);
    mk::RecordPulseRequest pulse;
    pulse.set_person_id(id);
    for (int i = 0; i < questionnaire.items_size(); ++i) pulse.add_answers(1 + (p + i) % 5);
    requests.push_back(coach::core::make_request("motivation_keys", "RecordPulse", pulse));
    bs::SubmitAssessmentRequest a;
    a.set_person_id(id);
    a.set_rater_id(id);
    a.set_role(bs::RATER_ROLE_SELF);
    for (int i = 0; i < instrument.items_size(); ++i) a.add_answers(1 + (p * 7 + i) % 4);
    requests.push_back(coach::core::make_request("behavior_styles", "SubmitAssessment", a));
  }
  c.pipeline(requests, 64);
  // Coaching: each person coached weekly by their team's coach, one session prepared and held.
  const auto audit =
      c.call<cs::SkillsAudit>("coaching_sessions", "GetSkillsAudit", cs::GetSkillsAuditRequest());
  for (int round = 0; round < 3; ++round) {
    requests.clear();
    for (int p = 0; p < people; ++p) {
      const std::string id = fmt::format("p{}", p);
      const std::string coach = fmt::format("coach{}", p / 10);
      const std::string rel = coach + "~" + id;
      if (round == 0) {
        cs::StartRelationshipRequest start;
        start.set_coach_id(coach);
        start.set_salesperson_id(id);
        start.set_coach_role(cs::COACH_ROLE_MANAGER);
        start.set_team_id(fmt::format("t{}", p / 10));
        start.set_cadence("weekly");
        requests.push_back(
            coach::core::make_request("coaching_sessions", "StartRelationship", start));
      } else if (round == 1) {
        cs::SubmitPrepRequest prep;
        prep.set_relationship_id(rel);
        prep.set_submitted_by(id);
        for (int i = 0; i < audit.items_size(); ++i)
          prep.mutable_prep()->add_audit_answers(1 + (p + i) % 5);
        prep.mutable_prep()->set_focus("four first meetings");
        requests.push_back(coach::core::make_request("coaching_sessions", "SubmitPrep", prep));
      } else {
        cs::RecordSessionRequest held;
        held.set_relationship_id(rel);
        held.add_coach_questions("What was different this month?");
        held.set_coach_notes("You need to call more prospects.");
        held.mutable_talk()->set_coach_seconds(600);
        held.mutable_talk()->set_salesperson_seconds(1200);
        held.set_duration_minutes(40);
        auto* item = held.add_action_items();
        item->set_text("book four first meetings");
        item->set_owner(cs::ITEM_OWNER_SALESPERSON);
        item->set_due_ms(now_ms() + 6 * kDayMs);
        requests.push_back(coach::core::make_request("coaching_sessions", "RecordSession", held));
      }
    }
    c.pipeline(requests, 64);
  }
  f.people_s = seconds_since(t0);

  sf::MeasuresRequest tenant;
  sf::MeasuresRequest month;
  month.set_from_ms(now_ms() - 60 * kDayMs + 12345);
  month.set_to_ms(now_ms() - 30 * kDayMs + 6789);
  sf::MeasuresRequest account;
  account.set_account_id("acct3");
  sf::MeasuresRequest agent;
  agent.set_agent_id("agent3");
  sf::MeasuresRequest team;
  team.set_team_id("team0");
  sf::ListAccountCasesRequest list;
  list.set_account_id("acct3");
  list.set_page_size(50);
  sf::GetCaseRequest get;
  get.set_case_id("c42");
  mk::GetPulseHistoryRequest history_req;
  history_req.set_person_id("p7");
  mk::GetTeamViewRequest team_view;
  team_view.set_team_id("t3");
  bs::GetProfileRequest profile;
  profile.set_person_id("p7");
  bs::GetTeamMapRequest team_map;
  team_map.set_team_id("t3");
  cs::GetAgendaRequest agenda;
  agenda.set_relationship_id("coach0~p7");
  cs::ListSessionsRequest sessions;
  sessions.set_relationship_id("coach0~p7");
  cs::MeasuresRequest coach_measures;
  coach_measures.set_coach_id("coach0");
  cs::MeasuresRequest team_measures;
  team_measures.set_team_id("t0");
  const std::vector<std::pair<std::string, const google::protobuf::Message*>> calls = {
      {"GetMeasures", &tenant},
      {"GetMeasures", &month},
      {"GetMeasures", &account},
      {"GetMeasures", &agent},
      {"GetMeasures", &team},
      {"GetMeasuresCsv", &tenant},
      {"ListAccountCases", &list},
      {"GetCase", &get},
      {"GetPulseHistory", &history_req},
      {"GetTeamView", &team_view},
      {"GetProfile", &profile},
      {"GetTeamMap", &team_map},
      {"GetAgenda", &agenda},
      {"ListSessions", &sessions},
      {"GetMeasures", &coach_measures},
      {"GetMeasures", &team_measures},
  };
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string label = kReads[i];
    const std::string service = label.substr(0, label.find(' '));
    f.reads_ms[label] = c.time_ms(service, calls[i].first, *calls[i].second, reads);
  }
  const auto sanity = c.call<sf::Measures>("service_followup", "GetMeasures", tenant);
  if (sanity.cases() < cases) {
    throw std::runtime_error(
        fmt::format("tenant measures count {} cases of {}", sanity.cases(), cases));
  }

  const auto stats =
      c.call<coach::v1::StoreStatsReply>("coachd", "StoreStats", coach::v1::StoreStatsRequest());
  for (const auto& ns : stats.namespaces()) {
    if (ns.plugin() != "service_followup") continue;
    f.bytes_per_case = static_cast<double>(ns.bytes()) / cases;
    f.expired_bytes_per_case = static_cast<double>(ns.expired_bytes()) / cases;
  }
  f.peak_mib = static_cast<double>(status_kib(d.pid(), "VmHWM")) / 1024.0;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "coach_domain_bench: each plugin's main reads at two sizes of history, with the growth "
      "ratio, the import rate against raw SQLite, peak memory and bytes per case"};
  std::vector<int> sizes{10000, 100000};
  double people_ratio = 0.1;
  int reads = 11;
  std::string coachctl = COACHCTL_BIN;
  app.add_option("--cases", sizes, "Service cases per run (one run per size)")
      ->capture_default_str();
  app.add_option("--people-ratio", people_ratio, "People per case")->capture_default_str();
  app.add_option("--reads", reads, "Calls per read; the median is printed")->capture_default_str();
  app.add_option("--coachctl", coachctl, "coachctl binary")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<Figures> runs;
  for (int n : sizes) {
    const int people = std::max(10, static_cast<int>(n * people_ratio));
    std::printf("== %d cases, %d people\n", n, people);
    std::fflush(stdout);
    const auto t0 = Clock::now();
    try {
      runs.push_back(run_size(n, people, reads, coachctl));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "coach_domain_bench: %d cases: %s\n", n, e.what());
      return 1;
    }
    const auto& f = runs.back();
    std::printf(
        "import: %zu lines in %.1f s = %.0f lines/s; raw SQLite loop, same rows, 500 per commit: "
        "%.0f rows/s (import at %.2fx of it); %d people imported into the directory in %.2f s, "
        "then pulsed and assessed in %.1f s\n",
        f.lines, f.import_s, f.import_lines_s, f.raw_rows_s, f.import_lines_s / f.raw_rows_s,
        people, f.people_import_s, f.people_s);
    std::printf(
        "store: %.0f bytes per case (%.1f of them expired, waiting to be pruned); "
        "coachd peak memory %.1f MiB  [%.0f s]\n",
        f.bytes_per_case, f.expired_bytes_per_case, f.peak_mib, seconds_since(t0));
    std::fflush(stdout);
  }
  std::printf("\n%-52s", "read (median ms)");
  for (int n : sizes) std::printf(" %10d", n);
  if (runs.size() > 1) std::printf("  growth");
  std::printf("\n");
  for (const char* label : kReads) {
    std::printf("%-52s", label);
    for (const auto& f : runs) std::printf(" %10.2f", f.reads_ms.at(label));
    if (runs.size() > 1) {
      std::printf("  %5.2fx",
                  runs.back().reads_ms.at(label) / std::max(runs.front().reads_ms.at(label), 1e-3));
    }
    std::printf("\n");
  }
  return 0;
}
