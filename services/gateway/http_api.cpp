// SPDX-License-Identifier: Apache-2.0
#include "http_api.hpp"

#include <google/protobuf/util/json_util.h>

#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "coach/json_text.hpp"
#include "coach/signature.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/people.pb.h"
#include "coach/v1/tokens.pb.h"
#include "envelope.hpp"
#include "helpdesk_mapping.hpp"
#include "logging.hpp"
#include "openapi.hpp"
#include "token_service.hpp"

namespace coach::gateway {

unsigned http_status(v1::StatusCode code) {
  switch (code) {
    case v1::STATUS_CODE_OK:
      return 200;
    case v1::STATUS_CODE_MALFORMED_FRAME:
    case v1::STATUS_CODE_WRONG_PAYLOAD_TYPE:
    case v1::STATUS_CODE_INVALID_ARGUMENT:
      return 400;
    case v1::STATUS_CODE_UNAUTHENTICATED:
      return 401;
    case v1::STATUS_CODE_PERMISSION_DENIED:
    case v1::STATUS_CODE_NOT_ENABLED_FOR_TENANT:
      return 403;
    case v1::STATUS_CODE_UNKNOWN_SERVICE:
    case v1::STATUS_CODE_UNKNOWN_METHOD:
    case v1::STATUS_CODE_NOT_FOUND:
      return 404;
    case v1::STATUS_CODE_FAILED_PRECONDITION:
    case v1::STATUS_CODE_CONFLICT:
      return 409;
    case v1::STATUS_CODE_OVERSIZED_FRAME:
      return 413;
    case v1::STATUS_CODE_OVERLOADED:
      return 429;
    case v1::STATUS_CODE_PLUGIN_DISABLED:
    case v1::STATUS_CODE_SHUTTING_DOWN:
    case v1::STATUS_CODE_UNAVAILABLE:
    case v1::STATUS_CODE_RESOURCE_EXHAUSTED:
      return 503;
    case v1::STATUS_CODE_HANDLER_TIMEOUT:
      return 504;
    default:
      return 500;
  }
}

void require_private_file(const std::string& option, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::invalid_argument(option + ": no " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    throw std::invalid_argument(option + ": " + path +
                                " can be read by others; make it readable by its owner only "
                                "(chmod 600)");
  }
}

std::map<std::string, std::string> read_webhook_secrets(const std::string& path) {
  require_private_file("--webhook-secrets", path);
  std::ifstream in(path);
  std::map<std::string, std::string> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string tenant, secret, extra;
    words >> tenant >> secret;
    if (tenant.empty() || secret.size() < 16 || (words >> extra)) {
      throw std::invalid_argument("--webhook-secrets: " + path + ":" + std::to_string(number) +
                                  ": expected 'TENANT SECRET' with a secret of 16 or more "
                                  "characters");
    }
    out[tenant] = secret;
  }
  return out;
}

HttpReply error_reply(v1::StatusCode code, const std::string& message) {
  HttpReply r;
  r.status = http_status(code);
  r.body = "{\"code\":" + json_text(core::status_name(code)) +
           ",\"status\":" + std::to_string(static_cast<int>(code)) +
           ",\"message\":" + json_text(message) + "}";
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of name in target's query string, percent-decoded ("" when absent).
std::string query_param(const std::string& target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const auto raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0 &&
                 hex_digit(raw[i + 2]) >= 0) {
        out += static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  return {};
}

}  // namespace

namespace {

constexpr std::string_view kSessionCookie = "coach_session";

// The value of the cookie called name in a Cookie header, or "".
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
  }
  return {};
}

// A session's CSRF token: derived from its secret, so only a page that was told it (by
// GET /v1/session, which the browser's same-origin rule keeps from other sites) can send it.
std::string csrf_token_of(const std::string& session_token) {
  return core::sha256_hex("csrf:" + session_token).substr(0, 32);
}

