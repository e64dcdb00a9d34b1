// SPDX-License-Identifier: Apache-2.0
// The store's conformance suite: the same cases against SQLite and PostgreSQL.
#include <fmt/format.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "coach/staged_store.hpp"
#include "coach/testing.hpp"
#include "store/plugin_store.hpp"
#include "store/store_tables.hpp"
#include "store_backends.hpp"

namespace coach::testing {
namespace {

using core::EntryState;
using core::SqlConnection;
using core::StoreError;
using core::StoreService;
using google::protobuf::StringValue;

StringValue text(const std::string& s) {
  StringValue v;
  v.set_value(s);
  return v;
}

// The coach::Store contract, as a plugin sees it: the daemon's backends and coach/testing.hpp's
// MemoryStore must all pass it.
class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      memory_ = std::make_unique<coach::testing::MemoryStore>();
      store_ = memory_.get();
      return;
    }
    COACH_REQUIRE_BACKEND(GetParam());
    service_ = std::make_unique<StoreService>(store_config(GetParam(), dir_));
    plugin_store_ = std::make_unique<core::PluginStore>(*service_, plugin_, &tenant_);
    store_ = plugin_store_.get();
  }
  // Commits so far, to check that a batch costs one.
  std::uint64_t commits() const {
    return service_ ? service_->counters().commits : memory_->commits();
  }

  TempDir dir_;
  std::string tenant_ = unique_name("t");
  std::string plugin_ = unique_name("p");
  std::unique_ptr<StoreService> service_;
  std::unique_ptr<core::PluginStore> plugin_store_;
  std::unique_ptr<coach::testing::MemoryStore> memory_;
  Store* store_ = nullptr;
};

// What only the daemon's backends do: group commit, scheduling, migrations, pruning, scopes.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    COACH_REQUIRE_BACKEND(GetParam());
    service_ = std::make_unique<StoreService>(store_config(GetParam(), dir_));
    store_ = std::make_unique<core::PluginStore>(*service_, plugin_, &tenant_);
  }

  TempDir dir_;
  std::string tenant_ = unique_name("t");
  std::string plugin_ = unique_name("p");
  std::unique_ptr<StoreService> service_;
  std::unique_ptr<core::PluginStore> store_;
};

TEST_P(StoreConformance, PutGetAndVersions) {
  EXPECT_FALSE(store_->get<StringValue>("case/1"));
  EXPECT_EQ(store_->put("case/1", text("open")), 1);
  EXPECT_EQ(store_->put("case/1", text("solved")), 2);
  std::int64_t version = 0;
  auto got = store_->get<StringValue>("case/1", &version);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value(), "solved");
  EXPECT_EQ(version, 2);
  store_->erase("case/1");
  EXPECT_FALSE(store_->get_bytes("case/1"));
}

TEST_P(StoreConformance, BinaryKeysAndValuesRoundTrip) {
  const std::string key("k\0\xff\x01", 4);
  const std::string value("\0\x80\xff zero", 8);
  store_->put_bytes(key, value);
  store_->put_bytes("empty", "");
  auto got = store_->get_bytes(key);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, value);
  auto empty = store_->get_bytes("empty");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->value, "");
}

