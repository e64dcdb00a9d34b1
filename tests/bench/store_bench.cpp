// SPDX-License-Identifier: Apache-2.0
// Acknowledged-durable store throughput, next to a raw SQLite loop of one durable transaction per
// insert (WAL, synchronous=FULL: the same settings) measured in the same run. For each backend:
// puts/s with one writer and with N writers in flight (group commit), and gets/s with N readers.
// Then a paged scan of --scan-keys keys: the first and the last pages' times (a scan must cost
// what it returns, not what came before it) and the full scan next to a raw SQLite loop over the
// same rows. PostgreSQL runs on a throwaway cluster started with tests/pg.sh unless --dsn names
// one.
#include <fmt/format.h>
#include <sqlite3.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon_process.hpp"
#include "raw_sqlite.hpp"
#include "store/plugin_store.hpp"
#include "store/store_service.hpp"
#include "store/store_tables.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using coach::core::PluginStore;
using coach::core::StoreConfig;
using coach::core::StoreService;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// threads writers (or readers) each doing ops_each operations; returns operations per second.
template <typename Op>
double run_parallel(int threads, int ops_each, Op op) {
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ++ready;
      while (!go) std::this_thread::yield();
      for (int i = 0; i < ops_each; ++i) op(t, i);
    });
  }
  while (ready < threads) std::this_thread::yield();
  auto t0 = Clock::now();
  go = true;
  for (auto& th : pool) th.join();
  return threads * ops_each / seconds_since(t0);
}

// One client thread keeping in_flight puts queued (as a pipelining client does on the bus): each
// completion, on the writer thread, queues the next.
double pipelined_puts(StoreService& service, int ops, int in_flight, const std::string& value) {
  const std::string tenant = "bench";
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<int> failed{0};
  std::mutex m;
  std::condition_variable all_done;
  std::function<void()> next = [&] {
    const int i = started++;
    if (i >= ops) return;
    // The same planned write a plugin's put() makes.
    auto put = std::make_shared<std::vector<coach::WriteOp>>(
        std::vector<coach::WriteOp>{{coach::WriteOp::Kind::kPut, fmt::format("p/{}", i), value}});
    service.write_planned_async(
        [&, put](coach::core::SqlBatch& batch) {
          coach::core::kv_write_plan(batch, {tenant, "pipelined"}, *put);
        },
        [put](const coach::core::SqlBatch& batch, std::size_t first) {
          coach::core::kv_write_result(batch, first, *put);
        },
        [&](std::exception_ptr error) {
          if (error) ++failed;
          if (++finished == ops) {
            std::lock_guard lock(m);
            all_done.notify_all();
          }
          next();
        },
        /*checks_versions=*/false);
  };
  auto t0 = Clock::now();
  for (int k = 0; k < in_flight; ++k) next();
  std::unique_lock lock(m);
  all_done.wait(lock, [&] { return finished.load() == ops; });
  if (failed) throw std::runtime_error(std::to_string(failed.load()) + " pipelined puts failed");
  return ops / seconds_since(t0);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct ScanFigures {
  double first_pages_ms = 0;  // median of the first 5 pages
  double last_pages_ms = 0;   // median of the last 5 pages
  double full_ms = 0;
  std::size_t pages = 0;
};

// Loads keys scan/<i> (in batches of 1000), then reads them all back in pages of page_size.
ScanFigures measure_scan(StoreService& service, int keys, std::uint32_t page_size,
                         const std::string& value) {
  const std::string tenant = "bench";
  PluginStore store(service, "scan", &tenant);
  for (int i = 0; i < keys;) {
    coach::WriteBatch batch;
    for (int j = 0; j < 1000 && i < keys; ++j, ++i)
      batch.put_bytes(fmt::format("scan/{:08d}", i), value);
    store.commit(batch);
  }
  std::vector<double> page_ms;
  std::string after;
  std::size_t seen = 0;
  auto t0 = Clock::now();
  do {
    auto p0 = Clock::now();
    auto page = store.scan("scan/", after, page_size);
    page_ms.push_back(seconds_since(p0) * 1000);
    seen += page.items.size();
    after = page.next_after;
  } while (!after.empty());
  ScanFigures f;
  f.full_ms = seconds_since(t0) * 1000;
  if (seen != static_cast<std::size_t>(keys))
    throw std::runtime_error(fmt::format("scan saw {} of {} keys", seen, keys));
  const std::size_t k = std::min<std::size_t>(5, page_ms.size());
  f.first_pages_ms = median({page_ms.begin(), page_ms.begin() + static_cast<std::ptrdiff_t>(k)});
  f.last_pages_ms = median({page_ms.end() - static_cast<std::ptrdiff_t>(k), page_ms.end()});
  f.pages = page_ms.size();
  return f;
}

// The same rows read by one SQLite statement stepping through the table: the floor for a scan.
double raw_sqlite_scan_ms(const std::string& path, int expect) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT key, value, version FROM coach_kv WHERE tenant = 'bench' AND"
                     " plugin = 'scan' ORDER BY key",
                     -1, &stmt, nullptr);
  auto t0 = Clock::now();
  int rows = 0;
  std::size_t bytes = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    bytes +=
        static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0) + sqlite3_column_bytes(stmt, 1));
    ++rows;
  }
  const double ms = seconds_since(t0) * 1000;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rows != expect || bytes == 0)
    throw std::runtime_error(fmt::format("raw scan saw {} of {} rows", rows, expect));
  return ms;
}

