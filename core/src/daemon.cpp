// SPDX-License-Identifier: Apache-2.0
#include "daemon.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/descriptor.pb.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <csignal>
#include <cstdlib>

#include "coach/v1/admin.pb.h"
#include "coach/v1/people.pb.h"
#include "coach/v1/tokens.pb.h"
#include "curve_keys.hpp"
#include "envelope.hpp"
#include "logging.hpp"
#include "runtime_paths.hpp"

namespace coach::core {

// The core's .proto files with their comments (proto/CMakeLists.txt embeds them).
extern const unsigned char kDescriptorSet[];
extern const std::uint64_t kDescriptorSetSize;

namespace {

constexpr const char* kBackendEndpoint = "inproc://coachd.plugins";
// Frames up to this multiple of max_frame_bytes are read and refused with OVERSIZED_FRAME;
// beyond it ZeroMQ drops the connection before buffering the frame (memory protection).
constexpr std::uint64_t kHardFrameFactor = 4;

// Adds file and what it imports, dependencies first. A file the plugin shipped with its comments
// (with_comments) is copied from there, so clients can show them.
void add_file(const google::protobuf::FileDescriptor* file,
              google::protobuf::FileDescriptorSet& set, std::set<std::string>& seen,
              const google::protobuf::FileDescriptorSet* with_comments = nullptr) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i)
    add_file(file->dependency(i), set, seen, with_comments);
  if (with_comments) {
    for (const auto& f : with_comments->file()) {
      if (f.name() == file->name() && f.has_source_code_info()) {
        *set.add_file() = f;
        return;
      }
    }
  }
  file->CopyTo(set.add_file());
}

std::uint64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - since)
                                        .count());
}

}  // namespace

Daemon::Daemon(DaemonConfig config, std::string config_path, SignalWatcher& signals)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      signals_(signals),
      log_(make_logger("coachd")),
      zmq_(1),
      frontend_(zmq_, zmq::socket_type::router),
      secure_frontend_(zmq_, zmq::socket_type::router),
      backend_(zmq_, zmq::socket_type::router),
      events_(zmq_, zmq::socket_type::xpub),
      secure_events_(zmq_, zmq::socket_type::xpub),
      started_at_(Clock::now()) {}

Daemon::~Daemon() = default;

void Daemon::bind_endpoints() {
  const auto& bus = config_.bus;
  const auto& sec = config_.security;
  const int linger = static_cast<int>(bus.linger_ms);

  for (auto* socket : {&frontend_, &secure_frontend_}) {
    socket->set(zmq::sockopt::linger, linger);
    socket->set(zmq::sockopt::router_mandatory, 1);  // count undeliverable replies, never silent
    socket->set(zmq::sockopt::sndhwm, static_cast<int>(bus.client_hwm));
    socket->set(zmq::sockopt::rcvhwm, static_cast<int>(bus.client_hwm));
    socket->set(zmq::sockopt::maxmsgsize,
                static_cast<int64_t>(bus.max_frame_bytes * kHardFrameFactor + 65536));
  }

  backend_.set(zmq::sockopt::linger, linger);
  backend_.set(zmq::sockopt::router_mandatory, 1);
  backend_.set(zmq::sockopt::router_handover, 1);  // a re-enabled plugin reconnects under its name
  backend_.set(zmq::sockopt::sndhwm, static_cast<int>(bus.plugin_hwm));
  backend_.set(zmq::sockopt::rcvhwm, 0);  // plugins block on a full queue instead of losing replies

  for (auto* socket : {&events_, &secure_events_}) {
    socket->set(zmq::sockopt::linger, linger);
    socket->set(zmq::sockopt::sndhwm, static_cast<int>(bus.event_hwm));
    socket->set(zmq::sockopt::xpub_nodrop, 1);  // a full subscriber makes send fail: we count it
    // Every subscription reaches the broker, which applies it only within the subscriber's tenant.
    socket->set(zmq::sockopt::xpub_manual, 1);
  }

  backend_.bind(kBackendEndpoint);
  auto bind = [&](zmq::socket_t& socket, const std::string& endpoint) {
    try {
      prepare_ipc_endpoint(endpoint, sec.ipc_group);
      socket.bind(endpoint);
      secure_ipc_socket(endpoint, sec.ipc_group);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("cannot bind {}: {}", endpoint, e.what()));
    }
  };
  bind(frontend_, bus.request_endpoint);
  bind(events_, bus.event_endpoint);
  log_->info("local operators of tenant {}: requests on {}, events on {}", bus.tenant,
             bus.request_endpoint, bus.event_endpoint);
  if (!sec.curve_request_endpoint.empty() || !sec.curve_event_endpoint.empty()) {
    CurveKeyPair server;
    try {
      server = read_key_file(sec.server_key_file, true);
    } catch (const KeyFileError& e) {
      throw std::runtime_error(fmt::format("security.curve.server_key: {}", e.what()));
    }
    zap_ = std::make_unique<ZapHandler>(zmq_);  // before any CURVE endpoint binds
    zap_->set_clients(sec.clients);
    for (auto [socket, endpoint] : {std::pair{&secure_frontend_, sec.curve_request_endpoint},
                                    std::pair{&secure_events_, sec.curve_event_endpoint}}) {
      if (endpoint.empty()) continue;
      socket->set(zmq::sockopt::curve_server, 1);
      socket->set(zmq::sockopt::curve_secretkey, server.secret_key);
      socket->set(zmq::sockopt::zap_domain, kZapDomain);
      bind(*socket, endpoint);
    }
    log_->info("CURVE clients ({} keys listed, server key {}): requests on {}, events on {}",
               sec.clients.size(), server.public_key,
               sec.curve_request_endpoint.empty() ? "-" : sec.curve_request_endpoint,
               sec.curve_event_endpoint.empty() ? "-" : sec.curve_event_endpoint);
  }
  waiter_.add(frontend_);
  waiter_.add(secure_frontend_);
  waiter_.add(backend_);
  waiter_.add(events_);
  waiter_.add(secure_events_);
  waiter_.add_fd(signals_.fd());
}