TEST_P(StoreConformance, ScanIsOrderedAndPaginated) {
  for (int i = 0; i < 25; ++i) store_->put(fmt::format("a/{:02}", i), text(std::to_string(i)));
  store_->put("b/0", text("other prefix"));
  store_->put(std::string("a\xff"), text("after a/ in byte order"));
  std::vector<std::string> keys;
  std::string after;
  int pages = 0;
  do {
    auto page = store_->scan("a/", after, 10);
    ++pages;
    for (auto& item : page.items) keys.push_back(item.key);
    after = page.next_after;
  } while (!after.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(keys.size(), 25u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(keys.front(), "a/00");
  EXPECT_EQ(keys.back(), "a/24");
  EXPECT_EQ(store_->scan("", "", 1000).items.size(), 27u);
  EXPECT_EQ(store_->scan(std::string("a\xff")).items.size(), 1u);
  // start_after is the one lower bound when it is past the prefix; before it, the prefix is.
  EXPECT_EQ(store_->scan("a/", "a/1", 100).items.front().key, "a/10");
  EXPECT_EQ(store_->scan("a/", "a", 100).items.size(), 25u);
  EXPECT_EQ(store_->scan("a/", "0", 100).items.front().key, "a/00");
  EXPECT_TRUE(store_->scan("a/", "b", 100).items.empty());
}

TEST_P(StoreConformance, CompareAndSetChecksTheVersion) {
  EXPECT_EQ(store_->compare_and_set("k", coach::kMustNotExist, text("first")), 1);
  EXPECT_FALSE(store_->compare_and_set("k", coach::kMustNotExist, text("again")));
  EXPECT_FALSE(store_->compare_and_set("k", 7, text("stale")));
  EXPECT_EQ(store_->compare_and_set("k", 1, text("second")), 2);
  EXPECT_EQ(store_->get<StringValue>("k")->value(), "second");
}

TEST_P(StoreConformance, BatchIsAllOrNothing) {
  store_->put("y", text("y1"));
  coach::WriteBatch bad;
  bad.put("x", text("x1")).put("y", text("y2"), /*expected_version=*/5).erase("y");
  EXPECT_FALSE(store_->commit(bad));
  EXPECT_FALSE(store_->get_bytes("x"));
  EXPECT_EQ(store_->get<StringValue>("y")->value(), "y1");

  coach::WriteBatch good;
  good.put("x", text("x1"), coach::kMustNotExist).put("y", text("y2"), 1).erase("z");
  std::vector<std::int64_t> versions;
  EXPECT_TRUE(store_->commit(good, &versions));
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 0}));
}

TEST_P(StoreTest, KeysAreScopedByTenantAndPlugin) {
  const std::string other_tenant = unique_name("t");
  const std::string other_plugin = unique_name("p");
  core::PluginStore same_plugin_other_tenant(*service_, plugin_, &other_tenant);
  core::PluginStore other_plugin_same_tenant(*service_, other_plugin, &tenant_);
  store_->put("secret", text("mine"));
  EXPECT_FALSE(same_plugin_other_tenant.get_bytes("secret"));
  EXPECT_FALSE(other_plugin_same_tenant.get_bytes("secret"));
  EXPECT_TRUE(same_plugin_other_tenant.scan("").items.empty());
  EXPECT_TRUE(other_plugin_same_tenant.scan("").items.empty());
  // Writing the same key elsewhere does not touch ours.
  other_plugin_same_tenant.put("secret", text("theirs"));
  same_plugin_other_tenant.erase("secret");
  EXPECT_EQ(store_->get<StringValue>("secret")->value(), "mine");
  EXPECT_EQ(other_plugin_same_tenant.get<StringValue>("secret")->value(), "theirs");

  auto stats = service_->read([](SqlConnection& c) { return core::kv_stats(c, 0); });
  int mine = 0;
  for (const auto& s : stats) {
    if (s.tenant == tenant_ && s.plugin == plugin_) {
      ++mine;
      EXPECT_EQ(s.keys, 1);
      EXPECT_EQ(s.bytes, static_cast<std::int64_t>(std::string("secret").size() +
                                                   text("mine").SerializeAsString().size()));
    }
  }
  EXPECT_EQ(mine, 1);
}

TEST_P(StoreConformance, BadKeysAndCorruptValuesAreErrorsNotCrashes) {
  try {
    store_->put_bytes("", "x");
    FAIL() << "empty key accepted";
  } catch (const coach::Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  }
  try {
    store_->put_bytes(std::string(2000, 'k'), "x");
    FAIL() << "oversized key accepted";
  } catch (const coach::Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_INVALID_ARGUMENT);
  }
  store_->put_bytes("garbage", std::string("\xff\xff\xff\xff", 4));
  try {
    store_->get<StringValue>("garbage");
    FAIL() << "corrupt value parsed";
  } catch (const coach::Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_DATA_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("google.protobuf.StringValue"), std::string::npos);
  }
}

