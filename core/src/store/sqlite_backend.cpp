// SPDX-License-Identifier: Apache-2.0
// SQLite: WAL journal, synchronous=FULL (a commit returns after its WAL frames are fsynced), one
// connection per user; the store service gives the single writer connection to one thread.
#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>

#include "sql_connection.hpp"

namespace coach::core {

namespace {

v1::StatusCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return v1::STATUS_CODE_RESOURCE_EXHAUSTED;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return v1::STATUS_CODE_DATA_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return v1::STATUS_CODE_UNAVAILABLE;
    default:
      return v1::STATUS_CODE_INTERNAL;
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, std::uint64_t max_size_mb) : path_(path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StoreError(v1::STATUS_CODE_UNAVAILABLE,
                       fmt::format("sqlite {}: cannot open: {}", path, why), true);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    try {
      query("PRAGMA journal_mode=WAL");
      query("PRAGMA synchronous=FULL");
      // Up to 32 MiB of pages per connection (SQLite's default is 2 MiB): a tenant's indexes and
      // aggregates stay in memory instead of being read back from the file on every write.
      query("PRAGMA cache_size=-32768");
      // Checkpoint every 64 MiB of WAL rather than 4 MiB: a page written by many commits in a
      // row (an aggregate, the tail of a time index) is copied back to the file once, not once
      // per commit. Readers still see everything; only the WAL file grows larger between.
      query("PRAGMA wal_autocheckpoint=16384");
      if (max_size_mb > 0) {
        auto page = as_int(query("PRAGMA page_size").at(0).at(0));
        auto pages = static_cast<std::int64_t>(max_size_mb << 20) / (page > 0 ? page : 4096);
        query(fmt::format("PRAGMA max_page_count={}", pages));
      }
    } catch (...) {
      close();
      throw;
    }
  }

  ~SqliteConnection() override { close(); }

  using SqlConnection::query;

  std::vector<SqlRow> query(std::string_view sql, std::span<const SqlParam> params) override {
    sqlite3_stmt* stmt = prepared(sql);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      int index = sqlite3_bind_parameter_index(stmt, fmt::format("${}", i + 1).c_str());
      if (index == 0) continue;  // a parameter the statement does not use
      int rc = std::visit(
          [&](const auto& p) -> int {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, Null>) {
              return sqlite3_bind_null(stmt, index);
            } else if constexpr (std::is_same_v<P, std::int64_t>) {
              return sqlite3_bind_int64(stmt, index, p);
            } else if constexpr (std::is_same_v<P, Text>) {
              return sqlite3_bind_text64(stmt, index, p.value.data(), p.value.size(), SQLITE_STATIC,
                                         SQLITE_UTF8);
            } else {
              // A zero-length blob must still bind as a blob, not NULL.
              return sqlite3_bind_blob64(stmt, index, p.value.empty() ? "" : p.value.data(),
                                         p.value.size(), SQLITE_STATIC);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) fail(rc, sql);
    }
    std::vector<SqlRow> rows;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(stmt);
        fail(rc, sql);
      }
      const int n = sqlite3_column_count(stmt);
      SqlRow row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            row.emplace_back(std::monostate{});
            break;
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          default: {
            const void* data = sqlite3_column_blob(stmt, c);
            const int size = sqlite3_column_bytes(stmt, c);
            row.emplace_back(std::string(static_cast<const char*>(data), data ? size : 0));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    return rows;
  }

 private:
  sqlite3_stmt* prepared(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  [[noreturn]] void fail(int rc, std::string_view sql) {
    const auto code = code_for(rc);
    std::string what = fmt::format("sqlite {}: {}", path_, sqlite3_errmsg(db_));
    if (code == v1::STATUS_CODE_INTERNAL) what += fmt::format(" (in: {})", sql.substr(0, 60));
    throw StoreError(code, what);
  }

  void close() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

class SqliteBackend final : public StorageBackend {
 public:
  SqliteBackend(std::string path, std::uint64_t max_size_mb)
      : path_(std::move(path)), max_size_mb_(max_size_mb) {}

  std::string_view kind() const override { return "sqlite"; }
  std::string describe() const override { return "sqlite " + path_; }

  std::unique_ptr<SqlConnection> connect() override {
    std::error_code ec;
    auto dir = std::filesystem::path(path_).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        throw StoreError(v1::STATUS_CODE_UNAVAILABLE,
                         fmt::format("sqlite {}: cannot create directory {}: {}", path_,
                                     dir.string(), ec.message()),
                         true);
      }
      std::filesystem::permissions(dir, std::filesystem::perms(0750), ec);
    }
    return std::make_unique<SqliteConnection>(path_, max_size_mb_);
  }

  // IMMEDIATE takes the write lock at BEGIN: no upgrade deadlock with another writer process.
  std::string_view begin_sql() const override { return "BEGIN IMMEDIATE"; }
  std::string_view claim_lock_clause() const override { return ""; }
  std::string_view migration_lock_sql() const override { return "SELECT 1"; }

  std::vector<std::vector<std::string>> migrations() const override {
    return {
        {
            "CREATE TABLE coach_kv (tenant TEXT NOT NULL, plugin TEXT NOT NULL, key BLOB NOT NULL,"
            " value BLOB NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (tenant, plugin, key))"
            " WITHOUT ROWID",
            "CREATE TABLE coach_schedule (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tenant TEXT NOT NULL, plugin TEXT NOT NULL, topic TEXT NOT NULL,"
            " due_ms INTEGER NOT NULL, payload BLOB NOT NULL, announce INTEGER NOT NULL,"
            " state INTEGER NOT NULL DEFAULT 0, claimed_by TEXT,"
            " lease_until_ms INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
            " created_ms INTEGER NOT NULL, done_ms INTEGER, last_error TEXT)",
            "CREATE INDEX coach_schedule_due ON coach_schedule (state, plugin, due_ms)",
        },
        {
            // 2: expiring records, and pruning finished schedule entries, both through an index.
            "ALTER TABLE coach_kv ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX coach_kv_expiry ON coach_kv (expires_ms) WHERE expires_ms > 0",
            "CREATE INDEX coach_schedule_finished ON coach_schedule (done_ms) WHERE state <> 0",
        }};
  }

 private:
  std::string path_;
  std::uint64_t max_size_mb_;
};

}  // namespace

std::unique_ptr<StorageBackend> make_sqlite_backend(const std::string& path,
                                                    std::uint64_t max_size_mb) {
  return std::make_unique<SqliteBackend>(path, max_size_mb);
}

}  // namespace coach::core
