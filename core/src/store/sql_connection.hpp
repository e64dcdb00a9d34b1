// SPDX-License-Identifier: Apache-2.0
// SqlConnection: the little SQL the store needs, over SQLite or PostgreSQL. Statements use $1, $2
// placeholders in both dialects; integers, text and blobs are the only types. Errors are
// StoreError, which carries the status code a caller gets and whether the connection is gone.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "coach/v1/envelope.pb.h"

namespace coach::core {

class StoreError : public std::runtime_error {
 public:
  StoreError(v1::StatusCode code, const std::string& message, bool connection_lost = false)
      : std::runtime_error(message), code_(code), connection_lost_(connection_lost) {}
  v1::StatusCode code() const noexcept { return code_; }
  // The connection cannot be used again; the owner reconnects.
  bool connection_lost() const noexcept { return connection_lost_; }

 private:
  v1::StatusCode code_;
  bool connection_lost_;
};

struct Text {
  std::string_view value;
};
struct Blob {
  std::string_view value;
};
struct Null {};
using SqlParam = std::variant<Null, std::int64_t, Text, Blob>;

// A result cell: NULL, an integer, or bytes (text and blobs alike).
using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;
using SqlRow = std::vector<SqlValue>;

std::int64_t as_int(const SqlValue& v);  // NULL reads as 0
std::string as_bytes(SqlValue v);        // NULL reads as ""
bool is_null(const SqlValue& v);

// Statements known up front, run together and answered together: on PostgreSQL in one round
// trip (libpq pipeline mode) rather than one each. The SQL text and the bytes the parameters
// point at must outlive the run.
class SqlBatch {
 public:
  struct Statement {
    std::string_view sql;
    std::vector<SqlParam> params;
    std::vector<SqlRow> rows;  // filled by the run
  };

  // Returns the statement's index, for rows().
  std::size_t add(std::string_view sql, std::initializer_list<SqlParam> params) {
    statements_.push_back({sql, std::vector<SqlParam>(params), {}});
    return statements_.size() - 1;
  }
  std::size_t size() const { return statements_.size(); }
  bool empty() const { return statements_.empty(); }
  const std::vector<SqlRow>& rows(std::size_t i) const { return statements_[i].rows; }
  std::vector<Statement>& statements() { return statements_; }
  void clear() {
    statements_.clear();
    answered = 0;
  }

  // Statements whose outcome the run has read (when it throws: how far the server got).
  std::size_t answered = 0;

 private:
  std::vector<Statement> statements_;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs one statement; returns its rows. Throws StoreError.
  virtual std::vector<SqlRow> query(std::string_view sql, std::span<const SqlParam> params) = 0;

  std::vector<SqlRow> query(std::string_view sql, std::initializer_list<SqlParam> params = {}) {
    return query(sql, std::span<const SqlParam>(params.begin(), params.size()));
  }

  // Runs the batch's statements in order and keeps each one's rows. Stops at the first that
  // fails and throws its StoreError (inside a transaction, which the caller then rolls back).
  virtual void run_batch(SqlBatch& batch) {
    for (auto& s : batch.statements()) {
      s.rows = query(s.sql, s.params);
      ++batch.answered;
    }
  }
};

// One database: opens connections and knows its dialect.
class StorageBackend {
 public:
  virtual ~StorageBackend() = default;
  // "sqlite" or "postgresql".
  virtual std::string_view kind() const = 0;
  // For logs and errors: the kind and where (file path, or host/db without the password).
  virtual std::string describe() const = 0;
  // Throws StoreError (UNAVAILABLE) naming the backend and the reason.
  virtual std::unique_ptr<SqlConnection> connect() = 0;
  // Starts the write transaction of a group.
  virtual std::string_view begin_sql() const = 0;
  // Appended to the claim query's row selection so concurrent nodes skip each other's rows.
  virtual std::string_view claim_lock_clause() const = 0;
  // Schema migrations in order; migration i brings the schema to version i + 1.
  virtual std::vector<std::vector<std::string>> migrations() const = 0;
  // Run inside the migration transaction first, so two nodes do not migrate at once.
  virtual std::string_view migration_lock_sql() const = 0;
};

// Nothing is opened until connect().
std::unique_ptr<StorageBackend> make_sqlite_backend(const std::string& path,
                                                    std::uint64_t max_size_mb);
std::unique_ptr<StorageBackend> make_postgres_backend(const std::string& dsn);

}  // namespace coach::core