TEST_P(StoreTest, ConcurrentWritersShareCommits) {
  constexpr int kThreads = 16;
  constexpr int kEach = 40;
  const auto before = service_->counters();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      core::PluginStore s(*service_, plugin_, &tenant_);
      for (int i = 0; i < kEach; ++i) s.put(fmt::format("w/{}/{}", t, i), text("v"));
    });
  }
  for (auto& th : threads) th.join();
  const auto after = service_->counters();
  EXPECT_EQ(after.writes - before.writes, static_cast<std::uint64_t>(kThreads * kEach));
  // Group commit: writes that arrive together share a transaction.
  EXPECT_LT(after.commits - before.commits, after.writes - before.writes);
  std::size_t n = 0;
  std::string after_key;
  do {
    auto page = store_->scan("w/", after_key, 1000);
    n += page.items.size();
    after_key = page.next_after;
  } while (!after_key.empty());
  EXPECT_EQ(n, static_cast<std::size_t>(kThreads * kEach));
}

// Planned writes of one group share a batch (one round trip on PostgreSQL). The group keeps the
// order its writes were queued in, and a write whose version check fails rolls back alone.
TEST_P(StoreTest, AGroupKeepsItsOrderAndAFailedCheckRollsBackAlone) {
  const core::StoreScope scope{tenant_, plugin_};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> completed{0};
  std::vector<std::exception_ptr> errors(6);
  auto done = [&](int slot) {
    return [&, slot](std::exception_ptr e) {
      errors[static_cast<std::size_t>(slot)] = e;
      ++completed;
    };
  };
  auto put = [&](int slot, std::string key, std::string value, std::int64_t expected) {
    auto ops = std::make_shared<std::vector<coach::WriteOp>>(std::vector<coach::WriteOp>{
        {coach::WriteOp::Kind::kPut, std::move(key), std::move(value), expected}});
    service_->write_planned_async(
        [ops, scope](core::SqlBatch& b) { core::kv_write_plan(b, scope, *ops); },
        [ops](const core::SqlBatch& b, std::size_t first) {
          core::kv_write_result(b, first, *ops);
        },
        done(slot));
  };
  const auto before = service_->counters();
  // Holds the writer so that everything after it is queued by the time it looks again.
  service_->write_async([released](SqlConnection&) { released.wait(); }, done(0));
  put(1, "order", "first", coach::kAnyVersion);
  put(2, "order", "never", coach::kMustNotExist);  // exists by then: rolled back alone
  service_->write_async(
      [scope](SqlConnection& c) {
        core::kv_write(c, scope,
                       {{coach::WriteOp::Kind::kPut, "plain", "closure", coach::kAnyVersion}});
      },
      done(3));
  put(4, "order", "second", 1);  // the version "first" got
  put(5, "other", "x", coach::kAnyVersion);
  release.set_value();
  while (completed < 6) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  EXPECT_FALSE(errors[0] || errors[1] || errors[3] || errors[4] || errors[5]);
  ASSERT_TRUE(errors[2]);
  EXPECT_THROW(std::rethrow_exception(errors[2]), core::RolledBack);
  auto order = store_->get_bytes("order");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->value, "second");
  EXPECT_EQ(order->version, 2);
  EXPECT_EQ(store_->get_bytes("plain")->value, "closure");
  EXPECT_EQ(store_->get_bytes("other")->value, "x");
  const auto after = service_->counters();
  EXPECT_EQ(after.writes - before.writes, 6u);
  EXPECT_LE(after.commits - before.commits, 2u);  // the five queued together share one commit
}

