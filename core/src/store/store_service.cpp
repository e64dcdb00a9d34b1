// SPDX-License-Identifier: Apache-2.0
#include "store_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "logging.hpp"
#include "thread_name.hpp"

namespace coach::core {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr std::size_t kMaxIdleReaders = 8;

}  // namespace

std::int64_t as_int(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) return std::stoll(*s);
  return 0;
}

std::string as_bytes(SqlValue v) {
  if (auto* s = std::get_if<std::string>(&v)) return std::move(*s);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

bool is_null(const SqlValue& v) { return std::holds_alternative<std::monostate>(v); }

std::unique_ptr<StorageBackend> make_backend(const StoreConfig& config) {
  if (config.backend == "sqlite")
    return make_sqlite_backend(config.sqlite_path, config.sqlite_max_size_mb);
  if (config.backend == "postgresql") return make_postgres_backend(config.postgresql_dsn);
  throw StoreError(v1::STATUS_CODE_INTERNAL, "unknown store backend '" + config.backend + "'");
}

StoreService::StoreService(const StoreConfig& config)
    : config_(config), backend_(make_backend(config)), log_(make_logger("store")) {
  writer_ = backend_->connect();
  migrate(*writer_);
  thread_ = std::thread([this] {
    name_this_thread("coach-store");
    writer_loop();
  });
}

StoreService::~StoreService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreService::migrate(SqlConnection& conn) {
  const auto steps = backend_->migrations();
  conn.query(backend_->begin_sql());
  try {
    conn.query(backend_->migration_lock_sql());
    conn.query("CREATE TABLE IF NOT EXISTS coach_schema_version (version BIGINT NOT NULL)");
    auto rows = conn.query("SELECT version FROM coach_schema_version");
    int version = rows.empty() ? 0 : static_cast<int>(as_int(rows[0][0]));
    if (rows.empty()) conn.query("INSERT INTO coach_schema_version (version) VALUES (0)");
    if (version > static_cast<int>(steps.size())) {
      throw StoreError(v1::STATUS_CODE_FAILED_PRECONDITION,
                       fmt::format("{}: schema version {} is newer than this coachd knows ({})",
                                   backend_->describe(), version, steps.size()));
    }
    for (auto i = static_cast<std::size_t>(version); i < steps.size(); ++i) {
      for (const auto& sql : steps[i]) conn.query(sql);
      conn.query("UPDATE coach_schema_version SET version = $1",
                 {static_cast<std::int64_t>(i + 1)});
      log_->info("{}: schema migrated to version {}", backend_->describe(), i + 1);
    }
    conn.query("COMMIT");
    schema_version_ = static_cast<int>(steps.size());
  } catch (...) {
    try {
      conn.query("ROLLBACK");
    } catch (const StoreError&) {
      // The original error is the one worth reporting.
    }
    throw;
  }
}

StoreCounters StoreService::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void StoreService::submit(std::function<void(SqlConnection&)> run) {
  Job job;
  job.run = std::move(run);
  submit(job);
}

void StoreService::submit(Job& job) {
  enqueue(&job);
  job.done.acquire();
  if (job.error) std::rethrow_exception(job.error);
}

void StoreService::write_async(std::function<void(SqlConnection&)> fn,
                               std::function<void(std::exception_ptr)> done) {
  auto job = std::make_unique<Job>();
  job->run = std::move(fn);
  job->on_done = std::move(done);
  enqueue(job.get());
  job.release();  // the writer owns it now
}

void StoreService::write_planned_async(std::function<void(SqlBatch&)> plan,
                                       std::function<void(const SqlBatch&, std::size_t)> check,
                                       std::function<void(std::exception_ptr)> done,
                                       bool checks_versions) {
  auto job = std::make_unique<Job>();
  job->plan = std::move(plan);
  job->check = std::move(check);
  job->checks_versions = checks_versions;
  job->on_done = std::move(done);
  enqueue(job.get());
  job.release();  // the writer owns it now
}

void StoreService::enqueue(Job* job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw StoreError(v1::STATUS_CODE_SHUTTING_DOWN, "store is shutting down");
    queue_.push_back(job);
  }
  queued_.notify_one();
}

