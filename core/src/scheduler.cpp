// SPDX-License-Identifier: Apache-2.0
#include "scheduler.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <charconv>
#include <zmq_addon.hpp>

#include "envelope.hpp"
#include "logging.hpp"
#include "thread_name.hpp"

namespace coach::core {

namespace {

// The broker answered for the plugin: the entry was not attempted.
bool never_reached_plugin(v1::StatusCode code) {
  return code == v1::STATUS_CODE_PLUGIN_DISABLED || code == v1::STATUS_CODE_OVERLOADED ||
         code == v1::STATUS_CODE_SHUTTING_DOWN;
}

}  // namespace

Scheduler::Scheduler(Options options)
    : options_(std::move(options)), log_(make_logger("scheduler")) {
  if (options_.config.node_id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options_.config.node_id = host[0] ? host : "coachd";
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("scheduler: eventfd failed");
}

Scheduler::~Scheduler() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Scheduler::start() {
  thread_ = std::thread([this] {
    name_this_thread("coach-scheduler");
    run();
  });
}

void Scheduler::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::wake() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

std::int64_t Scheduler::backoff_ms(std::int64_t attempts) const {
  // 1 s, 2 s, 4 s ... capped at an hour.
  const std::int64_t shift = std::clamp<std::int64_t>(attempts - 1, 0, 12);
  return std::min<std::int64_t>(1000LL << shift, 3'600'000);
}

void Scheduler::run() {
  try {
    zmq::socket_t socket(*options_.zmq, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::routing_id, kSchedulerIdentity);
    socket.set(zmq::sockopt::linger, static_cast<int>(options_.linger_ms));
    socket.connect(options_.backend_endpoint);
    zmq::send_multipart(socket, std::array<zmq::const_buffer, 1>{zmq::buffer(&frame::kHello, 1)});

    while (!stopping_) {
      try {
        auto released = options_.store->write(
            [&](SqlConnection& c) { return schedule_release_node(c, options_.config.node_id); });
        if (released > 0) {
          log_->info("node {}: {} entries claimed before a restart are due again", node_id(),
                     released);
        }
        break;
      } catch (const std::exception& e) {
        log_->warn("cannot release this node's earlier claims yet: {}", e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.config.poll_ms));
      }
    }

    std::int64_t wait_ms = options_.config.poll_ms;
    while (!stopping_) {
      std::array<zmq::pollitem_t, 2> items{
          {{socket.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}}};
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait_ms));
      if (items[1].revents & ZMQ_POLLIN) {
        std::uint64_t n = 0;
        [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
      }
      if (stopping_) break;
      std::vector<Ack> acks;
      receive(socket, acks);
      try {
        if (!acks.empty()) settle(socket, acks);
        forget_expired();
        wait_ms = dispatch(socket);
        prune();
        if (!last_error_.empty()) log_->info("store reachable again");
        last_error_.clear();
      } catch (const std::exception& e) {
        if (e.what() != last_error_) log_->error("cannot reach the schedule: {}", e.what());
        last_error_ = e.what();
        wait_ms = options_.config.poll_ms;
      }
    }
  } catch (const std::exception& e) {
    log_->critical("scheduler thread ended by an error: {}", e.what());
  }
}

void Scheduler::prune() {
  const std::int64_t now = options_.clock->now_ms();
  if (now - last_prune_ms_ < options_.config.prune_interval_ms) return;
  last_prune_ms_ = now;
  // Chunks keep each transaction short: the writer's other work waits behind at most one.
  constexpr std::int64_t kChunk = 1000;
  constexpr int kMaxChunks = 100;
  const std::int64_t finished_before =
      now - static_cast<std::int64_t>(options_.config.retention_hours) * 3'600'000;
  std::int64_t records = 0, entries = 0;
  for (int i = 0; i < kMaxChunks && !stopping_; ++i) {
    const auto n =
        options_.store->write([&](SqlConnection& c) { return kv_prune_expired(c, now, kChunk); });
    records += n;
    if (n < kChunk) break;
  }
  for (int i = 0; i < kMaxChunks && !stopping_; ++i) {
    const auto n = options_.store->write(
        [&](SqlConnection& c) { return schedule_prune(c, finished_before, kChunk); });
    entries += n;
    if (n < kChunk) break;
  }
  if (records || entries)
    log_->info("pruned {} expired store records and {} finished schedule entries", records,
               entries);
}

void Scheduler::receive(zmq::socket_t& socket, std::vector<Ack>& acks) {
  for (;;) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) return;
    if (parts.empty() || parts[0].size() == 0) continue;
    const auto head = parts[0].to_string_view();
    if (head[0] == frame::kRunning) {
      running_.clear();
      auto names = head.substr(1);
      while (!names.empty()) {
        auto comma = names.find(',');
        running_.emplace(names.substr(0, comma));
        names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
      }
    } else if (head[0] == frame::kAck && parts.size() == 2) {
      Ack ack;
      std::uint64_t id = 0;
      std::string_view code_text;
      if (!decode_header(head, id, code_text)) continue;
      ack.id = static_cast<std::int64_t>(id);
      int code = 0;
      std::from_chars(code_text.data(), code_text.data() + code_text.size(), code);
      ack.code = static_cast<v1::StatusCode>(code);
      ack.message = parts[1].to_string();
      acks.push_back(std::move(ack));
    }
  }
}