// A statement that fails inside a batch fails only its own write, and the connection serves on.
// The writes here have no version checks, so the group's COMMIT travels in its batch; the
// failure must keep it from committing anything of the failing write.
TEST_P(StoreTest, AFailingStatementInABatchFailsOnlyItsWrite) {
  const core::StoreScope scope{tenant_, plugin_};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> completed{0};
  std::exception_ptr held, bad, good;
  auto put_ops = [](std::string key) {
    return std::make_shared<std::vector<coach::WriteOp>>(
        std::vector<coach::WriteOp>{{coach::WriteOp::Kind::kPut, std::move(key), "v"}});
  };
  service_->write_planned_async([released](core::SqlBatch&) { released.wait(); },
                                [](const core::SqlBatch&, std::size_t) {},
                                [&](std::exception_ptr e) { held = e, ++completed; }, false);
  auto half = put_ops("half");
  service_->write_planned_async(
      [half, scope](core::SqlBatch& b) {
        core::kv_write_plan(b, scope, *half);
        b.add("UPDATE no_such_table SET x = 1", {});
      },
      [](const core::SqlBatch&, std::size_t) {},
      [&](std::exception_ptr e) { bad = e, ++completed; }, false);
  auto after = put_ops("after");
  service_->write_planned_async(
      [after, scope](core::SqlBatch& b) { core::kv_write_plan(b, scope, *after); },
      [after](const core::SqlBatch& b, std::size_t first) {
        core::kv_write_result(b, first, *after);
      },
      [&](std::exception_ptr e) { good = e, ++completed; }, false);
  release.set_value();
  while (completed < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(held);
  EXPECT_FALSE(good);
  ASSERT_TRUE(bad);
  EXPECT_THROW(std::rethrow_exception(bad), StoreError);
  EXPECT_FALSE(store_->get_bytes("half"));  // the failing write's own put was undone
  EXPECT_EQ(store_->get_bytes("after")->value, "v");
  EXPECT_EQ(store_->put_bytes("later", "still serving"), 1);
}

// More statements than PostgreSQL's pipeline keeps unread at once (results are read as it goes).
TEST_P(StoreConformance, ALargeBatchCommitsWhole) {
  coach::WriteBatch batch;
  for (int i = 0; i < 1500; ++i) batch.put(fmt::format("big/{:04}", i), text("v"));
  std::vector<std::int64_t> versions;
  ASSERT_TRUE(store_->commit(batch, &versions));
  EXPECT_EQ(versions, std::vector<std::int64_t>(1500, 1));
  EXPECT_EQ(store_->scan_all("big/").size(), 1500u);
}

TEST_P(StoreTest, ScheduleClaimDoneRetryCancel) {
  const std::string node = unique_name("node");
  core::StoreScope scope{tenant_, plugin_};
  auto insert = [&](std::int64_t due) {
    return service_->write([&](SqlConnection& c) {
      return core::schedule_insert(c, scope, plugin_ + ".due", due, "payload", false, 0);
    });
  };
  const auto a = insert(1000);
  const auto b = insert(2000);
  const auto c = insert(5000);
  auto claim = [&](std::int64_t now) {
    return service_->write([&](SqlConnection& conn) {
      return core::schedule_claim(conn, service_->backend().claim_lock_clause(), plugin_, node, now,
                                  now + 500, 10);
    });
  };
  EXPECT_TRUE(claim(999).empty());
  auto due = claim(2000);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[1].id, b);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_TRUE(claim(2100).empty()) << "leased entries are not claimed twice";
  EXPECT_EQ(
      service_->read([&](SqlConnection& conn) { return core::schedule_next_due(conn, plugin_); }),
      2500);  // a's and b's leases run out first

  service_->write([&](SqlConnection& conn) {
    core::schedule_done(conn, a, 2100);
    core::schedule_retry(conn, b, 3000, "handler failed", false, 2100);
  });
  EXPECT_TRUE(service_->write(
      [&](SqlConnection& conn) { return core::schedule_cancel(conn, scope, c, 2100); }));
  EXPECT_FALSE(service_->write([&](SqlConnection& conn) {
    return core::schedule_cancel(conn, scope, a, 2100);
  })) << "a done entry cannot be cancelled";
  auto again = claim(3000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, b);
  EXPECT_EQ(again[0].attempts, 2);
  EXPECT_EQ(again[0].last_error, "handler failed");

  // A restarted node releases what it held.
  EXPECT_EQ(
      service_->write([&](SqlConnection& conn) { return core::schedule_release_node(conn, node); }),
      1);
  core::ScheduleFilter filter;
  filter.plugin = plugin_;
  auto all = service_->read([&](SqlConnection& conn) { return core::schedule_list(conn, filter); });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].state, EntryState::kDone);
  EXPECT_EQ(all[1].state, EntryState::kPending);
  EXPECT_EQ(all[1].lease_until_ms, 0);
  EXPECT_EQ(all[2].state, EntryState::kCancelled);
}