void StoreService::writer_loop() {
  std::vector<Job*> group;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been answered
      // Like PostgreSQL's commit_delay: the callers of the last group are about to write again;
      // waiting a moment for them puts more writes under one fsync. Only when they are expected,
      // so a lone writer never waits.
      const std::size_t expected = std::min<std::size_t>(expected_next_, config_.max_batch);
      if (queue_.size() < expected && config_.commit_delay_us > 0) {
        queued_.wait_for(lock, std::chrono::microseconds(config_.commit_delay_us),
                         [&] { return stopping_ || queue_.size() >= expected; });
      }
      while (!queue_.empty() && group.size() < config_.max_batch) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    const auto started = std::chrono::steady_clock::now();
    run_group(group);
    commit_latency_.record(std::chrono::steady_clock::now() - started);
    {
      std::lock_guard lock(mutex_);
      ++counters_.commits;
      for (Job* job : group) {
        ++counters_.writes;
        if (job->error) ++counters_.write_errors;
      }
      expected_next_ = queue_.size() + group.size();
    }
    for (Job* job : group) {
      if (job->on_done) {
        std::unique_ptr<Job> owned(job);
        try {
          owned->on_done(owned->error);
        } catch (const std::exception& e) {
          log_->error("write completion failed: {}", e.what());
        }
      } else {
        job->done.release();  // the caller may destroy the job right away
      }
    }
    group.clear();
  }
}

bool StoreService::ensure_writer(std::vector<Job*>& group) {
  if (writer_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < retry_at_) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
    auto error = std::make_exception_ptr(StoreError(
        v1::STATUS_CODE_UNAVAILABLE, fmt::format("{} (reconnecting; next attempt in {} ms)",
                                                 last_connect_error_, wait.count())));
    for (Job* job : group) job->error = error;
    return false;
  }
  try {
    writer_ = backend_->connect();
    log_->info("{}: reconnected", backend_->describe());
    backoff_ = std::chrono::milliseconds(0);
    std::lock_guard lock(mutex_);
    ++counters_.reconnects;
    return true;
  } catch (const StoreError& e) {
    backoff_ = std::min(kMaxBackoff, backoff_.count() ? backoff_ * 2 : kFirstBackoff);
    retry_at_ = now + backoff_;
    last_connect_error_ = e.what();
    log_->warn("{}; retrying in {} ms", e.what(), backoff_.count());
    auto error = std::current_exception();
    for (Job* job : group) job->error = error;
    return false;
  }
}

bool StoreService::begin_group(std::vector<Job*>& group) {
  // A connection that died while idle (the server restarted) fails at BEGIN, before anything of
  // the group ran: reconnecting and starting over once is safe.
  for (int attempt = 0;; ++attempt) {
    if (!ensure_writer(group)) return false;
    try {
      writer_->query(backend_->begin_sql());
      return true;
    } catch (const StoreError& e) {
      writer_.reset();
      if (e.connection_lost() && attempt == 0) {
        retry_at_ = {};
        continue;
      }
      last_connect_error_ = e.what();
      retry_at_ = std::chrono::steady_clock::now();
      fail_group(group, std::current_exception());
      return false;
    }
  }
}

void StoreService::fail_group(std::vector<Job*>& group, std::exception_ptr error) {
  for (Job* job : group) {
    if (!job->error) job->error = error;
  }
}

void StoreService::lose_writer(std::vector<Job*>& group, const StoreError& e) {
  log_->error("{}", e.what());
  last_connect_error_ = e.what();
  writer_.reset();
  retry_at_ = std::chrono::steady_clock::now();  // first reconnect right away
  // The transaction is gone: nothing of the group was kept, whatever each job did.
  for (Job* job : group) job->error = std::make_exception_ptr(e);
}

bool StoreService::rollback_group(std::vector<Job*>& group) {
  try {
    writer_->query("ROLLBACK");
    return true;
  } catch (const StoreError& e) {
    if (e.connection_lost()) {
      lose_writer(group, e);
    } else {
      writer_.reset();  // state unknown: start over on a fresh connection
      fail_group(group, std::current_exception());
    }
    return false;
  }
}

void StoreService::run_job(Job& job) {
  if (!job.plan) return job.run(*writer_);
  SqlBatch batch;
  job.plan(batch);
  writer_->run_batch(batch);
  job.check(batch, 0);
}