// 405 naming the verb the route takes.
HttpReply wrong_verb(const std::string& allowed, const std::string& message) {
  HttpReply r = error_reply(v1::STATUS_CODE_INVALID_ARGUMENT, message);
  r.status = 405;
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace

HttpApi::HttpApi(boost::asio::io_context& io, BusPipe& pipe, core::BusClient& descriptors,
                 Options options)
    : pipe_(pipe),
      descriptors_(descriptors),
      options_(std::move(options)),
      streams_(io, options_.heartbeat, options_.stream_max_age),
      feed_(
          io, options_.keys, options_.event_retention,
          [this](const google::protobuf::Any& payload) { return decode(payload); },
          [this](const FeedEvent& e) { streams_.deliver(e); }),
      log_(core::make_logger("gateway")) {
  if (!options_.web_root.empty()) web_.emplace(options_.web_root);
}

v1::Envelope HttpApi::envelope(const std::string& service, const std::string& method) {
  v1::Envelope e;
  e.set_kind(v1::Envelope::KIND_REQUEST);
  e.set_message_id(core::new_message_id());
  e.set_service(service);
  e.set_method(method);
  e.set_tenant(options_.tenant);
  core::stamp_now(e);
  return e;
}

v1::Envelope HttpApi::envelope_as(const Principal& who, const std::string& service,
                                  const std::string& method) {
  auto e = envelope(service, method);
  e.set_tenant(who.tenant);
  e.set_person(who.person);
  if (!who.role.empty()) e.add_roles(who.role);  // a session acts with all its person's roles
  return e;
}

void HttpApi::send(v1::Envelope request, std::function<void(v1::Envelope)> then) {
  pipe_.send(request, std::move(then));
}

void HttpApi::refresh_types(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && types_loaded_ && now - types_loaded_at_ < std::chrono::seconds(1)) return;
  types_.load(descriptors_, options_.timeout);
  types_loaded_ = true;
  types_loaded_at_ = now;
}

const v1::MethodInfo* HttpApi::find_method(const std::string& service, const std::string& method) {
  if (types_loaded_)
    if (const auto* m = types_.method(service, method)) return m;
  // A plugin loaded since the last look is reachable without a restart.
  refresh_types(false);
  return types_.method(service, method);
}

EventFeed::Decoded HttpApi::decode(const google::protobuf::Any& payload) {
  const std::string name = payload.type_url().substr(payload.type_url().rfind('/') + 1);
  try {
    if (!types_loaded_ || !types_.knows(name)) refresh_types(false);
    auto message = types_.parse(payload.type_url(), payload.value());
    if (!message) return {"null", {}};  // unknown: shown to admins only
    return {types_.to_json(payload.type_url(), payload.value()), core::EventAudience::of(*message)};
  } catch (const std::exception& e) {
    log_->warn("event of type {} not decoded: {}", name, e.what());
    return {"null", {}};
  }
}

void HttpApi::ensure_feed() {
  if (feed_.connected() || feed_resolving_) return;
  if (!options_.events_endpoint.empty()) {
    feed_.connect(options_.events_endpoint);
    return;
  }
  feed_resolving_ = true;
  auto health = envelope("coachd", "Health");
  health.mutable_payload()->PackFrom(v1::HealthRequest());
  send(std::move(health), [this](v1::Envelope reply) {
    feed_resolving_ = false;
    v1::HealthReply h;
    if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&h)) {
      log_->warn("event streams wait for coachd: {}", reply.status().message());
      return;
    }
    const std::string& endpoint =
        options_.keys.client_key ? h.curve_event_endpoint() : h.event_endpoint();
    if (endpoint.empty()) {
      log_->warn("coachd names no {}event endpoint: no event streams",
                 options_.keys.client_key ? "CURVE " : "");
      return;
    }
    feed_.connect(endpoint);
    log_->info("events from {}", endpoint);
  });
}