void Daemon::register_internal_route(std::string_view name,
                                     const google::protobuf::ServiceDescriptor* service,
                                     std::string description) {
  Route& route = router_.upsert(std::string(name));
  route.internal = true;
  route.timeout_ms = config_.bus.request_timeout_ms;  // for the methods served off-thread
  route.state = RouteState::kRunning;
  route.version = PROJECT_VERSION;
  route.description = std::move(description);
  route.proto_service = service->full_name();
  route.descriptor_set.assign(reinterpret_cast<const char*>(kDescriptorSet), kDescriptorSetSize);
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* m = service->method(i);
    route.methods[m->name()] = {m->input_type(), m->output_type()};
  }
}

void Daemon::start_plugin(const PluginConfig& pc) {
  Route& route = router_.upsert(pc.name);
  if (route.state == RouteState::kRunning || route.state == RouteState::kStarting) {
    auto path = PluginLoader::resolve(pc, config_.plugin_dirs);
    log_->error(
        "plugin {} ({}) refused: duplicate plugin name, already loaded from {} (config line {})",
        pc.name, path.empty() ? pc.library : path, route.library, pc.line);
    return;
  }
  route.reason.clear();
  route.methods.clear();
  route.subscriptions.clear();
  route.timeout_ms = pc.request_timeout_ms ? pc.request_timeout_ms : config_.bus.request_timeout_ms;
  auto refuse = [&](const std::string& file, const std::string& why) {
    route.state = RouteState::kFailed;
    route.reason = why;
    log_->error("plugin {} ({}) refused: {}", pc.name, file, why);
  };

  PluginLibrary library;
  try {
    library = loader_.load(pc, config_.plugin_dirs);
  } catch (const LoadError& e) {
    auto path = PluginLoader::resolve(pc, config_.plugin_dirs);
    refuse(path.empty() ? pc.library : path, e.what());
    return;
  }
  route.library = library.path;
  route.version = library.version;
  route.description = library.description;
  for (const auto& [name, other] : router_.routes()) {
    if (name != pc.name && !other.internal && other.library == library.path &&
        (other.state == RouteState::kRunning || other.state == RouteState::kStarting)) {
      refuse(library.path, fmt::format("duplicate: library already loaded as plugin '{}'", name));
      return;
    }
  }

  PluginRunner::Options opts;
  opts.zmq = &zmq_;
  opts.backend_endpoint = kBackendEndpoint;
  opts.library = library;
  opts.config = pc;
  opts.default_tenant = config_.bus.tenant;
  opts.hwm = config_.bus.plugin_hwm;
  opts.linger_ms = config_.bus.linger_ms;
  opts.event_types = &event_types_;
  opts.interest = &interest_;
  opts.store = store_.get();
  opts.clock = clock_.get();
  opts.people = &people_;
  opts.on_scheduled = [scheduler = scheduler_.get()] { scheduler->wake(); };
  auto runner = std::make_unique<PluginRunner>(std::move(opts));
  auto t0 = Clock::now();
  std::string error = runner->start(std::chrono::milliseconds(config_.bus.start_timeout_ms));
  if (!error.empty()) {
    refuse(library.path, error);
    if (error.rfind("start did not return", 0) == 0)
      runners_[pc.name + "#abandoned"] = std::move(runner);
    return;
  }
  route.methods = runner->methods();
  route.proto_service = library.service;
  route.descriptor_set = library.descriptor_set;
  route.subscriptions = runner->subscriptions();
  route.state = RouteState::kStarting;  // until its hello arrives on the backend socket
  runners_[pc.name] = std::move(runner);
  log_->info("plugin {} {} started in {} ms ({} methods, {} subscriptions) from {}", pc.name,
             library.version, elapsed_ms(t0), route.methods.size(), route.subscriptions.size(),
             library.path);
}

void Daemon::stop_plugin(Route& route, const std::string& why) {
  if (route.state != RouteState::kRunning && route.state != RouteState::kStarting) return;
  log_->info("plugin {}: stopping ({})", route.name, why);
  route.state = RouteState::kStopping;
  route.reason = why;
  send_running_plugins();
  std::array<zmq::const_buffer, 2> parts{zmq::buffer(route.name), zmq::buffer(&frame::kStop, 1)};
  try {
    // Blocking send: the stop must reach the plugin even behind a full queue.
    waiter_.sent(kBackendItem);
    zmq::send_multipart(backend_, parts);
  } catch (const zmq::error_t& e) {
    log_->error("plugin {}: cannot send stop: {}", route.name, e.what());
  }
}

void Daemon::on_plugin_gone(Route& route) {
  if (auto it = runners_.find(route.name); it != runners_.end()) {
    it->second->join();
    runners_.erase(it);
  }
  route.state = RouteState::kDisabled;
  send_running_plugins();
  fail_backlog(route, v1::STATUS_CODE_PLUGIN_DISABLED,
               fmt::format("plugin '{}' stopped", route.name));
  // Requests still pending for it were answered before its bye (one queue, in order); any left
  // are answered now rather than left to time out.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.request.service == route.name) {
      reply_error(it->second.request, v1::STATUS_CODE_PLUGIN_DISABLED,
                  fmt::format("plugin '{}' stopped before replying", route.name));
      deadlines_.erase({it->second.deadline, it->first});
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  log_->info("plugin {}: stopped", route.name);
  if (restart_after_stop_.erase(route.name) && !stopping_) {
    if (const auto* pc = config_.find_plugin(route.name); pc && pc->enabled) start_plugin(*pc);
  }
}

void Daemon::fail_backlog(Route& route, v1::StatusCode code, const std::string& message) {
  auto it = backlog_.find(route.name);
  if (it == backlog_.end()) return;
  for (auto& request : it->second) reply_error(request, code, message);
  backlog_.erase(it);
}

