// SPDX-License-Identifier: Apache-2.0
// StoreService: the daemon's one door to the database. write() runs a function inside the
// current group transaction on the single writer connection and returns once that transaction
// is committed and durable; functions queued while a commit is in progress run together in the
// next one (group commit: one commit and one fsync for all of them). A group runs first without
// savepoints, its planned writes (write_planned) in one batch: on PostgreSQL BEGIN and all their
// statements cost one round trip. If any write fails, the group runs again with a savepoint per
// write, so the failing one rolls back alone. read() runs on a pooled reader connection
// and sees everything acknowledged. When the database goes away, callers get UNAVAILABLE and the
// writer reconnects with backoff; nothing is acknowledged that was not committed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "config.hpp"
#include "latency_histogram.hpp"
#include "sql_connection.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

// Thrown inside a write function to roll back its own savepoint without it being an error
// (e.g. a compare-and-set whose version did not match).
struct RolledBack {};

struct StoreCounters {
  std::uint64_t commits = 0;
  std::uint64_t writes = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t reconnects = 0;
};

class StoreService {
 public:
  // Connects and runs the schema migrations. Throws StoreError naming the backend and the reason.
  explicit StoreService(const StoreConfig& config);
  ~StoreService();
  StoreService(const StoreService&) = delete;
  StoreService& operator=(const StoreService&) = delete;

  // Runs fn(SqlConnection&) in the next group transaction and returns its result once that
  // transaction is durable. Throws StoreError, RolledBack, or what fn threw (its writes undone).
  // fn may run more than once (when another write of its group fails, the group runs again), so
  // it must act only on the connection and on state it resets itself.
  template <typename Fn>
  auto write(Fn&& fn) -> std::invoke_result_t<Fn&, SqlConnection&> {
    using R = std::invoke_result_t<Fn&, SqlConnection&>;
    if constexpr (std::is_void_v<R>) {
      submit([&](SqlConnection& c) { fn(c); });
    } else {
      std::optional<R> result;
      submit([&](SqlConnection& c) { result.emplace(fn(c)); });
      return std::move(*result);
    }
  }

  // A write whose statements are known before it runs: plan(SqlBatch&) adds them, and
  // check(const SqlBatch&, first) reads their rows from index first on, returning the result or
  // throwing RolledBack. Planned writes next to each other in a group share one batch, which
  // PostgreSQL runs in one round trip (pipeline mode) instead of one per statement. Like fn of
  // write(), both may run more than once.
  //
  // checks_versions false promises that check never throws RolledBack (no version condition):
  // a group made only of such writes sends its COMMIT in the same batch.
  template <typename Plan, typename Check>
  auto write_planned(Plan&& plan, Check&& check, bool checks_versions = true)
      -> std::invoke_result_t<Check&, const SqlBatch&, std::size_t> {
    using R = std::invoke_result_t<Check&, const SqlBatch&, std::size_t>;
    std::optional<R> result;
    Job job;
    job.checks_versions = checks_versions;
    job.plan = [&](SqlBatch& batch) { plan(batch); };
    job.check = [&](const SqlBatch& batch, std::size_t first) {
      result.emplace(check(batch, first));
    };
    submit(job);
    return std::move(*result);
  }

  // Queues fn like write() without waiting: done(error) runs on the writer thread once fn's
  // transaction is over (error null: durable). done must be quick and must not wait for the
  // store; it may queue more writes. For callers that keep many writes in flight.
  void write_async(std::function<void(SqlConnection&)> fn,
                   std::function<void(std::exception_ptr)> done);
  // write_planned without waiting, as write_async.
  void write_planned_async(std::function<void(SqlBatch&)> plan,
                           std::function<void(const SqlBatch&, std::size_t)> check,
                           std::function<void(std::exception_ptr)> done,
                           bool checks_versions = true);

  // Runs fn(SqlConnection&) on a reader connection. Throws StoreError or what fn threw. A read
  // that finds its pooled connection dead (the server restarted) is retried once on a new one.
  template <typename Fn>
  auto read(Fn&& fn) -> std::invoke_result_t<Fn&, SqlConnection&> {
    for (int attempt = 0;; ++attempt) {
      Lease lease(*this);
      try {
        return fn(lease.connection());
      } catch (const StoreError& e) {
        if (!e.connection_lost()) throw;
        lease.discard();
        if (attempt > 0 || !lease.was_pooled()) throw;
      }
    }
  }

  const StorageBackend& backend() const { return *backend_; }
  std::string describe() const { return backend_->describe(); }
  StoreCounters counters() const;
  // How long each group commit took, until durable.
  const LatencyHistogram& commit_latency() const { return commit_latency_; }
  // The schema version after migrations.
  int schema_version() const { return schema_version_; }

 private:
  struct Job {
    std::function<void(SqlConnection&)> run;
    // Set instead of run for a planned write.
    std::function<void(SqlBatch&)> plan;
    std::function<void(const SqlBatch&, std::size_t)> check;
    bool checks_versions = true;
    std::exception_ptr error;
    // Released by the writer when the job's transaction is over: wakes exactly this caller.
    std::binary_semaphore done{0};
    // Set for write_async: called instead, and the writer deletes the job.
    std::function<void(std::exception_ptr)> on_done;
  };

  // A reader connection borrowed from the pool; returned unless discarded.
  class Lease {
   public:
    explicit Lease(StoreService& owner);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SqlConnection& connection() { return *conn_; }
    void discard() { conn_.reset(); }
    bool was_pooled() const { return pooled_; }

   private:
    StoreService& owner_;
    std::unique_ptr<SqlConnection> conn_;
    bool pooled_ = false;
  };

  void submit(std::function<void(SqlConnection&)> run);
  void submit(Job& job);
  void enqueue(Job* job);
  // Runs one job on the writer connection, a planned one in a batch of its own.
  void run_job(Job& job);
  // Runs the whole group, planned writes next to each other in one batch; throws on the first
  // failure. began: the server has started the group's transaction (before that, a lost
  // connection lost nothing). Returns true when the group's COMMIT went in its batch, which it
  // does when no write of the group can roll back on a version check.
  bool run_jobs_batched(std::vector<Job*>& group, bool& began);
  void writer_loop();
  void run_group(std::vector<Job*>& group);
  bool ensure_writer(std::vector<Job*>& group);
  bool begin_group(std::vector<Job*>& group);
  bool rollback_group(std::vector<Job*>& group);
  void lose_writer(std::vector<Job*>& group, const StoreError& e);
  static void fail_group(std::vector<Job*>& group, std::exception_ptr error);
  void migrate(SqlConnection& conn);

  StoreConfig config_;
  std::unique_ptr<StorageBackend> backend_;
  std::shared_ptr<spdlog::logger> log_;
  int schema_version_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  StoreCounters counters_;
  LatencyHistogram commit_latency_;
  std::size_t expected_next_ = 0;  // writes likely in the next group (see writer_loop)

  // Writer thread only.
  std::unique_ptr<SqlConnection> writer_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_connect_error_;

  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<SqlConnection>> readers_;

  std::thread thread_;
};

// Makes the backend config names; throws StoreError for an unknown backend.
std::unique_ptr<StorageBackend> make_backend(const StoreConfig& config);

}  // namespace coach::core
