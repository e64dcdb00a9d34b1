// SPDX-License-Identifier: Apache-2.0
// Benchmark support: the baseline every store figure is put next to, measured in the same run.
// A raw SQLite loop inserting rows of value, per_commit rows per durable transaction, with the
// store's own durability (WAL, synchronous=FULL). Returns rows per second.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace coach::testing {

inline double raw_sqlite_rows_per_s(const std::string& db_path, std::size_t rows,
                                    const std::string& value, std::size_t per_commit) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE IF NOT EXISTS t (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t VALUES (?1, ?2)", -1, &stmt, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < rows;) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (std::size_t j = 0; j < per_commit && i < rows; ++j, ++i) {
      const std::string key = fmt::format("row/{:09d}", i);
      sqlite3_bind_blob(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(stmt, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return static_cast<double>(rows) / seconds;
}

}  // namespace coach::testing