TEST_P(StoreTest, TwoNodesClaimEachEntryOnce) {
  constexpr int kEntries = 200;
  core::StoreScope scope{tenant_, plugin_};
  for (int i = 0; i < kEntries; ++i) {
    service_->write([&](SqlConnection& c) {
      return core::schedule_insert(c, scope, plugin_ + ".due", i, "p", false, 0);
    });
  }
  StoreService second(store_config(GetParam(), dir_));
  std::atomic<int> claimed{0};
  std::vector<std::int64_t> ids[2];
  auto node = [&](StoreService& s, int n) {
    for (;;) {
      auto got = s.write([&](SqlConnection& c) {
        return core::schedule_claim(c, s.backend().claim_lock_clause(), plugin_,
                                    "node" + std::to_string(n), 1'000'000, 2'000'000, 7);
      });
      if (got.empty()) return;
      for (auto& e : got) ids[n].push_back(e.id);
      claimed += static_cast<int>(got.size());
    }
  };
  std::thread t0(node, std::ref(*service_), 0);
  std::thread t1(node, std::ref(second), 1);
  t0.join();
  t1.join();
  EXPECT_EQ(claimed, kEntries);
  std::set<std::int64_t> all(ids[0].begin(), ids[0].end());
  all.insert(ids[1].begin(), ids[1].end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kEntries)) << "an entry was claimed twice";
}

TEST_P(StoreTest, MigrationsRunOnceAndTheSchemaIsVersioned) {
  EXPECT_EQ(service_->schema_version(), 2);
  StoreService again(store_config(GetParam(), dir_));  // a second start: nothing to migrate
  EXPECT_EQ(again.schema_version(), 2);
  auto v = again.read([](SqlConnection& c) {
    return core::as_int(c.query("SELECT version FROM coach_schema_version").at(0).at(0));
  });
  EXPECT_EQ(v, 2);
}

TEST_P(StoreTest, ExpiredRecordsAndOldFinishedEntriesArePrunedAndCountedFirst) {
  coach::WriteBatch batch;
  batch.put("marker/old", text("seen")).expiring_at(1000);
  batch.put("marker/new", text("seen")).expiring_at(5000);
  batch.put("case/1", text("kept"));
  ASSERT_TRUE(store_->commit(batch));
  store_->put("marker/rewritten", text("a"));
  coach::WriteBatch again;
  again.put("marker/rewritten", text("b")).expiring_at(900);  // a rewrite sets the expiry anew
  ASSERT_TRUE(store_->commit(again));
  auto mine = [&](std::int64_t now) {
    auto all = service_->read([&](SqlConnection& c) { return core::kv_stats(c, now); });
    for (const auto& s : all) {
      if (s.tenant == tenant_ && s.plugin == plugin_) return s;
    }
    return core::KvStats{};
  };
  EXPECT_EQ(mine(2000).keys, 4);
  EXPECT_EQ(mine(2000).expired_keys, 2);
  EXPECT_GT(mine(2000).expired_bytes, 0);
  EXPECT_TRUE(store_->get_bytes("marker/old")) << "kept until pruned";
  // Other tests share the PostgreSQL database: prune up to a time only this test's keys reach.
  EXPECT_GE(service_->write([](SqlConnection& c) { return core::kv_prune_expired(c, 2000, 1000); }),
            2);
  EXPECT_FALSE(store_->get_bytes("marker/old"));
  EXPECT_FALSE(store_->get_bytes("marker/rewritten"));
  EXPECT_TRUE(store_->get_bytes("marker/new"));
  EXPECT_TRUE(store_->get_bytes("case/1"));
  EXPECT_EQ(mine(2000).expired_keys, 0);

  core::StoreScope scope{tenant_, plugin_};
  auto insert = [&](std::int64_t due) {
    return service_->write([&](SqlConnection& c) {
      return core::schedule_insert(c, scope, plugin_ + ".due", due, "payload", false, 0);
    });
  };
  const auto done = insert(10), cancelled = insert(20), pending = insert(30);
  // Finish times no other test uses (they share the PostgreSQL database and run in parallel).
  service_->write([&](SqlConnection& c) {
    core::schedule_done(c, done, -5'000'000);
    core::schedule_cancel(c, scope, cancelled, -3'000'000);
    return 0;
  });
  auto states = [&] {
    std::map<std::int64_t, core::EntryState> out;
    core::ScheduleFilter f;
    f.plugin = plugin_;
    for (auto& e : service_->read([&](SqlConnection& c) { return core::schedule_list(c, f); }))
      out[e.id] = e.state;
    return out;
  };
  EXPECT_EQ(states().size(), 3u);
  EXPECT_EQ(service_->read([](SqlConnection& c) { return core::schedule_prunable(c, -4'000'000); }),
            1);
  service_->write([](SqlConnection& c) { return core::schedule_prune(c, -4'000'000, 1000); });
  auto left = states();
  EXPECT_EQ(left.count(done), 0u) << "finished before the cut: pruned";
  EXPECT_EQ(left.count(cancelled), 1u) << "finished after the cut: kept";
  EXPECT_EQ(left.count(pending), 1u) << "pending entries are never pruned";
}