int Daemon::run() {
  if (config_.clock == "test") {
    auto clock = std::make_unique<TestClock>();
    test_clock_ = clock.get();
    clock_ = std::move(clock);
    log_->warn("test deployment: running on a test clock that clients advance");
  } else {
    clock_ = std::make_unique<SystemClock>();
  }
  try {
    auto t0 = Clock::now();
    store_ = std::make_unique<StoreService>(config_.store);
    log_->info("store: {} (schema version {}) opened in {} ms", store_->describe(),
               store_->schema_version(), elapsed_ms(t0));
  } catch (const StoreError& e) {
    throw std::runtime_error(
        fmt::format("store ({}) unavailable at start: {}", config_.store.backend, e.what()));
  }
  principals_.configure(config_);
  bind_endpoints();
  register_internal_route(kAdminService,
                          v1::HealthRequest::descriptor()->file()->FindServiceByName("Coachd"),
                          "the daemon itself: health, plugin list, message descriptors");
  Scheduler::Options sched;
  sched.zmq = &zmq_;
  sched.backend_endpoint = kBackendEndpoint;
  sched.store = store_.get();
  sched.clock = clock_.get();
  sched.config = config_.scheduler;
  sched.linger_ms = config_.bus.linger_ms;
  scheduler_ = std::make_unique<Scheduler>(std::move(sched));
  scheduler_->start();
  store_admin_ =
      std::make_unique<StoreAdmin>(zmq_, kBackendEndpoint, *store_, *clock_, scheduler_->node_id(),
                                   config_.scheduler.retention_hours);
  std::vector<std::string> tenants;
  for (const auto& t : config_.tenants) tenants.push_back(t.name);
  people_service_ =
      std::make_unique<PeopleService>(zmq_, kBackendEndpoint, *store_, people_, tenants);
  register_internal_route(kPeopleService,
                          v1::Person::descriptor()->file()->FindServiceByName("People"),
                          "the tenant's people directory: people, teams, roles, coaches, managers");
  token_service_ =
      std::make_unique<TokenService>(zmq_, kBackendEndpoint, *store_, people_, *clock_);
  register_internal_route(kTokenService,
                          v1::TokenInfo::descriptor()->file()->FindServiceByName("Tokens"),
                          "bearer tokens for coach-gateway");
  for (const auto& pc : config_.plugins) {
    if (pc.enabled) {
      start_plugin(pc);
    } else {
      Route& r = router_.upsert(pc.name);
      r.state = RouteState::kDisabled;
      r.reason = "disabled in config";
    }
  }

  for (;;) {
    auto now = Clock::now();
    if (!ready_announced_) {
      bool starting = false;
      for (const auto& [name, route] : router_.routes())
        starting |= route.state == RouteState::kStarting;
      if (!starting) {
        ready_announced_ = true;
        notifier_.notify("READY=1\nSTATUS=serving");
        std::size_t running = 0;
        for (const auto& [name, route] : router_.routes())
          running += !route.internal && route.state == RouteState::kRunning;
        log_->info("ready in {} ms: {} plugin(s) running, config {}", elapsed_ms(started_at_),
                   running, config_.source);
      }
    }
    if (stopping_) {
      if (!plugins_stopping_ && (pending_.empty() || now >= drain_deadline_)) {
        for (auto& [id, p] : pending_) {
          reply_error(p.request, v1::STATUS_CODE_SHUTTING_DOWN,
                      "daemon stopped before the plugin replied");
        }
        pending_.clear();
        deadlines_.clear();
        plugins_stopping_ = true;
        scheduler_->stop();  // no more deliveries; unacknowledged claims are released at start
        stop_deadline_ = now + std::chrono::milliseconds(config_.bus.shutdown_grace_ms);
        for (auto& [name, route] : router_.routes()) {
          if (!route.internal) stop_plugin(route, "daemon shutting down");
        }
      }
      if (plugins_stopping_) {
        bool any_live = false;
        for (const auto& [name, route] : router_.routes()) {
          any_live |= route.state == RouteState::kStopping || route.state == RouteState::kStarting;
        }
        if (!any_live || now >= stop_deadline_) break;
      }
    }

    auto timeout = next_timeout(now);
    if (stopping_)
      timeout =
          std::min(timeout.value_or(std::chrono::milliseconds(50)), std::chrono::milliseconds(50));
    waiter_.wait(timeout);
    if (waiter_.ready(kSignalsItem)) {
      handle_signal();
      waiter_.handled(kSignalsItem, true);
    }
    // Backend before frontend: replies free the pending slots that new requests take.
    if (waiter_.ready(kBackendItem)) waiter_.handled(kBackendItem, handle_backend());
    if (waiter_.ready(kFrontendItem)) waiter_.handled(kFrontendItem, handle_frontend(false));
    if (waiter_.ready(kSecureFrontendItem))
      waiter_.handled(kSecureFrontendItem, handle_frontend(true));
    if (waiter_.ready(kEventsItem)) waiter_.handled(kEventsItem, handle_subscriptions(false));
    if (waiter_.ready(kSecureEventsItem))
      waiter_.handled(kSecureEventsItem, handle_subscriptions(true));
    expire_requests(Clock::now());
  }

  std::vector<std::string> stuck;
  for (auto& [name, route] : router_.routes()) {
    if (route.state == RouteState::kStopping || route.state == RouteState::kStarting)
      stuck.push_back(name);
  }
  for (auto& [name, runner] : runners_) {
    if (name.find('#') != std::string::npos) stuck.push_back(name);
  }
  if (!stuck.empty()) {
    // A plugin thread is still inside plugin code; its sockets stay open, so terminating the
    // ZeroMQ context would wait for it forever. Exit without destroying what it may touch.
    log_->error("{} plugin(s) did not stop within {} ms (first: {}); exiting without waiting",
                stuck.size(), config_.bus.shutdown_grace_ms, stuck.front());
    spdlog::shutdown();
    std::_Exit(0);
  }
  runners_.clear();
  store_admin_.reset();
  people_service_.reset();
  token_service_.reset();
  log_->info("stopped after {} ms uptime; {} requests served", elapsed_ms(started_at_),
             requests_total_);
  return 0;
}