struct BackendFigures {
  double puts_1 = 0;
  double puts_n = 0;
  double puts_pipelined = 0;
  double gets_n = 0;
  double writes_per_commit = 0;
};

BackendFigures measure(const StoreConfig& config, int ops, int in_flight,
                       const std::string& value) {
  StoreService service(config);
  const std::string tenant = "bench";
  BackendFigures f;
  {
    PluginStore store(service, "bench1", &tenant);
    f.puts_1 = run_parallel(1, ops / 4,
                            [&](int, int i) { store.put_bytes(fmt::format("one/{}", i), value); });
  }
  const auto before = service.counters();
  f.puts_n = run_parallel(in_flight, ops / in_flight, [&](int t, int i) {
    thread_local std::unique_ptr<PluginStore> store;
    if (!store) store = std::make_unique<PluginStore>(service, "bench", &tenant);
    store->put_bytes(fmt::format("k/{}/{}", t, i), value);
  });
  f.puts_pipelined = pipelined_puts(service, ops, in_flight, value);
  const auto after = service.counters();
  f.writes_per_commit =
      static_cast<double>(after.writes - before.writes) /
      static_cast<double>(std::max<std::uint64_t>(1, after.commits - before.commits));
  const int per = ops / in_flight;
  f.gets_n = run_parallel(in_flight, ops / in_flight, [&](int t, int i) {
    thread_local std::unique_ptr<PluginStore> store;
    if (!store) store = std::make_unique<PluginStore>(service, "bench", &tenant);
    if (!store->get_bytes(fmt::format("k/{}/{}", (t + 1) % in_flight, (i * 7) % per)))
      throw std::runtime_error("missing key");
  });
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coach_store_bench: durable store puts/gets against a naive SQLite loop"};
  int ops = 8000, in_flight = 16, value_bytes = 200;
  std::uint32_t commit_delay_us = StoreConfig().commit_delay_us;
  int scan_keys = 100000;
  std::uint32_t page_size = 500;
  std::string backends = "all", dsn;
  app.add_option("--ops", ops, "Operations per measurement")->capture_default_str();
  app.add_option("--in-flight", in_flight, "Concurrent writers/readers")->capture_default_str();
  app.add_option("--value-bytes", value_bytes, "Bytes per value")->capture_default_str();
  app.add_option("--backend", backends, "sqlite, postgresql or all")
      ->check(CLI::IsMember({"sqlite", "postgresql", "all"}))
      ->capture_default_str();
  app.add_option("--commit-delay-us", commit_delay_us, "store.commit_delay_us")
      ->capture_default_str();
  app.add_option("--scan-keys", scan_keys, "Keys loaded for the paged scan (0: skip it)")
      ->capture_default_str();
  app.add_option("--page-size", page_size, "Keys per scan page")->capture_default_str();
  app.add_option("--dsn", dsn, "PostgreSQL to use (default: a throwaway cluster via tests/pg.sh)");
  CLI11_PARSE(app, argc, argv);

  coach::testing::TempDir dir;
  const std::string value(static_cast<std::size_t>(value_bytes), 'v');
  std::printf("coach_store_bench: %d ops, %d in flight, %d-byte values, dir %s\n", ops, in_flight,
              value_bytes, dir.path().c_str());

  // One BEGIN / INSERT / COMMIT per row: what a store without group commit costs.
  const double naive = coach::testing::raw_sqlite_rows_per_s(
      dir.file("naive.db"), static_cast<std::size_t>(ops / 4), value, 1);
  std::printf("baseline  raw SQLite, one durable transaction per insert: %8.0f puts/s\n", naive);

  std::vector<std::string> list;
  if (backends == "all" || backends == "sqlite") list.push_back("sqlite");
  if (backends == "all" || backends == "postgresql") list.push_back("postgresql");
  int status = 0;
  bool started_pg = false;
  for (const auto& backend : list) {
    StoreConfig config;
    config.backend = backend;
    config.commit_delay_us = commit_delay_us;
    config.sqlite_path = dir.file("store.db");
    if (backend == "postgresql") {
      if (dsn.empty()) {
        auto r = coach::testing::run_command(
            {COACH_SOURCE_DIR "/tests/pg.sh", "start", dir.file("pg"), "45999"});
        if (r.exit_code != 0) {
          std::fprintf(stderr, "cannot start PostgreSQL: %s\n", r.output.c_str());
          return 1;
        }
        dsn = r.output.substr(0, r.output.find('\n'));
        started_pg = true;
      }
      config.postgresql_dsn = dsn;
    }
    auto t0 = Clock::now();
    try {
      auto f = measure(config, ops, in_flight, value);
      std::printf("%-10s puts, 1 caller:                       %8.0f/s  (%.1fx naive)\n",
                  backend.c_str(), f.puts_1, f.puts_1 / naive);
      std::printf("%-10s puts, %2d blocking callers (threads): %8.0f/s  (%.1fx naive)\n",
                  backend.c_str(), in_flight, f.puts_n, f.puts_n / naive);
      std::printf(
          "%-10s puts, %2d in flight from one client:  %8.0f/s  (%.1fx naive; target >= 5x)\n",
          backend.c_str(), in_flight, f.puts_pipelined, f.puts_pipelined / naive);
      std::printf("%-10s %.1f writes per commit; gets, %d reader threads: %8.0f/s  [%.1f s]\n",
                  backend.c_str(), f.writes_per_commit, in_flight, f.gets_n, seconds_since(t0));
      if (scan_keys > 0) {
        StoreService service(config);
        auto t1 = Clock::now();
        auto sf = measure_scan(service, scan_keys, page_size, value);
        std::printf(
            "%-10s scan of %d keys in %zu pages of %u: first pages %.2f ms, last pages %.2f ms"
            " (last/first %.2fx; target <= 2x), full scan %.0f ms",
            backend.c_str(), scan_keys, sf.pages, page_size, sf.first_pages_ms, sf.last_pages_ms,
            sf.last_pages_ms / std::max(sf.first_pages_ms, 1e-6), sf.full_ms);
        if (backend == "sqlite") {
          const double raw = raw_sqlite_scan_ms(config.sqlite_path, scan_keys);
          std::printf(" vs raw SQLite loop %.0f ms (%.1fx)", raw, sf.full_ms / std::max(raw, 1e-6));
        }
        std::printf("  [%.1f s]\n", seconds_since(t1));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", backend.c_str(), e.what());
      status = 1;
    }
  }
  if (started_pg)
    coach::testing::run_command({COACH_SOURCE_DIR "/tests/pg.sh", "destroy", dir.file("pg")});
  return status;
}