TEST_P(StoreConformance, StagedWritesAreSeenByReadsAndScansAndFlushedInOneCommit) {
  for (int i = 0; i < 30; ++i) store_->put(fmt::format("k/{:02}", i), text("base"));
  StagedStore staged(*store_);
  staged.put("k/05", text("changed"));
  staged.erase("k/06");
  staged.put("k/10a", text("new between base keys"));
  staged.put("k/99", text("new at the end"));
  std::int64_t version = 0;
  ASSERT_TRUE(staged.get<StringValue>("k/05", &version));
  EXPECT_EQ(staged.get<StringValue>("k/05")->value(), "changed");
  EXPECT_EQ(version, 2);
  EXPECT_FALSE(staged.get_bytes("k/06"));
  EXPECT_EQ(store_->get<StringValue>("k/05")->value(), "base") << "nothing written before flush";
  // Scans merge the staged records into the base's pages, in order, across page limits.
  std::vector<std::string> keys;
  std::string after;
  do {
    auto page = staged.scan("k/", after, 7);
    EXPECT_LE(page.items.size(), 7u);
    for (auto& item : page.items) keys.push_back(item.key);
    after = page.next_after;
  } while (!after.empty());
  EXPECT_EQ(keys.size(), 31u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "k/06"), 0);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "k/10a"), 1);
  EXPECT_EQ(keys.back(), "k/99");
  // A unit is kept or dropped whole; version checks see the staged view.
  staged.begin_unit();
  EXPECT_FALSE(staged.compare_and_set("k/05", 1, text("stale version")));
  EXPECT_TRUE(staged.compare_and_set("k/05", 2, text("unit")));
  staged.put("k/unit", text("dropped"));
  staged.drop_unit();
  EXPECT_EQ(staged.get<StringValue>("k/05")->value(), "changed");
  EXPECT_FALSE(staged.get_bytes("k/unit"));
  const auto before = commits();
  ASSERT_TRUE(staged.flush());
  EXPECT_EQ(commits(), before + 1);
  EXPECT_EQ(store_->get<StringValue>("k/05")->value(), "changed");
  EXPECT_FALSE(store_->get_bytes("k/06"));
  EXPECT_TRUE(store_->get_bytes("k/10a"));
  EXPECT_EQ(store_->scan_all("k/").size(), 31u);

  // A record read through the staged store and changed underneath: flush writes nothing.
  StagedStore second(*store_);
  ASSERT_TRUE(second.get_bytes("k/00"));
  second.put("k/00", text("mine"));
  second.put("k/new", text("mine too"));
  store_->put("k/00", text("someone else's"));
  EXPECT_FALSE(second.flush());
  EXPECT_EQ(store_->get<StringValue>("k/00")->value(), "someone else's");
  EXPECT_FALSE(store_->get_bytes("k/new"));
}

