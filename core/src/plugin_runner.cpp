// SPDX-License-Identifier: Apache-2.0
#include "plugin_runner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <future>
#include <set>

#include "coach/plugin.hpp"
#include "envelope.hpp"
#include "logging.hpp"
#include "names.hpp"
#include "store/plugin_store.hpp"
#include "store/store_tables.hpp"
#include "thread_name.hpp"

namespace coach::core {

namespace {

// The daemon's side of PluginContext. Lives in the plugin thread's State; used only there.
class ContextImpl final : public detail::HostContext {
 public:
  ContextImpl(std::string name, ConfigSection config, std::string default_tenant,
              const PluginRunner::Options& options)
      : service_name_(options.library.service),
        name_(std::move(name)),
        config_(std::move(config)),
        logger_(make_logger(name_)),
        default_tenant_(std::move(default_tenant)),
        tenant_(default_tenant_),
        event_types_(options.event_types),
        interest_(options.interest),
        service_(options.store),
        clock_(options.clock),
        people_(options.people),
        on_scheduled_(options.on_scheduled),
        store_(*options.store, name_, &tenant_, &deadline_) {}

  v1::Status serve_binding(detail::MethodBinding binding) noexcept override {
    if (!in_start_) return error(v1::STATUS_CODE_FAILED_PRECONDITION, "serve() only in start()");
    if (!binding.handler || !binding.method) {
      return error(v1::STATUS_CODE_INVALID_ARGUMENT, "a method binding without handler or rpc");
    }
    std::string m = binding.method->name();
    if (binding.method->service()->full_name() != service_name_) {
      return error(v1::STATUS_CODE_INVALID_ARGUMENT,
                   "plugin " + name_ + " serves " + binding.method->full_name() +
                       ", which is not an rpc of its service " +
                       (service_name_.empty() ? "(none declared)" : service_name_));
    }
    if (!is_method_name(m)) {
      return error(v1::STATUS_CODE_INVALID_ARGUMENT,
                   "method name '" + m + "' is not [A-Za-z][A-Za-z0-9_]*");
    }
    if (!methods_.emplace(m, std::move(binding)).second) {
      return error(v1::STATUS_CODE_INVALID_ARGUMENT, "method '" + m + "' served twice");
    }
    return {};
  }

  v1::Status publish_message(std::string_view topic,
                             const google::protobuf::Message& message) noexcept override {
    try {
      std::string t(topic);
      if (auto bad = check_own_topic(t); bad.code() != v1::STATUS_CODE_OK) return bad;
      if (std::this_thread::get_id() != thread_) {
        return error(v1::STATUS_CODE_FAILED_PRECONDITION, "publish() off the plugin's thread");
      }
      if (recorded_topics_.insert(t).second) event_types_->record(t, message.GetDescriptor());
      // Checked before the envelope is built: an event nobody listens to costs no serialisation.
      if (interest_ && !interest_->wants(t)) {
        interest_->count_unwanted();
        return {};
      }
      v1::Envelope env;
      env.set_kind(v1::Envelope::KIND_EVENT);
      env.set_message_id(new_message_id());
      env.set_topic(t);
      env.set_tenant(tenant_);
      stamp_now(env);
      env.mutable_payload()->PackFrom(message);
      const std::string bytes = env.SerializeAsString();
      const std::string header = event_header(tenant_, t);
      std::array<zmq::const_buffer, 2> parts{zmq::buffer(header), zmq::buffer(bytes)};
      if (!zmq::send_multipart(*socket_, parts)) {
        return error(v1::STATUS_CODE_UNAVAILABLE, "event bus is not accepting events");
      }
      return {};
    } catch (const std::exception& e) {
      return error(v1::STATUS_CODE_INTERNAL, e.what());
    }
  }

  v1::Status subscribe_events(std::string_view prefix,
                              detail::EventHandler handler) noexcept override {
    if (!in_start_)
      return error(v1::STATUS_CODE_FAILED_PRECONDITION, "subscribe() only in start()");
    if (!handler) return error(v1::STATUS_CODE_INVALID_ARGUMENT, "subscribe() without a handler");
    subscriptions_.emplace_back(std::string(prefix), std::move(handler));
    if (interest_) interest_->add(subscriptions_.back().first);
    return {};
  }

