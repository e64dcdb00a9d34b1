// SPDX-License-Identifier: Apache-2.0
#include "people_import.hpp"

#include <google/protobuf/util/json_util.h>

#include <sstream>

#include "coach/error.hpp"

namespace coach::core {

namespace {

v1::ImportError error_at(std::uint32_t line, std::string message) {
  v1::ImportError e;
  e.set_line(line);
  e.set_message(std::move(message));
  return e;
}

// One CSV record (RFC 4180 quoting; no line breaks inside quotes).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  if (quoted) throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, "unterminated quote");
  return out;
}

void set_csv_field(v1::Person& p, const std::string& column, const std::string& value) {
  if (column == "id") {
    p.set_id(value);
  } else if (column == "name") {
    p.set_name(value);
  } else if (column == "email") {
    p.set_email(value);
  } else if (column == "team") {
    p.set_team(value);
  } else if (column == "coach") {
    p.set_coach(value);
  } else if (column == "manager") {
    p.set_manager(value);
  } else if (column == "roles") {
    std::stringstream in(value);
    std::string role;
    while (std::getline(in, role, ';')) {
      if (!role.empty()) p.add_roles(role);
    }
  }
}

}  // namespace

v1::Person to_proto(const Person& person) {
  v1::Person p;
  p.set_id(person.id);
  p.set_name(person.name);
  p.set_email(person.email);
  p.set_team(person.team);
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (person.roles.has(static_cast<Role>(1u << i))) p.add_roles(std::string(kRoleNames[i]));
  }
  p.set_coach(person.coach);
  p.set_manager(person.manager);
  return p;
}

Person from_proto(const v1::Person& p) {
  require_id("id", p.id());
  for (const auto* field : {&p.team(), &p.coach(), &p.manager()}) {
    if (field->find('/') != std::string::npos)
      throw invalid_argument(field == &p.team()    ? "team"
                             : field == &p.coach() ? "coach"
                                                   : "manager",
                             "must not contain '/'");
  }
  if (p.coach() == p.id()) throw invalid_argument("coach", "a person does not coach themselves");
  if (p.manager() == p.id())
    throw invalid_argument("manager", "a person does not manage themselves");
  Person out{p.id(),     p.name().empty() ? p.id() : p.name(), p.email(), p.team(), {}, p.coach(),
             p.manager()};
  for (const auto& name : p.roles()) {
    auto role = role_from_name(name);
    if (!role || *role == Role::kOperator || *role == Role::kGateway) {
      throw invalid_argument("roles", "'" + name +
                                          "' is not salesperson, coach, manager, service_agent, "
                                          "tenant_admin or integration");
    }
    out.roles.add(*role);
  }
  return out;
}

ParsedPeople parse_people(const v1::ImportPeopleRequest& request) {
  ParsedPeople out;
  const bool csv = request.format() == "csv";
  if (!csv && request.format() != "jsonl") {
    throw invalid_argument("format", "expected jsonl or csv, got '" + request.format() + "'");
  }
  std::vector<std::string> columns;
  if (csv && !request.csv_header().empty()) columns = csv_fields(request.csv_header());
  std::stringstream in(request.text());
  std::string line;
  std::uint32_t number = request.first_line() ? request.first_line() - 1 : 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (csv && columns.empty()) {
      columns = csv_fields(line);
      bool has_id = false;
      for (const auto& c : columns) {
        static const std::set<std::string> kKnown{"id",    "name",  "email",  "team",
                                                  "roles", "coach", "manager"};
        if (!kKnown.count(c)) {
          out.errors.push_back(error_at(number, "unknown column '" + c +
                                                    "' (expected id, name, email, team, roles, "
                                                    "coach, manager)"));
          return out;
        }
        has_id |= c == "id";
      }
      if (!has_id) {
        out.errors.push_back(error_at(number, "the header has no id column"));
        return out;
      }
      continue;
    }
    ++out.lines;
    try {
      v1::Person p;
      if (csv) {
        const auto fields = csv_fields(line);
        if (fields.size() != columns.size()) {
          throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, std::to_string(fields.size()) +
                                                            " fields, the header has " +
                                                            std::to_string(columns.size()));
        }
        for (std::size_t i = 0; i < fields.size(); ++i) set_csv_field(p, columns[i], fields[i]);
      } else {
        const auto status = google::protobuf::util::JsonStringToMessage(line, &p);
        if (!status.ok())
          throw Error(v1::STATUS_CODE_INVALID_ARGUMENT, std::string(status.message()));
      }
      out.people.push_back({number, from_proto(p)});
    } catch (const Error& e) {
      out.errors.push_back(error_at(number, e.what()));
    }
  }
  return out;
}

AppliedPeople apply_people(PeopleDirectory& directory, ParsedPeople& parsed) {
  AppliedPeople out;
  std::map<std::string, std::optional<Person>> before;  // to undo a refused person
  for (const auto& [line, person] : parsed.people) {
    if (!before.count(person.id)) {
      const Person* old = directory.find(person.id);
      before[person.id] = old ? std::optional<Person>(*old) : std::nullopt;
    }
    directory.put(person);
  }
  std::map<std::string, const ParsedPerson*> last;  // a person listed twice: the later line wins
  for (const auto& p : parsed.people) last[p.person.id] = &p;
  for (const auto& p : parsed.people) {
    if (last[p.person.id] != &p) continue;
    const Person& person = p.person;
    std::string missing;
    if (!person.coach.empty() && !directory.find(person.coach)) missing = "coach";
    if (!person.manager.empty() && !directory.find(person.manager)) missing = "manager";
    const auto& old = before[person.id];
    if (!missing.empty()) {
      parsed.errors.push_back(error_at(
          p.line, missing + ": no person '" + (missing == "coach" ? person.coach : person.manager) +
                      "' in the directory"));
      if (old) {
        directory.put(*old);
      } else {
        directory.erase(person.id);
      }
      continue;
    }
    if (!old) {
      ++out.added;
      out.changed.push_back(person);
    } else if (!(*old == person)) {
      ++out.updated;
      out.changed.push_back(person);
    } else {
      ++out.unchanged;
    }
  }
  std::sort(parsed.errors.begin(), parsed.errors.end(),
            [](const auto& a, const auto& b) { return a.line() < b.line(); });
  return out;
}

}  // namespace coach::core