TEST_P(StoreConformance, UpdateWritesBackAndRetriesALostRaceThenReportsConflict) {
  auto appended =
      store_->update<StringValue>("u", [](StringValue& v) { v.set_value(v.value() + "a"); });
  EXPECT_EQ(appended->value(), "a");
  EXPECT_EQ(store_->update<StringValue>("u", [](StringValue& v) { v.set_value(v.value() + "b"); })
                ->value(),
            "ab");
  // Someone else writes between our read and our write, once: the update reads again and wins.
  int calls = 0;
  store_->update<StringValue>("u", [&](StringValue& v) {
    if (++calls == 1) store_->put("u", text("theirs"));
    v.set_value(v.value() + "!");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(store_->get<StringValue>("u")->value(), "theirs!");
  // Always someone else: CONFLICT after the attempts, and their write stands.
  try {
    store_->update<StringValue>(
        "u", [&](StringValue& v) { store_->put("u", text("again")), v.set_value("mine"); }, 3);
    FAIL() << "no conflict reported";
  } catch (const coach::Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_CONFLICT);
  }
  EXPECT_EQ(store_->get<StringValue>("u")->value(), "again");
  // An optional lets the update erase, or leave an absent record absent.
  store_->update<StringValue>("u", [](std::optional<StringValue>& v) { v.reset(); });
  EXPECT_FALSE(store_->get_bytes("u"));
  EXPECT_FALSE(store_->update<StringValue>("absent", [](std::optional<StringValue>&) {}));
  EXPECT_FALSE(store_->get_bytes("absent"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values("sqlite", "postgresql", "memory"), backend_param_name);
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         backend_param_name);

// --- Backend-specific conditions ---

TEST(SqliteStore, AVersionOneDatabaseIsMigratedWithItsRecords) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "CREATE TABLE coach_schema_version (version BIGINT NOT NULL);"
                   "INSERT INTO coach_schema_version VALUES (1);"
                   "CREATE TABLE coach_kv (tenant TEXT NOT NULL, plugin TEXT NOT NULL,"
                   " key BLOB NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL,"
                   " PRIMARY KEY (tenant, plugin, key)) WITHOUT ROWID;"
                   "CREATE TABLE coach_schedule (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                   " tenant TEXT NOT NULL, plugin TEXT NOT NULL, topic TEXT NOT NULL,"
                   " due_ms INTEGER NOT NULL, payload BLOB NOT NULL, announce INTEGER NOT NULL,"
                   " state INTEGER NOT NULL DEFAULT 0, claimed_by TEXT,"
                   " lease_until_ms INTEGER NOT NULL DEFAULT 0,"
                   " attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
                   " done_ms INTEGER, last_error TEXT);"
                   "INSERT INTO coach_kv VALUES ('t', 'p', X'6B', X'76', 3);",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  StoreService service(store_config("sqlite", dir));
  EXPECT_EQ(service.schema_version(), 2);
  const std::string tenant = "t";
  core::PluginStore store(service, "p", &tenant);
  auto v = store.get_bytes("k");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, "v");
  EXPECT_EQ(v->version, 3);
  EXPECT_EQ(store.put_bytes("k", "w"), 4);
}

