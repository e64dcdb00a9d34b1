// SPDX-License-Identifier: Apache-2.0
// PostgreSQL through libpq: binary parameters and results, statements prepared once per
// connection. A commit is durable when the server's synchronous_commit is on (its default).
#include <endian.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstring>
#include <map>

#include "sql_connection.hpp"

namespace coach::core {

namespace {

// pg_type OIDs (catalog/pg_type_d.h, stable across releases).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// The dsn without any password, for logs and errors.
std::string redact(const std::string& dsn) {
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), nullptr);
  if (!opts) return "<unparseable dsn>";
  std::string out;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val || std::strcmp(o->keyword, "password") == 0) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", o->keyword, o->val);
  }
  PQconninfoFree(opts);
  return out.empty() ? "(defaults)" : out;
}

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(const std::string& dsn, const std::string& where) : where_(where) {
    // Keywords before dbname are overridden by the dsn's own; after it they override.
    const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
    const char* values[] = {"5", dsn.c_str(), "coachd", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw StoreError(v1::STATUS_CODE_UNAVAILABLE,
                       fmt::format("postgresql {}: cannot connect: {}", where_, why), true);
    }
    query("SET client_min_messages = warning");
  }

  ~PostgresConnection() override {
    if (conn_) PQfinish(conn_);
  }

  using SqlConnection::query;

  std::vector<SqlRow> query(std::string_view sql, std::span<const SqlParam> params) override {
    const Bound b = bind(params);
    const std::string& name = prepared(sql, b);
    Result res(PQexecPrepared(conn_, name.c_str(), b.count(), b.values.data(), b.lengths.data(),
                              b.formats.data(), 1));
    check(res.get(), sql);
    return rows_of(res.get());
  }

  // libpq pipeline mode: every statement is sent before any result is read, so the batch costs
  // one round trip instead of one per statement. After a failing statement the server skips the
  // rest (PGRES_PIPELINE_ABORTED) up to the sync; the first error is thrown once all is read.
  void run_batch(SqlBatch& batch) override {
    try {
      run_pipeline(batch);
    } catch (const StoreError&) {
      throw;
    } catch (const std::exception& e) {
      // Whatever interrupted the pipeline left the connection mid-protocol: never reuse it.
      throw StoreError(v1::STATUS_CODE_UNAVAILABLE,
                       fmt::format("postgresql {}: batch interrupted: {}", where_, e.what()), true);
    }
  }

 private:
  void run_pipeline(SqlBatch& batch) {
    auto& statements = batch.statements();
    const std::size_t n = statements.size();
    if (n == 0) return;
    std::vector<Bound> bound;
    std::vector<const std::string*> names;
    bound.reserve(n);
    names.reserve(n);
    for (auto& st : statements) {
      bound.push_back(bind(st.params));
      names.push_back(&prepared(st.sql, bound.back()));  // outside the pipeline: a round trip
    }
    if (PQenterPipelineMode(conn_) != 1) lost("cannot enter pipeline mode");
    std::exception_ptr first_error;
    std::size_t sent = 0;
    std::size_t answered = 0;
    while (answered < n) {
      // The server stops reading while its results go unread: keep a bounded number unread.
      while (sent < n && sent - answered < kMaxUnread) {
        const Bound& b = bound[sent];
        if (PQsendQueryPrepared(conn_, names[sent]->c_str(), b.count(), b.values.data(),
                                b.lengths.data(), b.formats.data(), 1) != 1) {
          lost("cannot send a statement");
        }
        ++sent;
      }
      const int queued = sent == n ? PQpipelineSync(conn_) : PQsendFlushRequest(conn_);
      if (queued != 1 || PQflush(conn_) != 0) lost("cannot send the batch");
      // Each statement's results end with a null result.
      while (answered < sent) {
        Result res(PQgetResult(conn_));
        if (!res) {
          batch.answered = ++answered;
          continue;
        }
        const auto status = PQresultStatus(res.get());
        if (status == PGRES_PIPELINE_ABORTED || first_error) continue;
        try {
          check(res.get(), statements[answered].sql);
          statements[answered].rows = rows_of(res.get());
        } catch (const StoreError&) {
          first_error = std::current_exception();
        }
      }
    }
    Result sync(PQgetResult(conn_));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      lost("the batch did not end with its sync");  // mid-protocol: the connection is done
    }
    if (PQexitPipelineMode(conn_) != 1) lost("cannot leave pipeline mode");
    if (first_error) std::rethrow_exception(first_error);
  }

  static constexpr std::size_t kMaxUnread = 256;

  // Parameters in libpq's binary form. values point into ints for integers: keep together.
  struct Bound {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<std::uint64_t> ints;
    std::string signature;  // one letter per parameter type: part of the prepared key
    int count() const { return static_cast<int>(types.size()); }
  };

  static Bound bind(std::span<const SqlParam> params) {
    const std::size_t n = params.size();
    Bound b;
    b.types.resize(n);
    b.values.resize(n);
    b.lengths.resize(n);
    b.formats.assign(n, 1);
    b.ints.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::visit(
          [&](const auto& p) {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, Null>) {
              b.types[i] = 0;
              b.values[i] = nullptr;
              b.signature += 'n';
            } else if constexpr (std::is_same_v<P, std::int64_t>) {
              b.types[i] = kInt8Oid;
              b.ints[i] = htobe64(static_cast<std::uint64_t>(p));
              b.values[i] = reinterpret_cast<const char*>(&b.ints[i]);
              b.lengths[i] = 8;
              b.signature += 'i';
            } else {
              b.types[i] = std::is_same_v<P, Text> ? kTextOid : kByteaOid;
              b.values[i] = p.value.empty() ? "" : p.value.data();
              b.lengths[i] = static_cast<int>(p.value.size());
              b.signature += std::is_same_v<P, Text> ? 't' : 'b';
            }
          },
          params[i]);
    }
    return b;
  }

  std::vector<SqlRow> rows_of(PGresult* res) const {
    std::vector<SqlRow> rows;
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) row.push_back(cell(res, r, c));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  [[noreturn]] void lost(std::string_view what) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw StoreError(v1::STATUS_CODE_UNAVAILABLE,
                     fmt::format("postgresql {}: connection lost: {}: {}", where_, what,
                                 why.empty() ? "unknown error" : why),
                     true);
  }

  // The returned name stays valid: statements_ never erases.
  const std::string& prepared(std::string_view sql, const Bound& b) {
    std::string key = b.signature + '|' + std::string(sql);
    auto it = statements_.find(key);
    if (it != statements_.end()) return it->second;
    std::string name = fmt::format("coach_{}", statements_.size() + 1);
    Result res(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), b.count(), b.types.data()));
    check(res.get(), sql);
    return statements_.emplace(std::move(key), std::move(name)).first->second;
  }

  SqlValue cell(PGresult* res, int r, int c) const {
    if (PQgetisnull(res, r, c)) return std::monostate{};
    const char* v = PQgetvalue(res, r, c);
    const int len = PQgetlength(res, r, c);
    switch (PQftype(res, c)) {
      case kInt8Oid: {
        std::uint64_t x = 0;
        std::memcpy(&x, v, 8);
        return static_cast<std::int64_t>(be64toh(x));
      }
      case kInt4Oid: {
        std::uint32_t x = 0;
        std::memcpy(&x, v, 4);
        return static_cast<std::int64_t>(static_cast<std::int32_t>(be32toh(x)));
      }
      case kInt2Oid: {
        std::uint16_t x = 0;
        std::memcpy(&x, v, 2);
        return static_cast<std::int64_t>(static_cast<std::int16_t>(be16toh(x)));
      }
      case kBoolOid:
        return static_cast<std::int64_t>(v[0] != 0);
      default:  // bytea and text arrive as their raw bytes in binary format
        return std::string(v, static_cast<std::size_t>(len));
    }
  }

  void check(PGresult* res, std::string_view sql) {
    const auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    std::string why = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view sqlstate = state ? state : "";
    const bool lost = PQstatus(conn_) == CONNECTION_BAD || sqlstate.substr(0, 2) == "08" ||
                      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
    v1::StatusCode code = v1::STATUS_CODE_INTERNAL;
    if (lost || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
      code = v1::STATUS_CODE_UNAVAILABLE;
    } else if (sqlstate.substr(0, 2) == "53") {
      code = v1::STATUS_CODE_RESOURCE_EXHAUSTED;
    } else if (sqlstate == "XX001" || sqlstate == "XX002") {
      code = v1::STATUS_CODE_DATA_CORRUPT;
    }
    std::string what = fmt::format("postgresql {}: {}{}", where_, lost ? "connection lost: " : "",
                                   why.empty() ? "unknown error" : why);
    if (code == v1::STATUS_CODE_INTERNAL) what += fmt::format(" (in: {})", sql.substr(0, 60));
    throw StoreError(code, what, lost);
  }

  std::string where_;
  PGconn* conn_ = nullptr;
  std::map<std::string, std::string, std::less<>> statements_;
};

