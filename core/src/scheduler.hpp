// SPDX-License-Identifier: Apache-2.0
// Scheduler: fires the durable entries plugins schedule (PluginContext::schedule). It runs on
// its own thread with a DEALER on the broker's plugin socket. It claims due entries of running
// plugins in the database (with a lease; FOR UPDATE SKIP LOCKED on PostgreSQL, so with several
// nodes each entry is claimed by one), hands each to its plugin through the broker on queues that
// block rather than drop, and marks it done only when the plugin's due handler acknowledged it:
// delivery is at least once. A failed handler is retried with backoff; after max_attempts the
// entry is marked failed. Entries that came due while the daemon was down fire right after start.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "latency_histogram.hpp"
#include "store/store_service.hpp"
#include "store/store_tables.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

class Scheduler {
 public:
  struct Options {
    zmq::context_t* zmq = nullptr;
    std::string backend_endpoint;
    StoreService* store = nullptr;
    const Clock* clock = nullptr;
    SchedulerConfig config;
    std::uint32_t linger_ms = 200;
  };

  explicit Scheduler(Options options);
  ~Scheduler();  // stops and joins
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void stop();
  // Looks at the schedule now (an entry was added, the clock moved). Any thread.
  void wake() noexcept;

  const std::string& node_id() const { return options_.config.node_id; }
  // How late entries were handed to their plugin after they came due.
  const LatencyHistogram& lag() const { return lag_; }

 private:
  struct InFlight {
    ScheduleEntry entry;
    std::int64_t lease_until_ms = 0;
  };
  struct Ack {
    std::int64_t id = 0;
    v1::StatusCode code = v1::STATUS_CODE_OK;
    std::string message;
  };

  void run();
  void receive(zmq::socket_t& socket, std::vector<Ack>& acks);
  void settle(zmq::socket_t& socket, std::vector<Ack>& acks);
  // Claims and sends what is due; returns ms until something may next be due.
  std::int64_t dispatch(zmq::socket_t& socket);
  void deliver(zmq::socket_t& socket, const ScheduleEntry& entry);
  void forget_expired();
  // Removes expired store records and entries finished before the retention, in chunks, once
  // per prune interval of the daemon clock.
  void prune();
  std::int64_t backoff_ms(std::int64_t attempts) const;

  Options options_;
  std::shared_ptr<spdlog::logger> log_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Scheduler thread only.
  std::set<std::string> running_;
  std::map<std::int64_t, InFlight> in_flight_;
  std::map<std::string, std::uint32_t> in_flight_per_plugin_;
  std::string last_error_;
  std::int64_t last_prune_ms_ = 0;
  LatencyHistogram lag_;
};

}  // namespace coach::core
