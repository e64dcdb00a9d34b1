// SPDX-License-Identifier: Apache-2.0
// Daemon: the broker at the centre of coachd. One thread (the caller of run()) owns every
// socket but the plugins' own: the request ROUTER clients connect to, the inproc ROUTER the plugin
// threads connect to, the event XPUB, and the signal fd. It routes requests to plugins and replies
// back, enforces timeouts, fans events out, serves the "coachd" admin service, reloads the config
// on SIGHUP and shuts down gracefully on SIGTERM/SIGINT.
#pragma once

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "clock.hpp"
#include "config.hpp"
#include "event_types.hpp"
#include "logging.hpp"
#include "people_directories.hpp"
#include "people_service.hpp"
#include "plugin_loader.hpp"
#include "plugin_runner.hpp"
#include "principal_resolver.hpp"
#include "request_router.hpp"
#include "scheduler.hpp"
#include "service_notifier.hpp"
#include "signal_watcher.hpp"
#include "socket_waiter.hpp"
#include "store/store_service.hpp"
#include "store_admin.hpp"
#include "token_service.hpp"
#include "zap_handler.hpp"

namespace spdlog {
class logger;
}

namespace coach::core {

class Daemon {
 public:
  // config_path empty: the config came from the embedded default and SIGHUP re-reads nothing.
  Daemon(DaemonConfig config, std::string config_path, SignalWatcher& signals);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Opens the store, binds the endpoints, starts the enabled plugins and serves until SIGTERM or
  // SIGINT. Returns the process exit code. Throws std::runtime_error when the store cannot be
  // opened or an endpoint cannot be bound.
  int run();

 private:
  using Clock = std::chrono::steady_clock;

  // A client request on its way to a plugin.
  struct ClientRequest {
    std::string identity;
    bool delimited = false;  // REQ-style client: an empty frame before the envelope
    bool secure = false;     // arrived on the CURVE endpoint (replies go back there)
    // The principal, as PrincipalResolver found it.
    std::string tenant;
    std::string person;
    Roles roles;
    std::string message_id;
    std::string service;
    std::string method;
    zmq::message_t envelope;
  };
  struct Pending {
    ClientRequest request;
    Clock::time_point deadline;
  };

  void bind_endpoints();
  // A service the daemon serves itself (coachd, people), with the rpcs of service as methods.
  void register_internal_route(std::string_view name,
                               const google::protobuf::ServiceDescriptor* service,
                               std::string description);
  void start_plugin(const PluginConfig& pc);
  void stop_plugin(Route& route, const std::string& why);
  void on_plugin_gone(Route& route);
  void fail_backlog(Route& route, v1::StatusCode code, const std::string& message);

  // Each handles a bounded batch of queued messages; true when it left none behind.
  bool handle_frontend(bool secure);
  void handle_client_message(std::vector<zmq::message_t>& parts, bool secure);
  bool handle_backend();
  void handle_event(Route* from, std::vector<zmq::message_t>& parts);
  void handle_signal();
  bool handle_subscriptions(bool secure);
  bool external_wants(std::string_view wire_topic) const;
  void publish_external(std::string_view wire_topic, const zmq::message_t& envelope);
  void expire_requests(Clock::time_point now);
  // Sends request to route's plugin, or to identity (a daemon worker such as the store admin).
  void forward(Route& route, ClientRequest request, std::string_view identity = {});
  void handle_scheduler(std::vector<zmq::message_t>& parts);
  void ack_to_scheduler(std::string_view header, std::string_view message);
  void send_running_plugins();
  void serve_admin(ClientRequest& request, const v1::Envelope& envelope);
  void reload();
  void begin_shutdown();

  void reply_error(const ClientRequest& request, v1::StatusCode code, const std::string& message);
  void reply_to_client(const ClientRequest& to, zmq::message_t body);
  void count_error(v1::StatusCode code);
  std::optional<std::chrono::milliseconds> next_timeout(Clock::time_point now) const;

  DaemonConfig config_;
  std::string config_path_;
  SignalWatcher& signals_;
  std::shared_ptr<spdlog::logger> log_;
  ServiceNotifier notifier_;

  // Declared before the runners: libraries outlive every plugin object (see PluginLoader).
  PluginLoader loader_;
  EventTypes event_types_;
  TopicInterest interest_;
  PeopleDirectories people_;
  std::unique_ptr<::coach::core::Clock> clock_;
  TestClock* test_clock_ = nullptr;      // clock_, when it is a test clock
  std::unique_ptr<StoreService> store_;  // outlives every thread that uses it
  zmq::context_t zmq_;
  // Bound before any CURVE endpoint: without it libzmq lets every key in.
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t frontend_;         // local callers (ipc)
  zmq::socket_t secure_frontend_;  // CURVE clients (tcp); unbound without one
  zmq::socket_t backend_;
  zmq::socket_t events_;
  zmq::socket_t secure_events_;
  // What the broker sleeps on, added in this order by bind_endpoints().
  enum WaitItem : std::size_t {
    kFrontendItem,
    kSecureFrontendItem,
    kBackendItem,
    kEventsItem,
    kSecureEventsItem,
    kSignalsItem
  };
  SocketWaiter waiter_;
  RequestRouter router_;
  std::map<std::string, std::unique_ptr<PluginRunner>, std::less<>> runners_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<StoreAdmin> store_admin_;
  std::unique_ptr<PeopleService> people_service_;
  std::unique_ptr<TokenService> token_service_;
  bool scheduler_connected_ = false;
  std::map<std::string, std::deque<ClientRequest>, std::less<>> backlog_;  // routes still starting
  std::set<std::string> restart_after_stop_;
  // "<tenant>/<prefix>"es external subscribers hold, counted (the XPUBs are manual: every
  // subscription is seen, checked against its subscriber's tenant, and applied only if allowed);
  // events nobody outside asked for skip the XPUBs.
  std::map<std::string, int, std::less<>> external_prefixes_;
  PrincipalResolver principals_{people_};
  Principal principal_;  // of the request being routed; buffers reused
  LogRateLimit subscription_log_limit_;

  v1::Envelope request_envelope_;  // the request being routed
  std::string request_tail_;       // its header's tail (deadline, tenant); buffer reused
  std::map<std::uint64_t, Pending> pending_;
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines_;
  std::uint64_t next_seq_ = 1;

  Clock::time_point started_at_;
  bool ready_announced_ = false;
  bool stopping_ = false;
  bool plugins_stopping_ = false;
  Clock::time_point drain_deadline_;
  Clock::time_point stop_deadline_;
  std::uint64_t config_generation_ = 1;

  std::uint64_t requests_total_ = 0;
  std::map<int, std::uint64_t> errors_by_code_;
  std::uint64_t events_published_ = 0;
  std::uint64_t events_dropped_plugins_ = 0;
  std::uint64_t events_dropped_external_ = 0;
  std::uint64_t replies_undeliverable_ = 0;
};

}  // namespace coach::core