std::optional<std::chrono::milliseconds> Daemon::next_timeout(Clock::time_point now) const {
  std::optional<std::chrono::milliseconds> t;
  if (!deadlines_.empty()) {
    auto until = deadlines_.begin()->first - now;
    t = std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(until));
  }
  if (!ready_announced_)
    t = std::min(t.value_or(std::chrono::milliseconds(10)), std::chrono::milliseconds(10));
  return t;
}

bool Daemon::handle_frontend(bool secure) {
  zmq::socket_t& socket = secure ? secure_frontend_ : frontend_;
  std::vector<zmq::message_t> parts;
  parts.reserve(4);
  // Drain a bounded batch per wake-up so plugin replies and signals are not starved.
  for (int i = 0; i < 256; ++i) {
    parts.clear();
    std::optional<std::size_t> n;
    try {
      n = zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      log_->error("request socket: {}", e.what());
      return true;
    }
    if (!n) return true;
    handle_client_message(parts, secure);
  }
  return false;
}

void Daemon::handle_client_message(std::vector<zmq::message_t>& parts, bool secure) {
  ClientRequest request;
  request.identity = parts[0].to_string();
  request.secure = secure;
  ++requests_total_;
  // [identity, envelope] from a DEALER, [identity, "", envelope] from a REQ.
  std::size_t body = 1;
  if (parts.size() == 3 && parts[1].size() == 0) {
    request.delimited = true;
    body = 2;
  }
  if (parts.size() != body + 1) {
    reply_error(request, v1::STATUS_CODE_MALFORMED_FRAME,
                fmt::format("expected one envelope frame, got {} frames", parts.size() - 1));
    return;
  }
  zmq::message_t& frame = parts[body];
  if (frame.size() > config_.bus.max_frame_bytes) {
    reply_error(request, v1::STATUS_CODE_OVERSIZED_FRAME,
                fmt::format("frame of {} bytes exceeds bus.max_frame_bytes = {}", frame.size(),
                            config_.bus.max_frame_bytes));
    return;
  }
  v1::Envelope& envelope = request_envelope_;  // reused: parsing keeps its buffers
  if (!parse_reusing_buffers(envelope, frame.data(), frame.size())) {
    reply_error(request, v1::STATUS_CODE_MALFORMED_FRAME, "frame is not a coach.v1.Envelope");
    return;
  }
  request.message_id = envelope.message_id();
  if (envelope.kind() != v1::Envelope::KIND_REQUEST) {
    reply_error(request, v1::STATUS_CODE_MALFORMED_FRAME, "envelope kind must be KIND_REQUEST");
    return;
  }
  if (stopping_) {
    reply_error(request, v1::STATUS_CODE_SHUTTING_DOWN, "coachd is shutting down");
    return;
  }
  // Who asks: a CURVE connection carries the user id the ZAP handler gave its key; a local one
  // has none. A secure connection without one never gets a local operator's rights.
  const char* user_id = secure ? zmq_msg_gets(frame.handle(), "User-Id") : nullptr;
  if (secure && (user_id == nullptr || *user_id == '\0')) {
    reply_error(request, v1::STATUS_CODE_UNAUTHENTICATED, "connection without a client key");
    return;
  }
  std::string why;
  if (auto code = principals_.resolve(user_id, envelope, principal_, why);
      code != v1::STATUS_CODE_OK) {
    reply_error(request, code, why);
    return;
  }
  auto decision =
      router_.resolve(envelope.service(), envelope.method(), envelope.payload().type_url());
  if (!decision.route) {
    reply_error(request, decision.code, decision.message);
    return;
  }
  if (!decision.route->internal) {
    const TenantConfig* tenant = config_.find_tenant(principal_.tenant);
    if (!tenant || !tenant->enables(decision.route->name)) {
      reply_error(request, v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT,
                  fmt::format("tenant '{}' has not enabled plugin '{}'", principal_.tenant,
                              decision.route->name));
      return;
    }
  }
  request.service = envelope.service();
  request.method = envelope.method();
  request.tenant = principal_.tenant;
  request.person = principal_.person;
  request.roles = principal_.roles;
  if (decision.route->name == kPeopleService || decision.route->name == kTokenService) {
    request.envelope = std::move(frame);
    forward(*decision.route, std::move(request),
            decision.route->name == kPeopleService ? kPeopleIdentity : kTokenIdentity);
    return;
  }
  if (decision.route->internal) {
    // Health, plugins and descriptors are for every principal; what spans tenants (the store, the
    // schedule) and the test clock only for local operators.
    if (!(request.method == "Health" || request.method == "ListPlugins" ||
          request.method == "GetDescriptors" || request.method == "WhoAmI") &&
        !request.roles.has(Role::kOperator)) {
      reply_error(request, v1::STATUS_CODE_PERMISSION_DENIED,
                  fmt::format("coachd {} is for local operators only", request.method));
      return;
    }
    if (StoreAdmin::serves(request.method)) {
      request.envelope = std::move(frame);
      forward(*decision.route, std::move(request), kStoreAdminIdentity);
      return;
    }
    serve_admin(request, envelope);
    return;
  }
  request.envelope = std::move(frame);
  forward(*decision.route, std::move(request));
}