void HttpApi::handle(HttpRequest request, Respond respond) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path == "/healthz") {
    respond(reply_of("{\"state\":\"serving\"}"));
    return;
  }
  if (path == "/readyz") {
    ready(std::move(respond));
    return;
  }
  if (path == "/metrics") {
    metrics(std::move(respond));
    return;
  }
  if (path == "/v1/events") {
    events(request, std::move(respond));
    return;
  }
  if (path == "/login") {
    login(request, std::move(respond));
    return;
  }
  if (path == "/v1/session") {
    session(request, std::move(respond));
    return;
  }
  if (path == "/v1/session/logout") {
    if (request.method != "POST") {
      respond(wrong_verb("POST", "sign out with POST"));
      return;
    }
    logout(request, std::move(respond));
    return;
  }
  if (web_ && request.method == "GET" && !path.starts_with("/v1/")) {
    auto file = web_->get(path, request.accept_encoding);
    respond(file ? std::move(*file) : error_reply(v1::STATUS_CODE_NOT_FOUND, "no file " + path));
    return;
  }
  if (path == "/v1/openapi.json") {
    try {
      refresh_types(true);  // the plugins running now
      respond(reply_of(openapi_document(types_, PROJECT_VERSION)));
    } catch (const std::exception& e) {
      respond(error_reply(v1::STATUS_CODE_UNAVAILABLE, std::string("coachd: ") + e.what()));
    }
    return;
  }
  if (!path.starts_with("/v1/")) {
    respond(error_reply(v1::STATUS_CODE_NOT_FOUND, "no route " + path));
    return;
  }
  const auto rest = path.substr(4);
  const auto slash = rest.find('/');
  if (slash == std::string::npos || rest.find('/', slash + 1) != std::string::npos) {
    respond(error_reply(v1::STATUS_CODE_NOT_FOUND,
                        "no route " + path + " (methods are POST /v1/{service}/{method})"));
    return;
  }
  if (request.method != "POST") {
    respond(wrong_verb("POST", "methods are called with POST, not " + request.method));
    return;
  }
  if (pipe_.in_flight() >= options_.max_in_flight) {
    respond(error_reply(v1::STATUS_CODE_OVERLOADED, "the gateway has " +
                                                        std::to_string(options_.max_in_flight) +
                                                        " requests in flight; retry later"));
    return;
  }
  std::string service = rest.substr(0, slash);
  std::string method = rest.substr(slash + 1);
  respond = [this, service, method, respond = std::move(respond),
             t0 = std::chrono::steady_clock::now()](HttpReply reply) {
    metrics_.record(service, method, reply.status, std::chrono::steady_clock::now() - t0);
    respond(std::move(reply));
  };
  const bool webhook = service == "inbound";  // a tool's signed webhook, not a method
  // The credentials apart: request (and its body) moves into the callback.
  HttpRequest credentials;
  credentials.method = request.method;
  credentials.target = request.target;
  credentials.authorization = request.authorization;
  credentials.cookie = request.cookie;
  credentials.csrf_token = request.csrf_token;
  authenticate(credentials, [this, service, method, webhook, request = std::move(request), respond](
                                const Principal* who, HttpReply refusal) mutable {
    if (!who) {
      respond(std::move(refusal));
    } else if (webhook) {
      webhook_in(*who, request, std::move(respond));
    } else {
      call(*who, service, method, request.body, std::move(respond));
    }
  });
}

void HttpApi::authenticate(const HttpRequest& request,
                           std::function<void(const Principal*, HttpReply)> then) {
  constexpr std::string_view kBearer = "Bearer ";
  std::string token;
  bool from_cookie = false;
  if (request.authorization.starts_with(kBearer)) {
    token = request.authorization.substr(kBearer.size());
  } else if (auto session = cookie_value(request.cookie, kSessionCookie); !session.empty()) {
    token = std::move(session);
    from_cookie = true;
  } else if (request.method == "GET") {
    // A browser's EventSource sends no headers of its own.
    token = query_param(request.target, "access_token");
  }
  if (token.empty()) {
    HttpReply r = error_reply(v1::STATUS_CODE_UNAUTHENTICATED,
                              "send Authorization: Bearer <token> (coachctl token create), or "
                              "sign in with a link (coachctl login-link)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    then(nullptr, std::move(r));
    return;
  }
  // A session's cookie rides along on any request the browser makes to this origin: what
  // changes something must also show the session's CSRF token, which only its pages can read.
  if (from_cookie && request.method != "GET" &&
      !signature_matches(csrf_token_of(token), request.csrf_token)) {
    then(nullptr, error_reply(v1::STATUS_CODE_PERMISSION_DENIED,
                              "missing or wrong X-CSRF-Token for this session; reload the page"));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (auto it = tokens_.find(token); it != tokens_.end()) {
    if (it->second.expires > now) {
      then(&it->second, {});
      return;
    }
    tokens_.erase(it);
  }
  const std::string tenant = core::token_tenant(token);
  auto refuse = [then](const std::string& why) {
    HttpReply r = error_reply(v1::STATUS_CODE_UNAUTHENTICATED, why);
    r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    then(nullptr, std::move(r));
  };
  if (tenant.empty()) {
    refuse("the bearer token is not a coachd token");
    return;
  }
  auto resolve_request = envelope("tokens", "ResolveToken");
  resolve_request.set_tenant(tenant);
  v1::ResolveTokenRequest resolve;
  resolve.set_token(token);
  resolve_request.mutable_payload()->PackFrom(resolve);
  send(std::move(resolve_request), [this, token, then, refuse](v1::Envelope reply) {
    v1::TokenInfo info;
    if (reply.status().code() == v1::STATUS_CODE_NOT_FOUND) {
      refuse("unknown or revoked token");
      return;
    }
    if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&info)) {
      then(nullptr,
           error_reply(reply.status().code() == v1::STATUS_CODE_OK ? v1::STATUS_CODE_INTERNAL
                                                                   : reply.status().code(),
                       "cannot check the token: " + reply.status().message()));
      return;
    }
    auto& who = tokens_[token];
    who = {info.tenant(), info.person(), info.role(),
           std::chrono::steady_clock::now() + options_.token_cache};
    then(&who, {});
  });
}