TEST(SqliteStore, RefusesASchemaNewerThanItKnows) {
  TempDir dir;
  { StoreService s(store_config("sqlite", dir)); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("store.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "UPDATE coach_schema_version SET version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    StoreService s(store_config("sqlite", dir));
    FAIL() << "opened a newer schema";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99 is newer"), std::string::npos)
        << e.what();
  }
}

TEST(SqliteStore, FullDatabaseRefusesTheWriteAndKeepsEverythingElse) {
  TempDir dir;
  auto config = store_config("sqlite", dir);
  config.sqlite_max_size_mb = 1;
  StoreService service(config);
  const std::string tenant = "t";
  core::PluginStore store(service, "p", &tenant);
  const std::string big(32 * 1024, 'x');
  int written = 0;
  v1::StatusCode failure = v1::STATUS_CODE_OK;
  for (int i = 0; i < 200 && failure == v1::STATUS_CODE_OK; ++i) {
    try {
      store.put_bytes(fmt::format("k{:03}", i), big);
      ++written;
    } catch (const coach::Error& e) {
      failure = e.code();
      EXPECT_NE(std::string(e.what()).find("full"), std::string::npos) << e.what();
    }
  }
  ASSERT_EQ(failure, v1::STATUS_CODE_RESOURCE_EXHAUSTED);
  ASSERT_GT(written, 5);
  // A batch that cannot fit leaves nothing behind.
  coach::WriteBatch batch;
  batch.put_bytes("small", "fits").put_bytes("huge", std::string(2 << 20, 'y'));
  EXPECT_THROW(store.commit(batch), coach::Error);
  EXPECT_FALSE(store.get_bytes("small"));
  for (int i = 0; i < written; ++i) {
    auto v = store.get_bytes(fmt::format("k{:03}", i));
    ASSERT_TRUE(v) << i;
    EXPECT_EQ(v->value.size(), big.size());
  }
  // Deleting makes room again.
  store.erase("k000");
  store.erase("k001");
  EXPECT_NO_THROW(store.put_bytes("small", "fits"));
}

TEST(SqliteStore, UnopenableFileNamesTheBackendAndTheReason) {
  core::StoreConfig config;
  config.sqlite_path = "/proc/coachd-test/cannot/store.db";
  try {
    StoreService s(config);
    FAIL() << "opened an impossible path";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("sqlite /proc/coachd-test/cannot/store.db"),
              std::string::npos)
        << e.what();
  }
}

TEST(PostgresStore, UnreachableServerNamesTheBackendAndTheReason) {
  core::StoreConfig config;
  config.backend = "postgresql";
  config.postgresql_dsn = "host=/nonexistent-coachd port=1 dbname=coach password=s3cret";
  try {
    StoreService s(config);
    FAIL() << "connected to nothing";
  } catch (const StoreError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), v1::STATUS_CODE_UNAVAILABLE);
    EXPECT_NE(what.find("postgresql"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << "password leaked: " << what;
  }
}

}  // namespace
}  // namespace coach::testing

namespace coach::testing {
namespace {

// A read-only database file (chattr +i, so it holds even for root): writes get a clear error
// status, reads keep working, nothing is half-written.
TEST(SqliteStore, ReadOnlyFileRefusesWritesAndKeepsServingReads) {
  TempDir dir;
  const auto config = store_config("sqlite", dir);
  {
    StoreService service(config);
    const std::string tenant = "t";
    core::PluginStore store(service, "p", &tenant);
    store.put_bytes("kept", "v1");
  }
  const std::string db = dir.file("store.db");
  if (run_command({"/usr/bin/chattr", "+i", db}).exit_code != 0) {
    GTEST_SKIP() << "chattr +i is not available on this filesystem";
  }
  struct Unlock {
    std::string path;
    ~Unlock() { run_command({"/usr/bin/chattr", "-i", path}); }
  } unlock{db};
  std::optional<StoreService> service;
  try {
    service.emplace(config);
  } catch (const StoreError& e) {
    // Refusing to start on a file it cannot write is as good: clear, named, nothing changed.
    EXPECT_NE(std::string(e.what()).find("sqlite " + db), std::string::npos) << e.what();
    return;
  }
  const std::string tenant = "t";
  core::PluginStore store(*service, "p", &tenant);
  try {
    coach::WriteBatch batch;
    batch.put_bytes("new", "x").put_bytes("kept", "v2");
    store.commit(batch);
    FAIL() << "wrote to a read-only file";
  } catch (const coach::Error& e) {
    EXPECT_EQ(e.code(), v1::STATUS_CODE_UNAVAILABLE) << e.what();
    EXPECT_NE(std::string(e.what()).find("sqlite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store.get_bytes("kept")->value, "v1");
  EXPECT_FALSE(store.get_bytes("new"));
}

}  // namespace
}  // namespace coach::testing