bool StoreService::run_jobs_batched(std::vector<Job*>& group, bool& began) {
  SqlBatch batch;
  std::vector<std::size_t> firsts;
  bool commit_in_batch = true;
  for (const Job* job : group) commit_in_batch &= job->plan && !job->checks_versions;
  for (std::size_t i = 0; i < group.size();) {
    if (!group[i]->plan) {
      if (!began) writer_->query(backend_->begin_sql());
      began = true;
      group[i++]->run(*writer_);
      continue;
    }
    // Planned jobs in a row share one batch; the order of the group's writes is kept. BEGIN
    // travels with the first batch: one round trip fewer.
    std::size_t end = i;
    batch.clear();
    firsts.clear();
    if (!began) batch.add(backend_->begin_sql(), {});
    for (; end < group.size() && group[end]->plan; ++end) {
      firsts.push_back(batch.size());
      group[end]->plan(batch);
    }
    if (commit_in_batch) batch.add("COMMIT", {});
    try {
      writer_->run_batch(batch);
    } catch (...) {
      began |= batch.answered > 0;
      throw;
    }
    began = true;
    for (std::size_t k = i; k < end; ++k) {
      try {
        group[k]->check(batch, firsts[k - i]);
      } catch (...) {
        if (!commit_in_batch) throw;
        group[k]->error = std::current_exception();  // committed already: fails only its own write
      }
    }
    i = end;
  }
  return commit_in_batch;
}

void StoreService::run_group(std::vector<Job*>& group) {
  // Fast path: every job in one transaction, no savepoints.
  bool clean = true;
  bool committed = false;
  for (int attempt = 0;; ++attempt) {
    if (!ensure_writer(group)) return;
    bool began = false;
    try {
      committed = run_jobs_batched(group, began);
    } catch (const StoreError& e) {
      if (!e.connection_lost()) {
        clean = false;
      } else if (attempt == 0 && !began) {
        // The connection died while idle (the server restarted) and not even BEGIN reached the
        // server, so nothing of the group ran: once more on a new connection.
        writer_.reset();
        retry_at_ = {};
        continue;
      } else {
        return lose_writer(group, e);
      }
    } catch (...) {
      clean = false;
    }
    break;
  }
  if (!clean) {
    // A job failed: undo everything and run the group again, each job in its own savepoint, so
    // the failing one rolls back alone. Jobs are functions of the database, safe to run again.
    if (!rollback_group(group) || !begin_group(group)) return;
    try {
      for (Job* job : group) {
        writer_->query("SAVEPOINT job");
        try {
          run_job(*job);
        } catch (const StoreError& e) {
          if (e.connection_lost()) throw;
          job->error = std::current_exception();
        } catch (...) {
          job->error = std::current_exception();
        }
        if (job->error) writer_->query("ROLLBACK TO SAVEPOINT job");
        writer_->query("RELEASE SAVEPOINT job");
      }
    } catch (const StoreError& e) {
      if (e.connection_lost()) return lose_writer(group, e);
      // The transaction itself failed (a savepoint): nothing in it is kept.
      fail_group(group, std::current_exception());
      rollback_group(group);
      return;
    }
  }
  if (committed) return;
  try {
    writer_->query("COMMIT");
  } catch (const StoreError& e) {
    if (e.connection_lost()) return lose_writer(group, e);
    log_->error("commit of {} write(s) failed: {}", group.size(), e.what());
    fail_group(group, std::current_exception());
    rollback_group(group);
  }
}

StoreService::Lease::Lease(StoreService& owner) : owner_(owner) {
  {
    std::lock_guard lock(owner_.pool_mutex_);
    if (!owner_.readers_.empty()) {
      conn_ = std::move(owner_.readers_.back());
      owner_.readers_.pop_back();
      pooled_ = true;
    }
  }
  if (!conn_) conn_ = owner_.backend_->connect();
}

StoreService::Lease::~Lease() {
  if (!conn_) return;
  std::lock_guard lock(owner_.pool_mutex_);
  if (owner_.readers_.size() < kMaxIdleReaders) owner_.readers_.push_back(std::move(conn_));
}

}  // namespace coach::core