void HttpApi::call(const Principal& who, const std::string& service, const std::string& method,
                   const std::string& json, Respond respond) {
  const v1::MethodInfo* info = nullptr;
  try {
    info = find_method(service, method);
  } catch (const std::exception& e) {
    respond(error_reply(v1::STATUS_CODE_UNAVAILABLE, std::string("coachd: ") + e.what()));
    return;
  }
  if (!info) {
    respond(error_reply(v1::STATUS_CODE_UNKNOWN_METHOD,
                        "no method '" + method + "' of service '" + service + "'"));
    return;
  }
  auto request = envelope_as(who, service, method);
  request.mutable_payload()->set_type_url(core::url_of(info->request_type()));
  try {
    request.mutable_payload()->set_value(
        types_.from_json(core::url_of(info->request_type()), json.empty() ? "{}" : json));
  } catch (const std::invalid_argument& e) {
    respond(error_reply(v1::STATUS_CODE_INVALID_ARGUMENT, e.what()));
    return;
  }
  send(std::move(request), [this, respond](v1::Envelope reply) {
    if (reply.status().code() != v1::STATUS_CODE_OK) {
      respond(error_reply(reply.status().code(), reply.status().message()));
      return;
    }
    try {
      respond(reply_of(types_.to_json(reply.payload().type_url(), reply.payload().value())));
    } catch (const std::exception& e) {
      respond(error_reply(v1::STATUS_CODE_INTERNAL, e.what()));
    }
  });
}

void HttpApi::webhook_in(const Principal& who, const HttpRequest& request, Respond respond) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path != "/v1/inbound/service_followup") {
    respond(error_reply(v1::STATUS_CODE_NOT_FOUND,
                        "no webhook " + path + " (there is /v1/inbound/service_followup)"));
    return;
  }
  auto secret = options_.webhook_secrets.find(who.tenant);
  if (secret == options_.webhook_secrets.end()) {
    respond(error_reply(v1::STATUS_CODE_FAILED_PRECONDITION,
                        "no webhook secret for tenant " + who.tenant + " (--webhook-secrets)"));
    return;
  }
  // A signature over the timestamp and the body, fresh: a replayed or altered event is refused.
  long long at = 0;
  try {
    at = std::stoll(request.timestamp);
  } catch (const std::exception&) {
    at = 0;
  }
  const long long now = static_cast<long long>(std::time(nullptr));
  const std::string expected = hmac_signature(secret->second, request.timestamp, request.body);
  if (at == 0 || std::llabs(now - at) > 300) {
    respond(error_reply(v1::STATUS_CODE_UNAUTHENTICATED,
                        "X-Coach-Timestamp must be the sending time in Unix seconds, within 5 "
                        "minutes"));
    return;
  }
  if (!signature_matches(expected, request.signature)) {
    respond(error_reply(v1::STATUS_CODE_UNAUTHENTICATED,
                        "X-Coach-Signature does not match the body (HMAC-SHA256 of "
                        "\"<timestamp>.<body>\" under the tenant's webhook secret)"));
    return;
  }
  std::string event = request.body;
  if (request.target.find("format=zendesk") != std::string::npos) {
    try {
      event = zendesk_to_import_event(request.body, now * 1000);
    } catch (const std::invalid_argument& e) {
      respond(error_reply(v1::STATUS_CODE_INVALID_ARGUMENT, e.what()));
      return;
    }
  }
  call(who, "service_followup", "Import", event, std::move(respond));
}