  // The plugin no longer listens: its thread is ending or its start failed.
  void drop_subscriptions() {
    if (interest_) {
      for (const auto& [prefix, handler] : subscriptions_) interest_->remove(prefix);
    }
    subscriptions_.clear();
  }

  Store& store() noexcept override { return store_; }
  const PeopleDirectory& people() noexcept override {
    if (!people_snapshot_)
      people_snapshot_ = people_ ? people_->get(tenant_) : std::make_shared<PeopleDirectory>();
    return *people_snapshot_;
  }
  std::int64_t now_ms() const noexcept override { return clock_->now_ms(); }

  v1::Status schedule_message(std::int64_t due_ms, std::string_view topic,
                              const google::protobuf::Message& message,
                              const ScheduleOptions& options, std::int64_t& id) noexcept override {
    std::string t(topic);
    if (auto bad = check_own_topic(t); bad.code() != v1::STATUS_CODE_OK) return bad;
    auto status = status_of([&] {
      google::protobuf::Any any;
      any.PackFrom(message);
      const std::string payload = any.SerializeAsString();
      const std::int64_t now = clock_->now_ms();
      id = service_->write([&](SqlConnection& c) {
        return schedule_insert(c, {tenant_, name_}, t, due_ms, payload, options.announce, now);
      });
    });
    if (status.code() == v1::STATUS_CODE_OK && on_scheduled_) on_scheduled_();
    return status;
  }

  v1::Status cancel_scheduled(std::int64_t id, bool& cancelled) noexcept override {
    return status_of([&] {
      const std::int64_t now = clock_->now_ms();
      cancelled = service_->write([&](SqlConnection& c) {
        return schedule_cancel(c, {tenant_, name_}, id, now);
      });
    });
  }

  v1::Status handle_due_binding(std::string_view prefix,
                                detail::DueHandler handler) noexcept override {
    if (!in_start_) return error(v1::STATUS_CODE_FAILED_PRECONDITION, "on_due() only in start()");
    if (!handler) return error(v1::STATUS_CODE_INVALID_ARGUMENT, "on_due() without a handler");
    due_handlers_.emplace_back(std::string(prefix), std::move(handler));
    return {};
  }

  const ConfigSection& config() const noexcept override { return config_; }
  std::shared_ptr<spdlog::logger> logger() const noexcept override { return logger_; }
  std::string_view name() const noexcept override { return name_; }

  // Runner-side access.
  std::map<std::string, detail::MethodBinding, std::less<>> methods_;
  std::vector<std::pair<std::string, detail::EventHandler>> subscriptions_;
  std::vector<std::pair<std::string, detail::DueHandler>> due_handlers_;
  // The rpc service the manifest declares: every method must be one of its rpcs.
  bool in_start_ = false;
  std::thread::id thread_;
  zmq::socket_t* socket_ = nullptr;

  void set_tenant(std::string_view tenant) {
    tenant_.assign(tenant);
    people_snapshot_.reset();
  }
  // Outside a request: the default tenant, no deadline.
  void end_request() {
    tenant_ = default_tenant_;
    deadline_ = PluginStore::Deadline::max();
    people_snapshot_.reset();
  }
  // The deadline of the request being handled (none outside a request).
  PluginStore::Deadline deadline_ = PluginStore::Deadline::max();

 private:
  v1::Status check_own_topic(const std::string& t) const {
    const bool own = t.size() > name_.size() && t.starts_with(name_) && t[name_.size()] == '.';
    if (!own || !is_topic(t)) {
      return error(v1::STATUS_CODE_INVALID_ARGUMENT,
                   "topic '" + t + "' must be '" + name_ + ".<event>' in [a-z0-9_.]");
    }
    return {};
  }

  static v1::Status error(v1::StatusCode code, std::string message) {
    v1::Status s;
    s.set_code(code);
    s.set_message(std::move(message));
    return s;
  }