void Scheduler::settle(zmq::socket_t& socket, std::vector<Ack>& acks) {
  const std::int64_t now = options_.clock->now_ms();
  std::vector<const ScheduleEntry*> announce;
  // One transaction (one fsync) for every acknowledgement that arrived together.
  options_.store->write([&](SqlConnection& c) {
    announce.clear();  // a write function may run twice (see StoreService::write)
    for (const auto& ack : acks) {
      auto it = in_flight_.find(ack.id);
      if (it == in_flight_.end()) {
        // Its lease ran out before the ack; done is still the truth about it.
        if (ack.code == v1::STATUS_CODE_OK) schedule_done(c, ack.id, now);
        continue;
      }
      const auto& e = it->second.entry;
      if (ack.code == v1::STATUS_CODE_OK) {
        schedule_done(c, e.id, now);
        if (e.announce) announce.push_back(&e);
      } else if (never_reached_plugin(ack.code)) {
        schedule_release(c, e.id);  // not attempted: the plugin never saw it
      } else {
        const bool give_up = e.attempts >= options_.config.max_attempts;
        schedule_retry(c, e.id, now + backoff_ms(e.attempts), ack.message, give_up, now);
      }
    }
  });
  for (const auto& ack : acks) {
    auto it = in_flight_.find(ack.id);
    if (it == in_flight_.end() || ack.code == v1::STATUS_CODE_OK) continue;
    const auto& e = it->second.entry;
    if (e.attempts >= options_.config.max_attempts) {
      log_->error("entry {} ({} {}) failed after {} attempts: {}", e.id, e.plugin, e.topic,
                  e.attempts, ack.message);
    } else if (!never_reached_plugin(ack.code)) {
      log_->warn("entry {} ({} {}) attempt {} failed, retrying in {} ms: {}", e.id, e.plugin,
                 e.topic, e.attempts, backoff_ms(e.attempts), ack.message);
    }
  }
  for (const ScheduleEntry* e : announce) {
    v1::Envelope env;
    env.set_kind(v1::Envelope::KIND_EVENT);
    env.set_message_id(new_message_id());
    env.set_topic(e->topic);
    env.set_tenant(e->tenant);
    stamp_now(env);
    env.mutable_payload()->ParseFromString(e->payload);
    const std::string head = event_header(e->tenant, e->topic);
    const std::string bytes = env.SerializeAsString();
    zmq::send_multipart(socket,
                        std::array<zmq::const_buffer, 2>{zmq::buffer(head), zmq::buffer(bytes)});
  }
  for (const auto& ack : acks) {
    auto it = in_flight_.find(ack.id);
    if (it == in_flight_.end()) continue;
    --in_flight_per_plugin_[it->second.entry.plugin];
    in_flight_.erase(it);
  }
}

void Scheduler::forget_expired() {
  const std::int64_t now = options_.clock->now_ms();
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.lease_until_ms <= now) {
      log_->warn("entry {} ({} {}): no acknowledgement within the lease; it will be redelivered",
                 it->first, it->second.entry.plugin, it->second.entry.topic);
      --in_flight_per_plugin_[it->second.entry.plugin];
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

std::int64_t Scheduler::dispatch(zmq::socket_t& socket) {
  const std::int64_t poll = options_.config.poll_ms;
  std::int64_t wait = poll;
  const std::int64_t now = options_.clock->now_ms();
  for (const auto& plugin : running_) {
    auto next =
        options_.store->read([&](SqlConnection& c) { return schedule_next_due(c, plugin); });
    if (!next) continue;
    auto& busy = in_flight_per_plugin_[plugin];
    if (*next <= now && busy < options_.config.max_in_flight) {
      const std::int64_t lease_until = now + options_.config.lease_ms;
      auto entries = options_.store->write([&](SqlConnection& c) {
        return schedule_claim(c, options_.store->backend().claim_lock_clause(), plugin, node_id(),
                              now, lease_until, options_.config.max_in_flight - busy);
      });
      for (auto& e : entries) {
        deliver(socket, e);
        ++busy;
        in_flight_.emplace(e.id, InFlight{std::move(e), lease_until});
      }
      // More may be due right away (a full batch), or soon after acks free the slots.
      wait = std::min<std::int64_t>(wait, entries.empty() ? poll : 0);
    } else if (*next > now && !options_.clock->is_test_clock()) {
      wait = std::min(wait, *next - now);
    }
  }
  // A test clock moves only when advanced, which wakes us; poll for other nodes' entries.
  for (const auto& [id, f] : in_flight_) {
    if (!options_.clock->is_test_clock())
      wait = std::min(wait, std::max<std::int64_t>(0, f.lease_until_ms - now));
  }
  return std::max<std::int64_t>(wait, 0);
}

void Scheduler::deliver(zmq::socket_t& socket, const ScheduleEntry& e) {
  lag_.record(
      std::chrono::milliseconds(std::max<std::int64_t>(0, options_.clock->now_ms() - e.due_ms)));
  v1::Envelope env;
  env.set_kind(v1::Envelope::KIND_EVENT);
  env.set_message_id(fmt::format("schedule-{}", e.id));
  env.set_topic(e.topic);
  env.set_tenant(e.tenant);
  stamp_now(env);
  if (!env.mutable_payload()->ParseFromString(e.payload)) {
    log_->error("entry {} ({} {}): stored payload is corrupt; delivering it empty", e.id, e.plugin,
                e.topic);
  }
  const std::string target = frame::kDue + e.plugin;
  const std::string header = encode_header(frame::kDue, static_cast<std::uint64_t>(e.id),
                                           fmt::format("{} {}", e.attempts, e.due_ms));
  const std::string bytes = env.SerializeAsString();
  // Blocking send: the broker's socket does not drop what it is handed.
  zmq::send_multipart(socket, std::array<zmq::const_buffer, 3>{
                                  zmq::buffer(target), zmq::buffer(header), zmq::buffer(bytes)});
  log_->debug("entry {} ({} {}) delivered, attempt {}", e.id, e.plugin, e.topic, e.attempts);
}

}  // namespace coach::core