void HttpApi::events(const HttpRequest& request, Respond respond) {
  if (request.method != "GET") {
    respond(wrong_verb("GET", "the event stream is read with GET, not " + request.method));
    return;
  }
  const std::string prefix = query_param(request.target, "prefix");
  const std::string last_id = request.last_event_id.empty()
                                  ? query_param(request.target, "last_event_id")
                                  : request.last_event_id;
  visibility(request, respond,
             [this, prefix, last_id, respond](const std::string& tenant, v1::Visibility seen) {
               ensure_feed();  // a caller who may stream: the gateway starts listening
               core::Viewer viewer{
                   seen.admin(), seen.service_desk(), {seen.people().begin(), seen.people().end()}};
               HttpReply r;
               r.stream = [this, tenant, prefix, last_id, viewer](std::shared_ptr<EventSink> sink) {
                 streams_.open({std::move(sink), tenant, prefix, viewer}, feed_, last_id);
               };
               respond(std::move(r));
             });
}

void HttpApi::visibility(const HttpRequest& request, Respond respond,
                         std::function<void(const std::string& tenant, v1::Visibility)> then) {
  authenticate(request, [this, respond, then](const Principal* who, HttpReply refusal) {
    if (!who) {
      respond(std::move(refusal));
      return;
    }
    auto ask = envelope_as(*who, "people", "GetVisibility");
    ask.mutable_payload()->PackFrom(v1::GetVisibilityRequest());
    send(std::move(ask), [tenant = who->tenant, respond, then](v1::Envelope reply) {
      v1::Visibility seen;
      if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&seen)) {
        respond(
            error_reply(reply.status().code() == v1::STATUS_CODE_OK ? v1::STATUS_CODE_INTERNAL
                                                                    : reply.status().code(),
                        "cannot ask coachd what this caller may see: " + reply.status().message()));
        return;
      }
      then(tenant, std::move(seen));
    });
  });
}

// A small page for a sign-in link that did not work: what happened and what to do.
static HttpReply login_page(unsigned status, const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '<')
      escaped += "&lt;";
    else if (c == '&')
      escaped += "&amp;";
    else
      escaped += c;
  }
  HttpReply r = reply_of(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>Sign-in link</title></head><body><main><h1>This "
      "sign-in link did not work</h1><p>" +
          escaped +
          "</p><p>Ask your coachd admin for a new link (<code>coachctl login-link --person "
          "YOU</code>).</p></main></body></html>",
      status, "text/html; charset=utf-8");
  WebFiles::add_page_headers(r);
  return r;
}

void HttpApi::login(const HttpRequest& request, Respond respond) {
  const std::string code = query_param(request.target, "code");
  const std::string tenant = core::login_code_tenant(code);
  if (tenant.empty()) {
    respond(login_page(400, "The link is incomplete: it has no sign-in code."));
    return;
  }
  auto redeem = envelope("tokens", "RedeemLoginLink");
  redeem.set_tenant(tenant);
  v1::RedeemLoginLinkRequest req;
  req.set_code(code);
  req.set_session_hours(options_.session_hours);
  redeem.mutable_payload()->PackFrom(req);
  send(std::move(redeem), [this, respond](v1::Envelope reply) {
    v1::CreatedToken made;
    if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&made)) {
      respond(login_page(reply.status().code() == v1::STATUS_CODE_UNAVAILABLE ? 503 : 401,
                         reply.status().message() + "."));
      return;
    }
    HttpReply r = reply_of("", 303, "text/plain");
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + made.token() +
                                             "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                             std::to_string(options_.session_hours * 3600) +
                                             (options_.secure_cookies ? "; Secure" : ""));
    r.headers.emplace_back("Location", "/");
    WebFiles::add_page_headers(r);
    respond(std::move(r));
  });
}