 public:
  std::string service_name_;

 private:
  std::string name_;
  ConfigSection config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string default_tenant_;
  std::string tenant_;
  EventTypes* event_types_;
  TopicInterest* interest_;
  std::set<std::string> recorded_topics_;  // topics already in event_types_: skip its lock
  StoreService* service_;
  const Clock* clock_;
  const PeopleDirectories* people_;
  // The current tenant's directory, taken at the first people() of a handler, kept until it ends.
  std::shared_ptr<const PeopleDirectory> people_snapshot_;
  std::function<void()> on_scheduled_;
  PluginStore store_;
};

}  // namespace

struct PluginRunner::State {
  PluginRunner::Options options;
  ContextImpl context;
  std::promise<std::string> started;
  std::atomic<bool> abandoned{false};
  std::atomic<bool> finished{false};
  std::shared_ptr<spdlog::logger> log;

  explicit State(Options opts)
      : options(std::move(opts)),
        context(options.library.name, ConfigSection(options.library.name, options.library.config),
                options.default_tenant, options),
        log(make_logger("runner")) {}

  v1::Envelope request_;
  v1::Envelope reply_;

  void run();
  void serve_request(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);
  void deliver_event(std::vector<zmq::message_t>& parts);
  void deliver_due(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);
};

void PluginRunner::State::run() {
  const std::string& name = options.library.name;
  std::unique_ptr<detail::PluginInstance> instance;
  try {
    zmq::socket_t socket(*options.zmq, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::routing_id, name);
    socket.set(zmq::sockopt::linger, static_cast<int>(options.linger_ms));
    socket.set(zmq::sockopt::sndhwm, static_cast<int>(options.hwm));
    socket.set(zmq::sockopt::rcvhwm, static_cast<int>(options.hwm));
    socket.connect(options.backend_endpoint);
    context.socket_ = &socket;
    context.thread_ = std::this_thread::get_id();

    instance.reset(options.library.create());
    std::string error;
    bool ok = false;
    if (!instance) {
      error = "plugin factory returned null (out of memory?)";
    } else {
      context.in_start_ = true;
      ok = instance->start(context, error);
      context.in_start_ = false;
      if (!ok) {
        error = "start failed: " + error;
      } else {
        std::set<std::string, std::less<>> served;
        for (const auto& [method, binding] : context.methods_) served.insert(method);
        error = detail::unserved_rpcs(context.service_name_.c_str(), name, served);
        if (!error.empty()) {
          ok = false;
          std::string ignored;
          instance->stop(ignored);
        }
      }
    }
    if (!ok) {
      context.methods_.clear();
      context.due_handlers_.clear();
      context.drop_subscriptions();
      instance.reset();
      started.set_value(error.empty() ? "start failed" : error);
      finished = true;
      return;
    }
    started.set_value({});
    if (abandoned) {
      std::string ignored;
      instance->stop(ignored);
      context.drop_subscriptions();
      finished = true;
      return;
    }
    zmq::send_multipart(socket, std::array<zmq::const_buffer, 1>{zmq::buffer(&frame::kHello, 1)});

    std::vector<zmq::message_t> parts;
    parts.reserve(4);
    for (;;) {
      parts.clear();
      if (!zmq::recv_multipart(socket, std::back_inserter(parts))) continue;
      if (parts.empty() || parts[0].size() == 0) continue;
      const char tag = parts[0].data<char>()[0];
      if (tag == frame::kRequest) {
        serve_request(socket, parts);
      } else if (tag == frame::kEvent) {
        deliver_event(parts);
      } else if (tag == frame::kDue) {
        deliver_due(socket, parts);
      } else if (tag == frame::kStop) {
        break;
      } else {
        log->error("plugin {}: unexpected frame tag '{}' from broker", name, tag);
      }
    }
    std::string error_on_stop;
    instance->stop(error_on_stop);
    instance.reset();
    if (!error_on_stop.empty()) log->error("plugin {}: stop failed: {}", name, error_on_stop);
    zmq::send_multipart(socket, std::array<zmq::const_buffer, 1>{zmq::buffer(&frame::kBye, 1)});
  } catch (const std::exception& e) {
    log->critical("plugin {}: thread ended by an error: {}", name, e.what());
    if (instance) {
      std::string ignored;
      instance->stop(ignored);
    }
    try {
      started.set_value(std::string("runner failed: ") + e.what());
    } catch (const std::future_error&) {
      // start() already reported success.
    }
  }
  context.drop_subscriptions();
  finished = true;
}

void PluginRunner::State::serve_request(zmq::socket_t& socket, std::vector<zmq::message_t>& parts) {
  // parts: ['R' seq "<deadline_ns> <roles> <tenant> <person>", envelope]
  std::uint64_t seq = 0;
  std::string_view tail;
  RequestTail principal;
  if (parts.size() != 2 || !decode_header(parts[0].to_string_view(), seq, tail) ||
      !decode_request_tail(tail, principal)) {
    log->error("plugin {}: request with {} frames dropped", options.library.name, parts.size());
    return;
  }
  const PluginStore::Deadline deadline{std::chrono::nanoseconds(principal.deadline_ns)};
  // Reused from request to request: parsing and building keep their sub-messages and strings.
  v1::Envelope& request = request_;
  v1::Envelope& reply = reply_;
  clear_keeping_buffers(reply);
  reply.set_kind(v1::Envelope::KIND_REPLY);
  auto* status = reply.mutable_status();
  if (!parse_reusing_buffers(request, parts[1].data(), parts[1].size())) {
    status->set_code(v1::STATUS_CODE_MALFORMED_FRAME);
    status->set_message("request does not parse");
  } else {
    reply.set_correlation_id(request.message_id());
    auto it = context.methods_.find(request.method());
    if (it == context.methods_.end()) {
      status->set_code(v1::STATUS_CODE_UNKNOWN_METHOD);
      status->set_message(
          fmt::format("plugin '{}' has no method '{}'", options.library.name, request.method()));
    } else if (std::chrono::steady_clock::now() >= deadline) {
      // Its caller was answered with a timeout while it waited behind slower requests.
      log->debug("plugin {}: {} expired in the queue; not served", options.library.name,
                 request.method());
      status->set_code(v1::STATUS_CODE_HANDLER_TIMEOUT);
      status->set_message("the request's deadline passed while it was queued; not served");
    } else {
      const RequestContext rc{principal.tenant, request.message_id(), request.method(),
                              deadline,         principal.person,     Roles(principal.roles)};
      context.set_tenant(rc.tenant);
      context.deadline_ = deadline;
      try {
        it->second.handler(rc, request.payload(), *reply.mutable_payload(), *status);
      } catch (...) {
        // The SDK's handler wrapper catches everything; this guards a hand-written binding.
        status->set_code(v1::STATUS_CODE_HANDLER_FAILED);
        status->set_message("handler threw through the SDK wrapper");
      }
      context.end_request();
      if (status->code() != v1::STATUS_CODE_OK) {
        status->set_message(fmt::format("plugin '{}' method '{}': {}", options.library.name,
                                        request.method(), status->message()));
      }
    }
  }
  if (status->code() != v1::STATUS_CODE_OK) reply.clear_payload();  // an error carries none
  set_new_message_id(reply);
  stamp_now(reply);
  char code[12];
  const auto code_end = std::to_chars(code, code + sizeof code, static_cast<int>(status->code()));
  std::array<zmq::message_t, 2> out{
      header_message(frame::kReply, seq, std::string_view(code, code_end.ptr)), to_message(reply)};
  zmq::send_multipart(socket, out);
}

void PluginRunner::State::deliver_event(std::vector<zmq::message_t>& parts) {
  // parts: ['E' topic, envelope]
  if (parts.size() != 2) return;
  v1::Envelope env;
  if (!env.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) {
    log->error("plugin {}: undecodable event on {}", options.library.name,
               parts[0].to_string_view().substr(1));
    return;
  }
  Event event{env.topic(), env.tenant(), env.payload()};
  context.set_tenant(env.tenant());
  for (auto& [prefix, handler] : context.subscriptions_) {
    if (env.topic().rfind(prefix, 0) != 0) continue;
    try {
      handler(event);
    } catch (const std::exception& e) {
      log->error("plugin {}: event {}: {}", options.library.name, env.topic(), e.what());
    } catch (...) {
      log->error("plugin {}: event {}: unknown exception", options.library.name, env.topic());
    }
  }
  context.end_request();
}

void PluginRunner::State::deliver_due(zmq::socket_t& socket, std::vector<zmq::message_t>& parts) {
  // parts: ['D' id "<attempt> <due_ms>", envelope]
  std::uint64_t id = 0;
  std::string_view tail;
  if (parts.size() != 2 || !decode_header(parts[0].to_string_view(), id, tail)) {
    log->error("plugin {}: malformed due entry dropped", options.library.name);
    return;
  }
  v1::Status status;
  v1::Envelope env;
  if (!env.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) {
    status.set_code(v1::STATUS_CODE_MALFORMED_FRAME);
    status.set_message("due entry does not parse");
  } else {
    DueEntry due{static_cast<std::int64_t>(id), env.topic(), env.tenant(), 0, 1, env.payload()};
    const auto space = tail.find(' ');
    std::from_chars(tail.data(), tail.data() + space, due.attempt);
    if (space != std::string_view::npos)
      std::from_chars(tail.data() + space + 1, tail.data() + tail.size(), due.due_ms);
    detail::DueHandler* handler = nullptr;
    for (auto& [prefix, h] : context.due_handlers_) {
      if (env.topic().rfind(prefix, 0) == 0) {
        handler = &h;
        break;
      }
    }
    if (!handler) {
      status.set_code(v1::STATUS_CODE_UNKNOWN_METHOD);
      status.set_message(fmt::format("plugin '{}' has no due handler for '{}'",
                                     options.library.name, env.topic()));
    } else {
      context.set_tenant(env.tenant());
      try {
        (*handler)(due, status);
      } catch (...) {
        status.set_code(v1::STATUS_CODE_HANDLER_FAILED);
        status.set_message("due handler threw through the SDK wrapper");
      }
      context.end_request();
    }
  }
  const auto header =
      encode_header(frame::kAck, id, std::to_string(static_cast<int>(status.code())));
  zmq::send_multipart(
      socket, std::array<zmq::const_buffer, 2>{zmq::buffer(header), zmq::buffer(status.message())});
}

PluginRunner::PluginRunner(Options options)
    : name_(options.library.name), state_(std::make_shared<State>(std::move(options))) {}

PluginRunner::~PluginRunner() {
  if (!thread_.joinable()) return;
  if (state_->finished) {
    thread_.join();
  } else {
    state_->abandoned = true;
    thread_.detach();  // the thread holds state_ alive; it ends when the plugin code returns
  }
}

std::string PluginRunner::start(std::chrono::milliseconds timeout) {
  auto result = state_->started.get_future();
  thread_ = std::thread([state = state_] {
    name_this_thread("p:" + state->options.config.name);
    state->run();
  });
  if (result.wait_for(timeout) != std::future_status::ready) {
    state_->abandoned = true;
    return fmt::format("start did not return within {} ms", timeout.count());
  }
  auto error = result.get();
  if (!error.empty()) join();
  return error;
}

std::map<std::string, MethodRoute, std::less<>> PluginRunner::methods() const {
  std::map<std::string, MethodRoute, std::less<>> out;
  for (const auto& [name, binding] : state_->context.methods_) {
    out.emplace(name, MethodRoute{binding.method->input_type(), binding.method->output_type()});
  }
  return out;
}

std::vector<std::string> PluginRunner::subscriptions() const {
  std::vector<std::string> out;
  for (const auto& [prefix, handler] : state_->context.subscriptions_) out.push_back(prefix);
  return out;
}

void PluginRunner::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace coach::core