void Daemon::forward(Route& route, ClientRequest request, std::string_view identity) {
  if (identity.empty()) identity = route.name;
  if (route.state == RouteState::kStarting) {
    backlog_[route.name].push_back(std::move(request));
    return;
  }
  ++route.requests_total;
  const std::uint64_t seq = next_seq_++;
  const auto deadline = Clock::now() + std::chrono::milliseconds(route.timeout_ms);
  try {
    zmq::message_t to(identity.data(), identity.size());
    // The plugin learns the deadline too: it skips a request that expired while queued, and a
    // handler's store reads stop once it has passed (cooperative cancellation).
    encode_request_tail(
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count(),
        request.tenant, request.person, request.roles.bits(), request_tail_);
    zmq::message_t header = header_message(frame::kRequest, seq, request_tail_);
    zmq::message_t body = std::move(request.envelope);  // no longer needed here
    waiter_.sent(kBackendItem);
    if (!backend_.send(to, zmq::send_flags::dontwait | zmq::send_flags::sndmore)) {
      reply_error(request, v1::STATUS_CODE_OVERLOADED,
                  fmt::format("plugin '{}' has {} requests queued; retry later", route.name,
                              config_.bus.plugin_hwm));
      return;
    }
    backend_.send(header, zmq::send_flags::sndmore);
    backend_.send(body, zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    reply_error(request, v1::STATUS_CODE_PLUGIN_DISABLED,
                fmt::format("plugin '{}' is not connected: {}", route.name, e.what()));
    return;
  }
  deadlines_.emplace(deadline, seq);
  pending_.emplace(seq, Pending{std::move(request), deadline});
}

bool Daemon::handle_backend() {
  std::vector<zmq::message_t> parts;
  parts.reserve(4);
  for (int i = 0; i < 256; ++i) {
    parts.clear();
    if (!zmq::recv_multipart(backend_, std::back_inserter(parts), zmq::recv_flags::dontwait))
      return true;
    if (parts.size() < 2 || parts[1].size() == 0) continue;
    if (parts[0].to_string_view() == kSchedulerIdentity) {
      handle_scheduler(parts);
      continue;
    }
    Route* route = router_.find(parts[0].to_string_view());
    const char tag = parts[1].data<char>()[0];
    std::uint64_t seq = 0;
    std::string_view code_text;
    if (tag == frame::kReply && parts.size() == 3 &&
        decode_header(parts[1].to_string_view(), seq, code_text)) {
      auto it = pending_.find(seq);
      if (it == pending_.end()) {
        ++replies_undeliverable_;
        log_->debug("late reply from {} discarded (request timed out)", parts[0].to_string_view());
        continue;
      }
      int code_value = 0;
      std::from_chars(code_text.data(), code_text.data() + code_text.size(), code_value);
      auto code = static_cast<v1::StatusCode>(code_value);
      if (code != v1::STATUS_CODE_OK) count_error(code);
      reply_to_client(it->second.request, std::move(parts[2]));
      deadlines_.erase({it->second.deadline, seq});
      pending_.erase(it);
    } else if (tag == frame::kEvent && parts.size() == 3) {
      handle_event(route, parts);
    } else if (tag == frame::kAck && parts.size() == 3) {
      ack_to_scheduler(parts[1].to_string_view(), parts[2].to_string_view());
    } else if (tag == frame::kHello && route) {
      if (route->state == RouteState::kStarting) {
        route->state = RouteState::kRunning;
        if (auto b = backlog_.find(route->name); b != backlog_.end()) {
          auto queued = std::move(b->second);
          backlog_.erase(b);
          for (auto& request : queued) forward(*route, std::move(request));
        }
        send_running_plugins();
      }
    } else if (tag == frame::kBye && route) {
      on_plugin_gone(*route);
    } else {
      log_->error("unexpected {}-frame message tagged '{}' from plugin {}", parts.size(), tag,
                  parts[0].to_string_view());
    }
  }
  return false;
}

void Daemon::handle_event(Route* from, std::vector<zmq::message_t>& parts) {
  ++events_published_;
  // parts: [plugin, 'E' + tenant/topic, envelope]
  const auto wire = parts[1].to_string_view().substr(1);
  std::string_view tenant_name;
  std::string_view topic;
  if (!split_tenant_topic(wire, tenant_name, topic)) {
    log_->error("event '{}' from {} without a tenant dropped", wire,
                from ? from->name : std::string("?"));
    return;
  }
  const TenantConfig* tenant = config_.find_tenant(tenant_name);
  router_.for_each_subscriber(topic, [&](Route& sub) {
    // A tenant that did not enable a plugin gives it none of its events.
    if (!tenant || !tenant->enables(sub.name)) return;
    std::array<zmq::const_buffer, 3> out{zmq::buffer(sub.name),
                                         zmq::buffer(parts[1].data(), parts[1].size()),
                                         zmq::buffer(parts[2].data(), parts[2].size())};
    bool sent = false;
    waiter_.sent(kBackendItem);
    try {
      sent = zmq::send_multipart(backend_, out, zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
      sent = false;
    }
    if (!sent) {
      ++sub.events_dropped;
      ++events_dropped_plugins_;
      log_->warn("event {} from {} dropped for plugin {}: its queue is full", topic,
                 from ? from->name : std::string("?"), sub.name);
    }
  });
  if (external_wants(wire)) publish_external(wire, parts[2]);
}

void Daemon::publish_external(std::string_view wire_topic, const zmq::message_t& envelope) {
  // Each XPUB sends only to subscribers whose (tenant-checked) prefixes match.
  for (auto [socket, item] :
       {std::pair{&events_, kEventsItem}, std::pair{&secure_events_, kSecureEventsItem}}) {
    std::array<zmq::const_buffer, 2> external{zmq::buffer(wire_topic),
                                              zmq::buffer(envelope.data(), envelope.size())};
    waiter_.sent(item);
    try {
      if (!zmq::send_multipart(*socket, external, zmq::send_flags::dontwait))
        ++events_dropped_external_;
    } catch (const zmq::error_t&) {
      ++events_dropped_external_;
    }
  }
}

void Daemon::handle_scheduler(std::vector<zmq::message_t>& parts) {
  // parts: [@scheduler, "H"] | [@scheduler, "D<plugin>", header, envelope] |
  //        [@scheduler, "E<topic>", envelope]
  const auto head = parts[1].to_string_view();
  if (head[0] == frame::kHello) {
    scheduler_connected_ = true;
    send_running_plugins();
  } else if (head[0] == frame::kDue && parts.size() == 4) {
    const auto plugin = head.substr(1);
    Route* route = router_.find(plugin);
    v1::StatusCode code = v1::STATUS_CODE_OK;
    if (!route || route->state != RouteState::kRunning) {
      code = v1::STATUS_CODE_PLUGIN_DISABLED;
    } else {
      std::array<zmq::const_buffer, 3> out{zmq::buffer(plugin),
                                           zmq::buffer(parts[2].data(), parts[2].size()),
                                           zmq::buffer(parts[3].data(), parts[3].size())};
      waiter_.sent(kBackendItem);
      try {
        if (!zmq::send_multipart(backend_, out, zmq::send_flags::dontwait))
          code = v1::STATUS_CODE_OVERLOADED;
      } catch (const zmq::error_t&) {
        code = v1::STATUS_CODE_PLUGIN_DISABLED;
      }
    }
    if (code != v1::STATUS_CODE_OK) {
      std::uint64_t id = 0;
      std::string_view tail;
      decode_header(parts[2].to_string_view(), id, tail);
      ack_to_scheduler(encode_header(frame::kAck, id, std::to_string(static_cast<int>(code))),
                       fmt::format("plugin '{}' is not running", plugin));
    }
  } else if (head[0] == frame::kEvent && parts.size() == 3) {
    std::string_view tenant;
    std::string_view topic;
    split_tenant_topic(head.substr(1), tenant, topic);
    Route* from = router_.find(topic.substr(0, topic.find('.')));
    std::vector<zmq::message_t> event;
    event.emplace_back(parts[0].data(), parts[0].size());
    event.push_back(std::move(parts[1]));
    event.push_back(std::move(parts[2]));
    handle_event(from, event);
  } else {
    log_->error("unexpected {}-frame message from the scheduler", parts.size());
  }
}

void Daemon::ack_to_scheduler(std::string_view header, std::string_view message) {
  std::array<zmq::const_buffer, 3> out{zmq::buffer(kSchedulerIdentity), zmq::buffer(header),
                                       zmq::buffer(message)};
  waiter_.sent(kBackendItem);
  try {
    zmq::send_multipart(backend_, out);  // blocking: an ack must not be lost
  } catch (const zmq::error_t& e) {
    // The scheduler is gone (shutting down); the entry's lease expires and it is redelivered.
    log_->warn("acknowledgement not delivered to the scheduler: {}", e.what());
  }
}

void Daemon::send_running_plugins() {
  if (!scheduler_connected_) return;
  std::string names(1, frame::kRunning);
  for (const auto& [name, route] : router_.routes()) {
    if (route.internal || route.state != RouteState::kRunning) continue;
    if (names.size() > 1) names += ',';
    names += name;
  }
  waiter_.sent(kBackendItem);
  try {
    zmq::send_multipart(backend_, std::array<zmq::const_buffer, 2>{zmq::buffer(kSchedulerIdentity),
                                                                   zmq::buffer(names)});
  } catch (const zmq::error_t& e) {
    log_->warn("running plugins not sent to the scheduler: {}", e.what());
  }
}

bool Daemon::handle_subscriptions(bool secure) {
  zmq::socket_t& socket = secure ? secure_events_ : events_;
  zmq::message_t msg;
  for (int i = 0; i < 256; ++i) {
    if (!socket.recv(msg, zmq::recv_flags::dontwait)) return true;
    auto text = msg.to_string_view();
    if (text.empty() || (text[0] != 0 && text[0] != 1)) continue;
    const bool subscribe = text[0] == 1;
    const std::string_view asked = text.substr(1);
    // Whose subscription: a CURVE subscriber's key names its tenant (a gateway's, every tenant);
    // a local one is of bus.tenant. It is applied only within that tenant: a prefix that reaches
    // into another tenant's events is refused, one shorter than "<tenant>/" becomes "<tenant>/".
    const char* user_id = zmq_msg_gets(msg.handle(), "User-Id");
    std::optional<std::string> tenant;
    if (!secure) {
      tenant = principals_.event_tenant(nullptr);
    } else if (user_id && *user_id) {
      tenant = principals_.event_tenant(user_id);
    }
    std::string prefix(asked);
    if (!tenant) {
      prefix.clear();
    } else if (!tenant->empty()) {
      const std::string own = *tenant + "/";
      if (own.starts_with(asked)) {
        prefix = own;
      } else if (!asked.starts_with(own)) {
        prefix.clear();
      }
    }
    if (prefix.empty() && !(tenant && tenant->empty())) {
      if (subscribe) {
        std::uint64_t suppressed = 0;
        if (subscription_log_limit_.allow(suppressed))
          log_->warn("refused a subscription to '{}' from {}: outside its tenant", asked,
                     user_id && *user_id ? user_id : "a local subscriber");
      }
      continue;
    }
    // Manual XPUB: this (un)subscribes the pipe the message came from.
    if (subscribe) {
      socket.set(zmq::sockopt::subscribe, prefix);
    } else {
      socket.set(zmq::sockopt::unsubscribe, prefix);
    }
    std::string_view interest_tenant;
    std::string_view interest_topic;
    const std::string interest = split_tenant_topic(prefix, interest_tenant, interest_topic)
                                     ? std::string(interest_topic)
                                     : std::string();
    if (subscribe) {
      if (++external_prefixes_[prefix] == 1) interest_.add(interest);
    } else if (auto it = external_prefixes_.find(prefix); it != external_prefixes_.end()) {
      if (--it->second == 0) {
        external_prefixes_.erase(it);
        interest_.remove(interest);
      }
    }
  }
  return false;
}

bool Daemon::external_wants(std::string_view wire_topic) const {
  for (const auto& [prefix, count] : external_prefixes_) {
    if (wire_topic.starts_with(prefix)) return true;
  }
  return false;
}

void Daemon::expire_requests(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto seq = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(seq);
    if (it == pending_.end()) continue;
    const auto& r = it->second.request;
    const Route* route = router_.find(r.service);
    reply_error(r, v1::STATUS_CODE_HANDLER_TIMEOUT,
                fmt::format("plugin '{}' method '{}' did not reply within {} ms", r.service,
                            r.method, route ? route->timeout_ms : 0));
    pending_.erase(it);
  }
}

void Daemon::handle_signal() {
  while (auto sig = signals_.take()) {
    if (*sig == SIGHUP) {
      reload();
    } else {
      log_->info("{} received: shutting down", *sig == SIGINT ? "SIGINT" : "SIGTERM");
      begin_shutdown();
    }
  }
}

void Daemon::begin_shutdown() {
  if (stopping_) return;
  stopping_ = true;
  notifier_.notify("STOPPING=1\nSTATUS=stopping");
  drain_deadline_ = Clock::now() + std::chrono::milliseconds(config_.bus.shutdown_grace_ms);
}

void Daemon::reload() {
  if (stopping_) return;
  notifier_.notify("RELOADING=1\nSTATUS=reloading");
  auto done = [&] { notifier_.notify("READY=1\nSTATUS=serving"); };
  if (config_path_.empty()) {
    log_->info("SIGHUP: running on the embedded default config; nothing to re-read");
    done();
    return;
  }
  DaemonConfig next;
  try {
    next = load_config_file(config_path_);
  } catch (const ConfigError& e) {
    log_->error("SIGHUP: config refused, keeping the running one: {}", e.what());
    done();
    return;
  }
  if (next.bus.request_endpoint != config_.bus.request_endpoint ||
      next.bus.event_endpoint != config_.bus.event_endpoint ||
      next.bus.tenant != config_.bus.tenant ||
      next.bus.max_frame_bytes != config_.bus.max_frame_bytes) {
    log_->warn("SIGHUP: changes under bus: (endpoints, tenant, frame size) take effect at restart");
    next.bus = config_.bus;
  }
  if (next.security.ipc_group != config_.security.ipc_group ||
      next.security.curve_request_endpoint != config_.security.curve_request_endpoint ||
      next.security.curve_event_endpoint != config_.security.curve_event_endpoint ||
      next.security.server_key_file != config_.security.server_key_file) {
    log_->warn(
        "SIGHUP: changes to security endpoints, server key and ipc group take effect at "
        "restart; client keys and tenants apply now");
    next.security.ipc_group = config_.security.ipc_group;
    next.security.curve_request_endpoint = config_.security.curve_request_endpoint;
    next.security.curve_event_endpoint = config_.security.curve_event_endpoint;
    next.security.server_key_file = config_.security.server_key_file;
  }
  if (!next.find_tenant(next.bus.tenant)) {
    log_->error(
        "SIGHUP: config refused, keeping the running one: bus.tenant '{}' is not under "
        "tenants: (and bus.tenant changes at restart)",
        next.bus.tenant);
    done();
    return;
  }
  if (next.cpu_scheduling != config_.cpu_scheduling) {
    log_->warn("SIGHUP: cpu_scheduling takes effect at restart");
    next.cpu_scheduling = config_.cpu_scheduling;
  }
  if (next.log.level != config_.log.level) set_log_level(next.log.level);
  DaemonConfig previous = std::move(config_);
  config_ = std::move(next);
  ++config_generation_;
  principals_.configure(config_);
  if (zap_) zap_->set_clients(config_.security.clients);
  std::vector<std::string> added;
  for (const auto& t : config_.tenants) {
    const TenantConfig* before = previous.find_tenant(t.name);
    if (!before) added.push_back(t.name);
    if (!before || !(*before == t)) {
      log_->info(
          "SIGHUP: tenant {} {}: plugins {}", t.name, before ? "changed" : "added",
          t.all_plugins ? std::string("all") : fmt::format("{}", fmt::join(t.plugins, ", ")));
    }
  }
  for (const auto& t : previous.tenants) {
    if (!config_.find_tenant(t.name)) log_->info("SIGHUP: tenant {} removed", t.name);
  }
  if (!added.empty()) {
    try {
      people_service_->load(added);
    } catch (const std::exception& e) {
      log_->error("SIGHUP: people of the added tenant(s) not loaded: {}", e.what());
    }
  }

  for (auto& [name, r] : router_.routes()) {
    if (r.internal) continue;
    const PluginConfig* now_cfg = config_.find_plugin(name);
    const PluginConfig* old_cfg = previous.find_plugin(name);
    bool live = r.state == RouteState::kRunning || r.state == RouteState::kStarting;
    if (live && (!now_cfg || !now_cfg->enabled)) {
      stop_plugin(r, now_cfg ? "disabled in config" : "removed from config");
    } else if (live && old_cfg &&
               (now_cfg->values != old_cfg->values || now_cfg->library != old_cfg->library ||
                now_cfg->request_timeout_ms != old_cfg->request_timeout_ms)) {
      restart_after_stop_.insert(name);
      stop_plugin(r, "config changed; restarting");
    } else if (!live && r.state != RouteState::kStopping && now_cfg && !now_cfg->enabled) {
      r.state = RouteState::kDisabled;
      r.reason = "disabled in config";
    }
  }
  for (const auto& pc : config_.plugins) {
    Route* r = router_.find(pc.name);
    bool idle = !r || r->state == RouteState::kDisabled || r->state == RouteState::kFailed;
    if (pc.enabled && idle) start_plugin(pc);
  }
  if (config_.find_plugin(std::string(kAdminService))) {
    log_->warn("plugins.coachd is reserved for the daemon's own service and is ignored");
  }
  log_->info("SIGHUP: config {} applied (generation {})", config_path_, config_generation_);
  done();
}

void Daemon::serve_admin(ClientRequest& request, const v1::Envelope& envelope) {
  v1::Envelope reply;
  if (request.method == "Health") {
    v1::HealthReply h;
    h.set_state(stopping_ ? "stopping" : "serving");
    h.set_version(PROJECT_VERSION);
    h.set_uptime_ms(elapsed_ms(started_at_));
    for (const auto& [name, route] : router_.routes()) {
      if (route.internal) continue;
      if (route.state == RouteState::kRunning) h.set_plugins_running(h.plugins_running() + 1);
      if (route.state == RouteState::kFailed) h.set_plugins_failed(h.plugins_failed() + 1);
      if (route.state == RouteState::kDisabled) h.set_plugins_disabled(h.plugins_disabled() + 1);
    }
    h.set_requests_total(requests_total_);
    for (const auto& [code, n] : errors_by_code_) {
      (*h.mutable_errors_by_code())[status_name(static_cast<v1::StatusCode>(code))] = n;
    }
    h.set_requests_in_flight(pending_.size());
    h.set_events_published(events_published_ + interest_.unwanted());
    h.set_events_dropped_plugins(events_dropped_plugins_);
    h.set_events_dropped_external(events_dropped_external_);
    h.set_replies_undeliverable(replies_undeliverable_);
    h.set_config_generation(config_generation_);
    h.set_request_endpoint(config_.bus.request_endpoint);
    h.set_event_endpoint(config_.bus.event_endpoint);
    h.set_curve_request_endpoint(config_.security.curve_request_endpoint);
    h.set_curve_event_endpoint(config_.security.curve_event_endpoint);
    if (store_) store_->commit_latency().to_proto(*h.mutable_store_commit());
    if (scheduler_) scheduler_->lag().to_proto(*h.mutable_scheduler_lag());
    reply = make_reply(request.message_id, h);
  } else if (request.method == "ListPlugins") {
    v1::ListPluginsReply list;
    const TenantConfig* tenant = config_.find_tenant(request.tenant);
    for (const auto& [name, route] : router_.routes()) {
      if (route.internal) continue;
      auto* p = list.add_plugins();
      p->set_name(name);
      p->set_enabled_for_tenant(tenant && tenant->enables(name));
      p->set_version(route.version);
      p->set_description(route.description);
      p->set_state(std::string(to_string(route.state)));
      p->set_reason(route.reason);
      p->set_library(route.library);
      for (const auto& [m, types] : route.methods) {
        auto* mi = p->add_methods();
        mi->set_name(m);
        mi->set_request_type(types.request_type->full_name());
        mi->set_response_type(types.response_type->full_name());
      }
      for (const auto& s : route.subscriptions) p->add_subscriptions(s);
      p->set_requests_total(route.requests_total);
      p->set_events_dropped(route.events_dropped);
    }
    reply = make_reply(request.message_id, list);
  } else if (request.method == "WhoAmI") {
    v1::WhoAmIReply me;
    me.set_tenant(request.tenant);
    me.set_person(request.person);
    for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
      if (request.roles.has(static_cast<Role>(1u << i))) me.add_roles(std::string(kRoleNames[i]));
    }
    reply = make_reply(request.message_id, me);
  } else if (request.method == "AdvanceClock") {
    if (!test_clock_) {
      reply_error(
          request, v1::STATUS_CODE_FAILED_PRECONDITION,
          "the clock is not a test clock (needs deployment: test and scheduler.clock: test)");
      return;
    }
    v1::AdvanceClockRequest req;
    envelope.payload().UnpackTo(&req);
    if (req.by_ms() < 0) {
      reply_error(request, v1::STATUS_CODE_INVALID_ARGUMENT, "by_ms: time does not go back");
      return;
    }
    v1::AdvanceClockReply out;
    out.set_now_ms(test_clock_->advance(req.by_ms()));
    scheduler_->wake();
    log_->info("test clock advanced by {} ms", req.by_ms());
    reply = make_reply(request.message_id, out);
  } else {  // GetDescriptors; the router checked the method name
    v1::GetDescriptorsRequest req;
    envelope.payload().UnpackTo(&req);
    v1::GetDescriptorsReply out;
    std::set<std::string> seen;
    bool found = req.service().empty();
    for (const auto& [name, route] : router_.routes()) {
      if (!req.service().empty() && name != req.service()) continue;
      found = true;
      google::protobuf::FileDescriptorSet shipped;
      const bool has_comments =
          !route.descriptor_set.empty() && shipped.ParseFromString(route.descriptor_set);
      const auto* comments = has_comments ? &shipped : nullptr;
      if (!route.proto_service.empty()) {
        (*out.mutable_services())[name] = route.proto_service;
        if (const auto* svc = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
                route.proto_service))
          add_file(svc->file(), *out.mutable_files(), seen, comments);
      }
      for (const auto& [m, types] : route.methods) {
        add_file(types.request_type->file(), *out.mutable_files(), seen, comments);
        add_file(types.response_type->file(), *out.mutable_files(), seen, comments);
        auto* mi = out.add_methods();
        mi->set_name(name + "/" + m);
        mi->set_request_type(types.request_type->full_name());
        mi->set_response_type(types.response_type->full_name());
      }
    }
    for (const auto& [topic, type] : event_types_.snapshot()) {
      if (!req.service().empty() && topic.rfind(req.service() + ".", 0) != 0) continue;
      add_file(type->file(), *out.mutable_files(), seen);
      (*out.mutable_event_types())[topic] = type->full_name();
    }
    if (!found) {
      reply_error(request, v1::STATUS_CODE_UNKNOWN_SERVICE,
                  fmt::format("no plugin serves '{}'", req.service()));
      return;
    }
    reply = make_reply(request.message_id, out);
  }
  reply_to_client(request, to_message(reply));
}

void Daemon::reply_error(const ClientRequest& request, v1::StatusCode code,
                         const std::string& message) {
  count_error(code);
  log_->debug("request {} {}.{}: {}: {}", request.message_id, request.service, request.method,
              status_name(code), message);
  reply_to_client(request, to_message(make_error_reply(request.message_id, code, message)));
}

void Daemon::reply_to_client(const ClientRequest& to, zmq::message_t body) {
  zmq::socket_t& socket = to.secure ? secure_frontend_ : frontend_;
  waiter_.sent(to.secure ? kSecureFrontendItem : kFrontendItem);
  try {
    if (!socket.send(zmq::buffer(to.identity),
                     zmq::send_flags::dontwait | zmq::send_flags::sndmore)) {
      ++replies_undeliverable_;
      return;
    }
    if (to.delimited) socket.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
    socket.send(body, zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    ++replies_undeliverable_;  // the client disconnected
  }
}

void Daemon::count_error(v1::StatusCode code) { ++errors_by_code_[static_cast<int>(code)]; }

}  // namespace coach::core
