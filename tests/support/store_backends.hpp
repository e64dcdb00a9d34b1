// SPDX-License-Identifier: Apache-2.0
// Test support: the store backends a suite runs against. SQLite uses a file in a temporary
// directory; PostgreSQL the throwaway cluster ctest starts (tests/pg.sh) and names in
// COACH_TEST_PG_DSN. Without that variable PostgreSQL cases are skipped, unless
// COACH_REQUIRE_PG=1 (tests/run.sh sets it), when they fail.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <string>

#include "daemon_process.hpp"
#include "store/store_service.hpp"

namespace coach::testing {

inline std::string pg_dsn() {
  const char* dsn = std::getenv("COACH_TEST_PG_DSN");
  return dsn ? dsn : "";
}

inline bool pg_required() {
  const char* r = std::getenv("COACH_REQUIRE_PG");
  return r && std::string(r) == "1";
}

// A name no other test uses, so suites can share one PostgreSQL database.
inline std::string unique_name(const std::string& stem) {
  static std::mt19937_64 rng{std::random_device{}()};
  return stem + "_" + std::to_string(rng() % 1'000'000'000);
}

// Skips (or fails, when PostgreSQL is required) a PostgreSQL case that has no server.
#define COACH_REQUIRE_BACKEND(backend)                                               \
  do {                                                                               \
    if ((backend) == "postgresql" && ::coach::testing::pg_dsn().empty()) {           \
      if (::coach::testing::pg_required()) FAIL() << "COACH_TEST_PG_DSN is not set"; \
      GTEST_SKIP() << "no PostgreSQL: set COACH_TEST_PG_DSN (tests/run.sh does)";    \
    }                                                                                \
  } while (0)

inline core::StoreConfig store_config(const std::string& backend, const TempDir& dir) {
  core::StoreConfig c;
  c.backend = backend;
  c.sqlite_path = dir.file("store.db");
  c.postgresql_dsn = pg_dsn();
  return c;
}

// A new, empty database on the test cluster; returns its DSN. Daemon tests each take one, so
// one test's scheduler never fires another test's entries.
inline std::string fresh_pg_dsn() {
  PGconn* conn = PQconnectdb(pg_dsn().c_str());
  const std::string name = unique_name("coach_test");
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("CREATE DATABASE failed: " + why);
  return pg_dsn() + " dbname=" + name;  // a later keyword wins
}

// The store: section of a coachd config for backend (PostgreSQL: the database dsn names).
inline std::string store_yaml(const std::string& backend, const TempDir& dir,
                              const std::string& dsn = pg_dsn()) {
  if (backend == "postgresql") {
    return "store:\n  backend: postgresql\n  postgresql:\n    dsn: \"" + dsn + "\"\n";
  }
  return "store:\n  sqlite:\n    path: " + dir.file("coachd.db") + "\n";
}

inline std::string backend_param_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace coach::testing
