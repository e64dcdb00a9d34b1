// SPDX-License-Identifier: Apache-2.0
// Reading people from an HR system's export (JSON lines or CSV) and applying them to a tenant's
// directory. Pure: no store, no bus; PeopleService persists what apply_people() changed.
#pragma once

#include <string>
#include <vector>

#include "coach/people.hpp"
#include "coach/v1/people.pb.h"

namespace coach::core {

v1::Person to_proto(const Person& person);
// Throws coach::Error (INVALID_ARGUMENT naming the field) for an id with '/', an unknown role.
Person from_proto(const v1::Person& person);

struct ParsedPerson {
  std::uint32_t line = 0;
  Person person;
};
struct ParsedPeople {
  std::uint32_t lines = 0;  // non-empty lines read, header excluded
  std::vector<ParsedPerson> people;
  std::vector<v1::ImportError> errors;
};

// Parses request's text; every bad line is an error naming its file line.
ParsedPeople parse_people(const v1::ImportPeopleRequest& request);

struct AppliedPeople {
  std::vector<Person> changed;  // to persist, in file order
  std::uint32_t added = 0;
  std::uint32_t updated = 0;
  std::uint32_t unchanged = 0;
};

// Applies parsed to directory. A person whose coach or manager is in neither the directory nor
// the import is refused (an error for their line) and the directory keeps what it had for them.
AppliedPeople apply_people(PeopleDirectory& directory, ParsedPeople& parsed);

}  // namespace coach::core
