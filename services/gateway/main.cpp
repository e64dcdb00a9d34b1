// SPDX-License-Identifier: Apache-2.0
// coach-gateway: every method coachd serves, over HTTP/JSON, for the tools organisations use.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "bus_client.hpp"
#include "bus_pipe.hpp"
#include "curve_keys.hpp"
#include "http_api.hpp"
#include "http_server.hpp"
#include "logging.hpp"
#include "runtime_paths.hpp"

int main(int argc, char** argv) {
  using namespace coach;
  CLI::App app{
      "coach-gateway: POST /v1/{service}/{method} with JSON for every method coachd serves, "
      "authenticated by bearer tokens (coachctl token create)"};
  std::string listen = "127.0.0.1:8080";
  std::string endpoint = core::default_request_endpoint();
  std::string key_file, server_key_file;
  gateway::HttpApi::Options api;
  gateway::ServerLimits limits;
  int timeout_ms = 5000, request_timeout_ms = 10000, token_cache_ms = 30000;
  std::string log_level = "info";
  std::string webhook_secrets;
  app.add_option("--listen", listen, "HOST:PORT to serve HTTP on (port 0: any)")
      ->capture_default_str();
  app.add_option("-e,--endpoint", endpoint, "coachd request endpoint")->capture_default_str();
  app.add_option("--key", key_file, "The gateway's CURVE key pair (a key with role: gateway)")
      ->check(CLI::ExistingFile);
  app.add_option("--server-key", server_key_file, "coachd's public key file")
      ->check(CLI::ExistingFile);
  app.add_option("--tenant", api.tenant, "Tenant stated on the gateway's own calls")
      ->capture_default_str();
  app.add_option("--max-body", limits.max_body, "Largest request body, bytes (beyond: 413)")
      ->capture_default_str();
  app.add_option("--max-in-flight", api.max_in_flight, "Requests in flight (beyond: 429)")
      ->capture_default_str();
  app.add_option("--max-connections", limits.max_connections, "Open connections at most")
      ->capture_default_str();
  app.add_option("--timeout", timeout_ms, "Milliseconds to wait for coachd")->capture_default_str();
  app.add_option("--request-timeout", request_timeout_ms,
                 "Milliseconds a client has to send a whole request")
      ->capture_default_str();
  app.add_option("--token-cache", token_cache_ms,
                 "Milliseconds a resolved token is trusted (a revocation applies within it)")
      ->capture_default_str();
  app.add_option("--webhook-secrets", webhook_secrets,
                 "File of 'TENANT SECRET' lines: the secrets incoming webhooks are signed with "
                 "(readable by the gateway's user only)")
      ->check(CLI::ExistingFile);
  int heartbeat_ms = 15000, stream_max_age_s = 300;
  app.add_option("--events-endpoint", api.events_endpoint,
                 "coachd's event endpoint (default: the one coachd's Health names)");
  app.add_option("--event-retention", api.event_retention,
                 "Events kept for event streams that resume (Last-Event-ID)")
      ->capture_default_str();
  app.add_option("--heartbeat", heartbeat_ms, "Milliseconds between an event stream's keep-alives")
      ->capture_default_str();
  app.add_option("--stream-max-age", stream_max_age_s,
                 "Seconds an event stream stays open before the browser reconnects (and who may "
                 "see what is asked again)")
      ->capture_default_str();
  app.add_option("--tls-cert", limits.tls_cert,
                 "PEM certificate chain: serve HTTPS (with --tls-key) instead of HTTP")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", limits.tls_key,
                 "PEM private key of --tls-cert (readable by the gateway's user only)")
      ->check(CLI::ExistingFile);
  app.add_option("--web-root", api.web_root,
                 "The built web app (services/web/dist) to serve at /; empty: none")
      ->check(CLI::ExistingDirectory);
  app.add_option("--session-hours", api.session_hours,
                 "How long a web session from a sign-in link lasts")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  core::LogConfig log;
  log.level = log_level;
  core::configure_logging(log);
  auto logger = core::make_logger("gateway");
  try {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("--listen: expected HOST:PORT");
    const auto host = listen.substr(0, colon);
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
    core::BusClientOptions keys;
    if (!key_file.empty()) {
      if (server_key_file.empty()) throw std::invalid_argument("--key needs --server-key");
      keys.client_key = core::read_key_file(key_file, true);
      keys.server_public_key = core::read_key_file(server_key_file, false).public_key;
    }
    if (limits.tls_cert.empty() != limits.tls_key.empty())
      throw std::invalid_argument("--tls-cert and --tls-key go together");
    if (!limits.tls_key.empty()) gateway::require_private_file("--tls-key", limits.tls_key);
    api.secure_cookies = !limits.tls_cert.empty();
    if (!webhook_secrets.empty())
      api.webhook_secrets = gateway::read_webhook_secrets(webhook_secrets);
    api.timeout = std::chrono::milliseconds(timeout_ms);
    api.token_cache = std::chrono::milliseconds(token_cache_ms);
    limits.request_timeout = std::chrono::milliseconds(request_timeout_ms);
    api.heartbeat = std::chrono::milliseconds(heartbeat_ms);
    api.stream_max_age = std::chrono::seconds(stream_max_age_s);
    core::BusClientOptions own = keys;
    own.tenant = api.tenant;
    core::BusClient descriptors(endpoint, own);
    boost::asio::io_context io(1);
    gateway::BusPipe pipe(io, endpoint, keys, api.timeout);
    api.keys = keys;
    gateway::HttpApi http_api(io, pipe, descriptors, api);
    gateway::HttpServer server(io, host, port, limits, http_api);
    http_api.count_connections_with([&server] { return server.connections(); });
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int sig) {
      logger->info("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      io.stop();
    });
    logger->info("serving {}://{}:{} for coachd at {}{}",
                 limits.tls_cert.empty() ? "http" : "https", host, server.port(), endpoint,
                 keys.client_key ? " (CURVE, gateway key)" : "");
    io.run();
    logger->info("stopped");
    return 0;
  } catch (const std::invalid_argument& e) {
    logger->error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    logger->error("{}", e.what());
    return 1;
  }
}