class PostgresBackend final : public StorageBackend {
 public:
  explicit PostgresBackend(std::string dsn) : dsn_(std::move(dsn)), where_(redact(dsn_)) {}

  std::string_view kind() const override { return "postgresql"; }
  std::string describe() const override { return "postgresql " + where_; }
  std::unique_ptr<SqlConnection> connect() override {
    return std::make_unique<PostgresConnection>(dsn_, where_);
  }
  std::string_view begin_sql() const override { return "BEGIN"; }
  std::string_view claim_lock_clause() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::string_view migration_lock_sql() const override {
    return "SELECT pg_advisory_xact_lock(7426873)";  // "coach" on a phone keypad, roughly
  }

  std::vector<std::vector<std::string>> migrations() const override {
    return {
        {
            "CREATE TABLE coach_kv (tenant TEXT NOT NULL, plugin TEXT NOT NULL, key BYTEA NOT NULL,"
            " value BYTEA NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (tenant, plugin, key))",
            "CREATE TABLE coach_schedule (id BIGSERIAL PRIMARY KEY,"
            " tenant TEXT NOT NULL, plugin TEXT NOT NULL, topic TEXT NOT NULL,"
            " due_ms BIGINT NOT NULL, payload BYTEA NOT NULL, announce BIGINT NOT NULL,"
            " state BIGINT NOT NULL DEFAULT 0, claimed_by TEXT,"
            " lease_until_ms BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0,"
            " created_ms BIGINT NOT NULL, done_ms BIGINT, last_error TEXT)",
            "CREATE INDEX coach_schedule_due ON coach_schedule (state, plugin, due_ms)",
        },
        {
            // 2: expiring records, and pruning finished schedule entries, both through an index.
            "ALTER TABLE coach_kv ADD COLUMN expires_ms BIGINT NOT NULL DEFAULT 0",
            "CREATE INDEX coach_kv_expiry ON coach_kv (expires_ms) WHERE expires_ms > 0",
            "CREATE INDEX coach_schedule_finished ON coach_schedule (done_ms) WHERE state <> 0",
        }};
  }

 private:
  std::string dsn_;
  std::string where_;
};

}  // namespace

std::unique_ptr<StorageBackend> make_postgres_backend(const std::string& dsn) {
  return std::make_unique<PostgresBackend>(dsn);
}

}  // namespace coach::core
