// SPDX-License-Identifier: Apache-2.0
// HttpApi: what coach-gateway answers, with no code per plugin. Every method coachd serves is
// POST /v1/{service}/{method} with protobuf's canonical JSON in and out, typed by the descriptors
// coachd serves (re-read when a request names a method the gateway has not seen). A bearer token
// (coachctl token create) is the principal the gateway states to coachd. coachd's status codes
// become HTTP statuses with a JSON error body.
#pragma once

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bus_client.hpp"
#include "bus_pipe.hpp"
#include "coach/v1/people.pb.h"
#include "event_feed.hpp"
#include "event_streams.hpp"
#include "http_types.hpp"
#include "metrics.hpp"
#include "remote_types.hpp"
#include "web_files.hpp"

namespace coach::gateway {

// Refuses (invalid_argument naming option) a secret file that group or others can read.
void require_private_file(const std::string& option, const std::string& path);

// The --webhook-secrets file: "TENANT SECRET" per line, # comments. Refused (invalid_argument,
// with the reason) when group or others can read it, or a line is not two words.
std::map<std::string, std::string> read_webhook_secrets(const std::string& path);

class HttpApi {
 public:
  struct Options {
    std::string tenant = "default";  // stated on the gateway's own calls (descriptors, health)
    std::size_t max_in_flight = 1024;
    std::chrono::milliseconds token_cache{30'000};
    std::chrono::milliseconds timeout{5'000};
    // Per tenant, the secret incoming webhooks are signed with (--webhook-secrets).
    std::map<std::string, std::string> webhook_secrets;
    core::BusClientOptions keys;           // with a CURVE key: coachd's CURVE sockets
    std::string events_endpoint;           // empty: the one coachd's Health names
    std::size_t event_retention = 10'000;  // events kept for streams that resume
    std::chrono::milliseconds heartbeat{15'000};
    std::chrono::milliseconds stream_max_age{300'000};
    std::string web_root;         // the built web app; empty: none
    bool secure_cookies = false;  // the gateway serves HTTPS: cookies only go over it
    std::uint32_t session_hours = 8;
  };
  using Respond = std::function<void(HttpReply)>;

  // pipe's replies come back on the HTTP thread (io's), where the API runs.
  HttpApi(boost::asio::io_context& io, BusPipe& pipe, core::BusClient& descriptors,
          Options options);

  // Answers request; respond runs once, on the HTTP thread. From the HTTP thread only.
  void handle(HttpRequest request, Respond respond);
  // Where /metrics reads the number of open connections.
  void count_connections_with(std::function<std::size_t()> connections) {
    connections_ = std::move(connections);
  }

 private:
  struct Principal {
    std::string tenant;
    std::string person;
    std::string role;
    std::chrono::steady_clock::time_point expires;
  };
  void call(const Principal& who, const std::string& service, const std::string& method,
            const std::string& json, Respond respond);
  // Who request comes from: a bearer token (Authorization, or ?access_token= on a GET), or a web
  // session's cookie, whose POSTs must carry its X-CSRF-Token. then gets the principal, or null
  // and the refusal.
  void authenticate(const HttpRequest& request,
                    std::function<void(const Principal*, HttpReply)> then);
  // GET /login?code=: a sign-in link's code exchanged for a session cookie.
  void login(const HttpRequest& request, Respond respond);
  // GET /v1/session: who the session is, with its CSRF token. POST /v1/session/logout ends it.
  void session(const HttpRequest& request, Respond respond);
  void logout(const HttpRequest& request, Respond respond);
  // Authenticates request and asks coachd what its principal may see; then gets the answer, or
  // respond the refusal.
  void visibility(const HttpRequest& request, Respond respond,
                  std::function<void(const std::string& tenant, v1::Visibility)> then);
  void ready(Respond respond);
  // A help desk's ticket event (service_followup's ImportEvent as JSON), signed: checked, then
  // applied as service_followup.Import (idempotent on its event_id).
  void webhook_in(const Principal& who, const HttpRequest& request, Respond respond);
  void metrics(Respond respond);
  // GET /v1/events: a Server-Sent Events stream of what the token's person may see.
  void events(const HttpRequest& request, Respond respond);
  // Connects the event feed to coachd's event endpoint (asked of coachd's Health unless given).
  // Only once a client asks for a stream: until then coachd publishes no event to the gateway
  // and the gateway decodes none (a gateway that only serves calls does no event work).
  void ensure_feed();
  EventFeed::Decoded decode(const google::protobuf::Any& payload);
  // Re-reads coachd's descriptors, at most once a second unless forced.
  void refresh_types(bool force);
  const v1::MethodInfo* find_method(const std::string& service, const std::string& method);
  v1::Envelope envelope(const std::string& service, const std::string& method);
  // A request that who makes: their tenant, person and (a token's) role.
  v1::Envelope envelope_as(const Principal& who, const std::string& service,
                           const std::string& method);
  void send(v1::Envelope request, std::function<void(v1::Envelope)> then);

  BusPipe& pipe_;
  core::BusClient& descriptors_;
  Options options_;
  core::RemoteTypes types_;
  bool types_loaded_ = false;
  std::chrono::steady_clock::time_point types_loaded_at_;
  std::map<std::string, Principal, std::less<>> tokens_;  // token -> who, until it expires
  GatewayMetrics metrics_;
  std::function<std::size_t()> connections_;
  std::optional<WebFiles> web_;
  EventStreams streams_;
  EventFeed feed_;
  bool feed_resolving_ = false;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace coach::gateway