void HttpApi::session(const HttpRequest& request, Respond respond) {
  const std::string token = cookie_value(request.cookie, kSessionCookie);
  visibility(request, respond, [token, respond](const std::string& tenant, v1::Visibility seen) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(seen, &json, options);
    json.pop_back();  // the closing brace: the session's own fields follow
    json += ",\"tenant\":" + json_text(tenant) +
            ",\"csrf_token\":" + json_text(token.empty() ? "" : csrf_token_of(token)) + "}";
    HttpReply r = reply_of(std::move(json));
    r.headers.emplace_back("Cache-Control", "no-store");
    respond(std::move(r));
  });
}

void HttpApi::logout(const HttpRequest& request, Respond respond) {
  const std::string token = cookie_value(request.cookie, kSessionCookie);
  authenticate(request, [this, token, respond](const Principal* who, HttpReply refusal) {
    if (!who || token.empty()) {
      respond(who ? error_reply(v1::STATUS_CODE_INVALID_ARGUMENT, "no session to end")
                  : std::move(refusal));
      return;
    }
    auto end = envelope("tokens", "EndSession");
    end.set_tenant(who->tenant);
    tokens_.erase(token);  // who points into the cache: not used after this
    v1::ResolveTokenRequest req;
    req.set_token(token);
    end.mutable_payload()->PackFrom(req);
    send(std::move(end), [this, respond](v1::Envelope reply) {
      if (reply.status().code() != v1::STATUS_CODE_OK) {
        respond(error_reply(reply.status().code(), reply.status().message()));
        return;
      }
      HttpReply r = reply_of("{\"signed_out\":true}");
      r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                               "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" +
                                               (options_.secure_cookies ? "; Secure" : ""));
      respond(std::move(r));
    });
  });
}

void HttpApi::metrics(Respond respond) {
  auto health = envelope("coachd", "Health");
  health.mutable_payload()->PackFrom(v1::HealthRequest());
  send(std::move(health), [this, respond](v1::Envelope h) {
    auto list = envelope("coachd", "ListPlugins");
    list.mutable_payload()->PackFrom(v1::ListPluginsRequest());
    send(std::move(list), [this, respond, h = std::move(h)](v1::Envelope l) {
      v1::HealthReply hr;
      v1::ListPluginsReply lr;
      const bool has_health = h.status().code() == v1::STATUS_CODE_OK && h.payload().UnpackTo(&hr);
      const bool has_list = l.status().code() == v1::STATUS_CODE_OK && l.payload().UnpackTo(&lr);
      GatewayMetrics::Gauges gauges;
      gauges.in_flight = pipe_.in_flight();
      gauges.connections = connections_ ? connections_() : 0;
      gauges.streams = streams_.open_streams();
      gauges.events_received = feed_.received();
      gauges.events_streamed = streams_.counters().sent;
      gauges.streams_cut = streams_.counters().cut;
      respond(
          reply_of(metrics_.render(has_health ? &hr : nullptr, has_list ? &lr : nullptr, gauges),
                   200, "text/plain; version=0.0.4"));
    });
  });
}

void HttpApi::ready(Respond respond) {
  auto request = envelope("coachd", "Health");
  request.mutable_payload()->PackFrom(v1::HealthRequest());
  send(std::move(request), [this, respond](v1::Envelope reply) {
    v1::HealthReply h;
    if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&h)) {
      respond(error_reply(v1::STATUS_CODE_UNAVAILABLE,
                          "coachd is not reachable: " + reply.status().message()));
      return;
    }
    const bool ok = h.state() == "serving" && h.plugins_failed() == 0;
    respond(reply_of("{\"coachd\":\"" + h.state() +
                         "\",\"plugins_running\":" + std::to_string(h.plugins_running()) +
                         ",\"plugins_failed\":" + std::to_string(h.plugins_failed()) +
                         ",\"events\":\"" + (feed_.connected() ? "connected" : "idle") + "\"}",
                     ok ? 200u : 503u));
  });
}

}  // namespace coach::gateway
