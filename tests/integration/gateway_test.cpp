// SPDX-License-Identifier: Apache-2.0
// coach-gateway in front of a real coachd: a curl user with a token calls any method of any
// loaded plugin; statuses map to HTTP; bad input and floods are refused and the gateway serves on.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <future>

#include "gateway_process.hpp"
#include "http_receiver.hpp"
#include "visibility_samples.hpp"

namespace coach {
namespace {

using testing::GatewayProcess;
using testing::http_call;

std::string token_for(const DaemonProcess& d, const std::string& person, const std::string& role) {
  auto r = testing::run_command({COACHCTL_BIN, "-e", d.request_endpoint(), "token", "create",
                                 "--person", person, "--role", role},
                                d.dir().file("token-" + person + ".out"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("ct.");  // the token on stdout; stderr says what it is
  return r.output.substr(at, r.output.find('\n', at) - at);
}

constexpr const char* kWebhookSecret = "a-webhook-secret-of-the-default-tenant";

class GatewayTest : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& extra = {}) {
    d_.start();
    import_people(d_);
    ana_ = token_for(d_, "ana", "salesperson");
    ben_ = token_for(d_, "ben", "salesperson");
    gateway_.emplace(d_, extra);
    gateway_->start();
  }
  // Starts with the default tenant's webhook secret (kWebhookSecret); the help desk's token.
  std::string start_with_webhooks() {
    const auto secrets = d_.dir().file("webhook.secrets");
    testing::write_file(secrets, "# tenant secret\ndefault " + std::string(kWebhookSecret) + "\n");
    ::chmod(secrets.c_str(), 0600);
    start({"--webhook-secrets", secrets});
    return token_for(d_, "helpdesk", "integration");
  }
  testing::HttpResult post(const std::string& target, const std::string& body,
                           const std::string& token) {
    return http_call(gateway_->port(), "POST", target, body, token);
  }

  DaemonProcess d_{kPlugins + "  echo: {}\n  slow: {}\n", "", "info"};
  std::optional<GatewayProcess> gateway_;
  std::string ana_, ben_;
};

TEST_F(GatewayTest, ACurlUserWithATokenCallsAnyMethodAsTheTokensPerson) {
  start();
  auto echo = post("/v1/echo/Echo", R"({"text":"hi"})", ana_);
  EXPECT_EQ(echo.status, 200u) << echo.body;
  EXPECT_NE(echo.body.find("\"text\":\"echo: hi\""), std::string::npos) << echo.body;
  auto pulse =
      post("/v1/motivation_keys/RecordPulse", kSamples.at("motivation_keys.RecordPulse"), ana_);
  EXPECT_EQ(pulse.status, 200u) << pulse.body;
  EXPECT_NE(pulse.body.find("\"weakest\""), std::string::npos);
  // ben's token is ben: ana's answers are not his to read (403 with coachd's code and message).
  auto peek = post("/v1/motivation_keys/GetPulseHistory", R"({"person_id":"ana"})", ben_);
  EXPECT_EQ(peek.status, 403u);
  EXPECT_NE(peek.body.find("\"code\":\"PERMISSION_DENIED\""), std::string::npos) << peek.body;
  EXPECT_NE(peek.body.find("person 'ben'"), std::string::npos) << peek.body;
  // The token's role narrows: a salesperson token of a coach is not the coach.
  auto who = post("/v1/coachd/WhoAmI", "{}", ana_);
  EXPECT_NE(who.body.find("\"roles\":[\"salesperson\"]"), std::string::npos) << who.body;
  EXPECT_EQ(http_call(gateway_->port(), "GET", "/readyz").status, 200u);
}

TEST_F(GatewayTest, StatusesAndBadInputMapToHttp) {
  start({"--max-body", "4096"});
  // No token, a malformed one, an unknown one.
  auto none = post("/v1/echo/Echo", "{}", "");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.headers["WWW-Authenticate"], "Bearer");
  EXPECT_EQ(post("/v1/echo/Echo", "{}", "not-a-token").status, 401u);
  EXPECT_EQ(post("/v1/echo/Echo", "{}", "ct.default." + std::string(64, '0')).status, 401u);
  // Unknown service or method: 404 naming it.
  auto nope = post("/v1/echo/Nope", "{}", ana_);
  EXPECT_EQ(nope.status, 404u);
  EXPECT_NE(nope.body.find("'Nope'"), std::string::npos) << nope.body;
  auto nobody = post("/v1/nobody/Echo", "{}", ana_);
  EXPECT_EQ(nobody.status, 404u);
  EXPECT_NE(nobody.body.find("'nobody'"), std::string::npos) << nobody.body;
  // Malformed JSON and a wrong field: 400 saying where.
  auto broken = post("/v1/echo/Echo", R"({"text":)", ana_);
  EXPECT_EQ(broken.status, 400u);
  EXPECT_NE(broken.body.find("Unexpected end"), std::string::npos) << broken.body;
  auto field = post("/v1/echo/Echo", R"({"txt":"hi"})", ana_);
  EXPECT_EQ(field.status, 400u);
  EXPECT_NE(field.body.find("txt"), std::string::npos) << field.body;
  // The plugin's own validation: 400 naming the field.
  auto invalid =
      post("/v1/motivation_keys/RecordPulse", R"({"person_id":"ana","answers":[9]})", ana_);
  EXPECT_EQ(invalid.status, 400u) << invalid.body;
  // Not found, and conflict-like preconditions.
  auto missing = post("/v1/motivation_keys/GetTrust",
                      R"({"salesperson_id":"ana","account_id":"nowhere"})", ana_);
  EXPECT_EQ(missing.status, 404u) << missing.body;
  // Too large a body: 413, before coachd sees anything.
  auto big = post("/v1/echo/Echo", R"({"text":")" + std::string(8000, 'x') + R"("})", ana_);
  EXPECT_EQ(big.status, 413u);
  // GET on a method: 405.
  EXPECT_EQ(http_call(gateway_->port(), "GET", "/v1/echo/Echo", "", ana_).status, 405u);
  EXPECT_EQ(post("/v1/echo/Echo", R"({"text":"still here"})", ana_).status, 200u);
}

TEST_F(GatewayTest, ARevokedTokenStopsWorkingWithinTheCacheTime) {
  start({"--token-cache", "100"});
  ASSERT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 200u);
  auto list = testing::run_command({COACHCTL_BIN, "-e", d_.request_endpoint(), "token", "list"},
                                   d_.dir().file("list.out"));
  const auto at = list.output.find("\"person\":\"ana\"");
  ASSERT_NE(at, std::string::npos) << list.output;
  const auto id_at = list.output.rfind("\"id\":\"", at);
  const std::string id = list.output.substr(id_at + 6, 12);
  auto revoke = testing::run_command(
      {COACHCTL_BIN, "-e", d_.request_endpoint(), "token", "revoke", id}, d_.dir().file("rv.out"));
  ASSERT_EQ(revoke.exit_code, 0) << revoke.output;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 401u);
  EXPECT_EQ(post("/v1/echo/Echo", "{}", ben_).status, 200u);
}

TEST_F(GatewayTest, AFloodGets429AndTheGatewayServesOn) {
  start({"--max-in-flight", "4"});
  std::vector<std::future<testing::HttpResult>> calls;
  for (int i = 0; i < 24; ++i) {
    calls.push_back(
        std::async(std::launch::async, [&] { return post("/v1/slow/Sleep", R"("0.3s")", ana_); }));
  }
  int ok = 0, limited = 0;
  for (auto& c : calls) {
    auto r = c.get();
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.headers["Retry-After"], "1");
    }
  }
  EXPECT_GE(ok, 4);
  EXPECT_GE(limited, 1);
  EXPECT_EQ(ok + limited, 24);
  EXPECT_TRUE(gateway_->alive());
  EXPECT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 200u);
}

TEST_F(GatewayTest, ASlowClientIsCutOffAndOthersAreServed) {
  start({"--request-timeout", "300"});
  // Half a request, then nothing: the gateway closes the connection after the request timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<unsigned short>(gateway_->port()));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string partial = "POST /v1/echo/Echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n";
  ASSERT_GT(::send(fd, partial.data(), partial.size(), 0), 0);
  EXPECT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 200u);  // served meanwhile
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  const auto t0 = std::chrono::steady_clock::now();
  const auto n = ::recv(fd, buf, sizeof buf, 0);
  EXPECT_EQ(n, 0) << "the gateway should close a connection that stalls";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ::close(fd);
}

TEST_F(GatewayTest, MetricsCountRequestsByMethodAndStatusAndShowCoachd) {
  start();
  ASSERT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 200u);
  ASSERT_EQ(post("/v1/echo/Echo", "{}", ana_).status, 200u);
  ASSERT_EQ(post("/v1/motivation_keys/GetPulseHistory", R"({"person_id":"ana"})", ben_).status,
            403u);
  auto m = http_call(gateway_->port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200u);
  EXPECT_EQ(m.headers["Content-Type"], "text/plain; version=0.0.4");
  for (const char* expected :
       {"coach_gateway_requests_total{service=\"echo\",method=\"Echo\",status=\"200\"} 2\n",
        "coach_gateway_requests_total{service=\"motivation_keys\",method=\"GetPulseHistory\","
        "status=\"403\"} 1\n",
        "coach_gateway_request_seconds_count{service=\"echo\",method=\"Echo\"} 2\n",
        "coachd_up 1\n", "coachd_plugin_up{plugin=\"echo\",state=\"running\"} 1\n",
        "coachd_errors_total{code=\"PERMISSION_DENIED\"} 1\n",
        "# TYPE coachd_store_commit_seconds histogram\n",
        "# TYPE coachd_scheduler_lag_seconds histogram\n",
        "coachd_scheduler_lag_seconds_bucket{le=\"0.0005\"} ", "coach_gateway_event_streams 0\n"})
    EXPECT_NE(m.body.find(expected), std::string::npos) << expected << "\n" << m.body;
  // The people import and the tokens were committed: the store's commits were timed.
  const auto commits = m.body.find("coachd_store_commit_seconds_count ");
  ASSERT_NE(commits, std::string::npos);
  EXPECT_GT(std::stoull(m.body.substr(commits + 34)), 0u) << m.body.substr(commits, 60);
  // Every sample line is "name{labels} value" or "name value" (the exposition format).
  std::istringstream lines(m.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_NE(line.find(' '), std::string::npos) << line;
  }
}

TEST_F(GatewayTest, TheOpenApiDocumentIsValidAndCoversEveryServedMethod) {
  start();
  auto doc = http_call(gateway_->port(), "GET", "/v1/openapi.json");
  ASSERT_EQ(doc.status, 200u);
  const auto file = d_.dir().file("openapi.json");
  testing::write_file(file, doc.body);
  const std::string validator = COACH_SOURCE_DIR "/tests/openapi/validate.js";
  auto r = testing::run_command({"/usr/bin/env", "node", validator, file},
                                d_.dir().file("validate.out"));
  EXPECT_EQ(r.exit_code, 0) << r.output
                            << " (npm ci --prefix tests/openapi installs the validator)";
  for (const char* path : {"/v1/echo/Echo", "/v1/motivation_keys/GetPulseHistory",
                           "/v1/coaching_sessions/SubmitPrep", "/v1/people/ImportPeople"})
    EXPECT_NE(doc.body.find(std::string("\"") + path + "\""), std::string::npos) << path;
  // The .proto comments are the summaries.
  EXPECT_NE(doc.body.find("Returns the text after the configured greeting"), std::string::npos);
  // A broken document is refused by the same validator (it could fail).
  testing::write_file(file, doc.body.substr(0, doc.body.size() / 2));
  EXPECT_NE(testing::run_command({"/usr/bin/env", "node", validator, file}).exit_code, 0);
}

// What a help desk sends with a webhook: X-Coach-Timestamp and X-Coach-Signature.
std::map<std::string, std::string> signed_headers(const std::string& secret,
                                                  const std::string& body, long long at) {
  const std::string ts = std::to_string(at);
  const std::string text = ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", mac[i]);
  return {{"X-Coach-Timestamp", ts}, {"X-Coach-Signature", hex}};
}

TEST_F(GatewayTest, ASignedHelpDeskEventBecomesACaseOnceAndABadSignatureIsRefused) {
  const std::string secret = kWebhookSecret;
  const std::string helpdesk = start_with_webhooks();
  const long long now = static_cast<long long>(std::time(nullptr));
  const std::string body =
      R"({"event_id":"zd-1","kind":"opened","case_id":"t-100","at_ms":)" +
      std::to_string(now * 1000) +
      R"(,"account_id":"acme","salesperson_id":"ana","subject":"printer jams"})";
  const std::string url = "/v1/inbound/service_followup";
  auto first =
      http_call(gateway_->port(), "POST", url, body, helpdesk, signed_headers(secret, body, now));
  EXPECT_EQ(first.status, 200u) << first.body;
  EXPECT_NE(first.body.find("\"applied\""), std::string::npos) << first.body;
  auto again =
      http_call(gateway_->port(), "POST", url, body, helpdesk, signed_headers(secret, body, now));
  EXPECT_NE(again.body.find("\"duplicate\""), std::string::npos) << again.body;
  auto c = post("/v1/service_followup/GetCase", R"({"case_id":"t-100"})", helpdesk);
  EXPECT_EQ(c.status, 200u);
  EXPECT_NE(c.body.find("printer jams"), std::string::npos) << c.body;
  // Altered body, wrong secret, stale or missing timestamp: 401, nothing applied.
  const std::string altered = body.substr(0, body.size() - 2) + "!\"}";
  EXPECT_EQ(
      http_call(gateway_->port(), "POST", url, altered, helpdesk, signed_headers(secret, body, now))
          .status,
      401u);
  EXPECT_EQ(http_call(gateway_->port(), "POST", url, body, helpdesk,
                      signed_headers("another-secret-entirely", body, now))
                .status,
            401u);
  EXPECT_EQ(http_call(gateway_->port(), "POST", url, body, helpdesk,
                      signed_headers(secret, body, now - 3600))
                .status,
            401u);
  EXPECT_EQ(http_call(gateway_->port(), "POST", url, body, helpdesk).status, 401u);
  // Without a token, nothing either; a salesperson's token may not import.
  EXPECT_EQ(
      http_call(gateway_->port(), "POST", url, body, "", signed_headers(secret, body, now)).status,
      401u);
  EXPECT_EQ(http_call(gateway_->port(), "POST", url, body, ana_, signed_headers(secret, body, now))
                .status,
            403u);
}

TEST_F(GatewayTest, ZendeskTriggerPayloadsAreMappedToCaseEvents) {
  const std::string secret = kWebhookSecret;
  const std::string helpdesk = start_with_webhooks();
  const std::string url = "/v1/inbound/service_followup?format=zendesk";
  const long long now = static_cast<long long>(std::time(nullptr));
  auto send = [&](const std::string& body) {
    return http_call(gateway_->port(), "POST", url, body, helpdesk,
                     signed_headers(secret, body, now));
  };
  const std::string ticket =
      R"("id":"4711","subject":"Invoice shows the old price","organization":"acme",)"
      R"("assignee":"zoe","group":"billing","salesperson":"ana")";
  auto created = send(R"({"event_id":"4711-1","event":"created","ticket":{)" + ticket +
                      R"(,"status":"new"}})");
  EXPECT_EQ(created.status, 200u) << created.body;
  auto contact = send(R"({"event_id":"4711-2","event":"updated","ticket":{)" + ticket +
                      R"(,"status":"open"},"comment":{"author_role":"end-user","public":"true"}})");
  EXPECT_EQ(contact.status, 200u) << contact.body;
  auto solved = send(R"({"event_id":"4711-3","event":"updated","ticket":{)" + ticket +
                     R"(,"status":"solved","root_cause_category":"billing",)"
                     R"("root_cause":"price list not updated","fix":"credit note"}})");
  EXPECT_EQ(solved.status, 200u) << solved.body;
  auto c = post("/v1/service_followup/GetCase", R"({"case_id":"4711"})", helpdesk);
  EXPECT_EQ(c.status, 200u) << c.body;
  EXPECT_NE(c.body.find("price list not updated"), std::string::npos) << c.body;
  EXPECT_NE(c.body.find("\"account_id\":\"acme\""), std::string::npos) << c.body;
  // A payload without what the mapping needs: 400 naming the field.
  auto bad = send(R"({"event_id":"4711-4","event":"updated","ticket":{"id":"4711"}})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("ticket.status"), std::string::npos) << bad.body;
}

TEST(GatewaySecrets, AWebhookSecretFileOthersCanReadIsRefused) {
  testing::TempDir dir;
  const auto secrets = dir.file("webhook.secrets");
  testing::write_file(secrets, "default a-webhook-secret-of-the-default-tenant\n");
  ::chmod(secrets.c_str(), 0644);
  auto r = testing::run_command(
      {"/usr/bin/timeout", "10", COACH_GATEWAY_BIN, "--webhook-secrets", secrets}, dir.file("out"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
}

TEST_F(GatewayTest, APluginEnabledLaterIsReachableWithoutAGatewayRestart) {
  start();
  EXPECT_EQ(post("/v1/good/Echo", R"("x")", ana_).status, 404u);
  d_.write_config(kPlugins + "  echo: {}\n  slow: {}\n  good: {}\n");
  d_.signal(SIGHUP);
  ASSERT_TRUE(d_.wait_notify("READY=1", 5s));
  std::this_thread::sleep_for(1100ms);  // the gateway looks again at most once a second
  auto r = post("/v1/good/Echo", R"("x")", ana_);
  EXPECT_EQ(r.status, 200u) << r.body;
}

// Opens a first stream as token's person (the gateway subscribes at coachd when someone who may
// stream asks; a caller without a token does not make it listen), then waits until the gateway's
// event feed is subscribed.
void wait_for_event_feed(int port, const std::string& token) {
  testing::SseClient anonymous(port, "/v1/events");
  EXPECT_EQ(anonymous.status(), 401u);
  EXPECT_NE(http_call(port, "GET", "/readyz").body.find("\"events\":\"idle\""), std::string::npos);
  testing::SseClient first(port, "/v1/events", token);
  EXPECT_EQ(first.status(), 200u);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (http_call(port, "GET", "/readyz").body.find("\"events\":\"connected\"") ==
         std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the event feed did not connect";
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(200ms);  // the subscription reaches coachd's publisher
}

TEST_F(GatewayTest, EventStreamsShowEachPersonWhatTheyMaySee) {
  start();
  const auto port = gateway_->port();
  wait_for_event_feed(port, ana_);
  std::map<std::string, std::unique_ptr<testing::SseClient>> streams;
  std::map<std::string, std::string> tokens{{"ana", ana_}, {"ben", ben_}};
  for (const auto& [person, role] :
       std::vector<std::pair<std::string, std::string>>{{"cora", "coach"},
                                                        {"max", "manager"},
                                                        {"zoe", "service_agent"},
                                                        {"ada", "tenant_admin"}})
    tokens[person] = token_for(d_, person, role);
  for (const auto& [person, token] : tokens) {
    streams[person] = std::make_unique<testing::SseClient>(port, "/v1/events", token);
    ASSERT_EQ(streams[person]->status(), 200u) << person << ": " << streams[person]->head();
    EXPECT_NE(streams[person]->head().find("text/event-stream"), std::string::npos);
  }
  // A browser's EventSource sends no header: the token may come in the query; a prefix narrows.
  testing::SseClient desk(port,
                          "/v1/events?prefix=service_followup.&access_token=" + tokens["zoe"]);
  ASSERT_EQ(desk.status(), 200u);

  // ana's pulse is about ana; a case of her account is the service desk's and hers.
  ASSERT_EQ(
      post("/v1/motivation_keys/RecordPulse", kSamples.at("motivation_keys.RecordPulse"), ana_)
          .status,
      200u);
  const auto admin = tokens["ada"];
  ASSERT_EQ(post("/v1/service_followup/OpenCase",
                 R"({"case_id":"s1","account_id":"acme","salesperson_id":"ana"})", admin)
                .status,
            200u);
  ASSERT_EQ(post("/v1/service_followup/SolveCase",
                 R"({"case_id":"s1","agent_id":"zoe",)" + kRoot + "}", admin)
                .status,
            200u);
  auto closed = post("/v1/service_followup/CloseCase", R"({"case_id":"s1","actor":"zoe"})", admin);
  ASSERT_EQ(closed.status, 200u) << closed.body;
  // Last, ben's own pulse: whoever gets it has been sent everything before it they may see.
  auto bens = kSamples.at("motivation_keys.RecordPulse");
  bens.replace(bens.find("\"ana\""), 5, "\"ben\"");
  ASSERT_EQ(post("/v1/motivation_keys/RecordPulse", bens, ben_).status, 200u);

  const std::string ana_pulse = R"("topic":"motivation_keys.pulse_recorded")";
  auto sees = [&](const std::string& person, const std::string& what) {
    return streams[person]->has(what);
  };
  for (const auto& who : {"ben", "cora", "ada"})
    ASSERT_TRUE(streams[who]->wait_for(R"("person_id":"ben")")) << who;
  ASSERT_TRUE(streams["ana"]->wait_for("service_followup.case_closed"));
  ASSERT_TRUE(streams["zoe"]->wait_for("service_followup.case_closed"));
  EXPECT_TRUE(sees("ana", R"("person_id":"ana")"));
  EXPECT_TRUE(sees("cora", R"("person_id":"ana")"));  // her coach
  EXPECT_TRUE(sees("ada", R"("person_id":"ana")"));   // the tenant's admin
  EXPECT_FALSE(sees("ben", R"("person_id":"ana")"));  // a colleague
  EXPECT_FALSE(sees("ben", "case_closed"));
  EXPECT_FALSE(sees("zoe", ana_pulse));  // the service desk sees cases, not pulses
  EXPECT_FALSE(sees("ana", R"("person_id":"ben")"));
  // max manages ana and ben but reads pulses only as team aggregates: no pulse event for him.
  ASSERT_TRUE(streams["max"]->status() == 200u);
  EXPECT_FALSE(streams["max"]->wait_for("pulse_recorded", 300ms));
  EXPECT_TRUE(desk.wait_for("service_followup.case_closed"));
  for (const auto& e : desk.events())
    EXPECT_NE(e.data.find(R"("topic":"service_followup.)"), std::string::npos) << e.data;

  // Unauthenticated: 401 and no stream.
  testing::SseClient anonymous(port, "/v1/events");
  EXPECT_EQ(anonymous.status(), 401u);
}

TEST_F(GatewayTest, AReconnectingStreamGetsWhatItMissedFromItsLastId) {
  start();
  const auto port = gateway_->port();
  wait_for_event_feed(port, ana_);
  auto pulse = [&] {
    ASSERT_EQ(
        post("/v1/motivation_keys/RecordPulse", kSamples.at("motivation_keys.RecordPulse"), ana_)
            .status,
        200u);
  };
  std::string last_id;
  {
    testing::SseClient first(port, "/v1/events?prefix=motivation_keys.", ana_);
    ASSERT_EQ(first.status(), 200u);
    pulse();
    auto e = first.wait_for("pulse_recorded");
    ASSERT_TRUE(e);
    last_id = e->id;
  }  // the page goes away; meanwhile two more pulses
  pulse();
  pulse();
  testing::SseClient again(port, "/v1/events?prefix=motivation_keys.", ana_, last_id);
  ASSERT_EQ(again.status(), 200u);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (again.events().size() < 2 && std::chrono::steady_clock::now() < deadline)
    again.wait_for("never", 50ms);
  ASSERT_EQ(again.events().size(), 2u);
  EXPECT_NE(again.events()[0].id, last_id);
  EXPECT_LT(std::stoull(last_id.substr(last_id.find('-') + 1)),
            std::stoull(again.events()[0].id.substr(again.events()[0].id.find('-') + 1)));
  // An id this gateway cannot replay from (another run, or too old) says so first.
  testing::SseClient stale(port, "/v1/events", ana_, "1-1");
  ASSERT_EQ(stale.status(), 200u);
  auto gap = stale.wait_for("no longer retained");
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
}

TEST_F(GatewayTest, AnAdminRegistersAWebhookOverHttpAndItsUrlHearsTheEvents) {
  start();
  testing::HttpReceiver crm;
  const auto admin = token_for(d_, "ada", "tenant_admin");
  // Not the salesperson's to register.
  EXPECT_EQ(post("/v1/webhooks/Subscribe", R"({"url":")" + crm.url() + R"("})", ana_).status, 403u);
  auto sub =
      post("/v1/webhooks/Subscribe",
           R"({"url":")" + crm.url() + R"(","topic_prefix":"motivation_keys.pulse"})", admin);
  ASSERT_EQ(sub.status, 200u) << sub.body;
  EXPECT_NE(sub.body.find("\"secret\":\""), std::string::npos);
  ASSERT_EQ(
      post("/v1/motivation_keys/RecordPulse", kSamples.at("motivation_keys.RecordPulse"), ana_)
          .status,
      200u);
  ASSERT_TRUE(crm.wait_for(1, 10s)) << d_.log();
  const auto got = crm.received()[0];
  EXPECT_EQ(got.headers.at("x-coach-event"), "motivation_keys.pulse_recorded");
  EXPECT_NE(got.body.find(R"("person_id":"ana")"), std::string::npos) << got.body;
  EXPECT_EQ(got.headers.at("x-coach-signature").substr(0, 7), "sha256=");
}

TEST(GatewayTls, WithACertificateAndKeyItServesHttpsOnly) {
  DaemonProcess d(kPlugins, "", "info");
  d.start();
  const auto cert = d.dir().file("gateway.crt"), key = d.dir().file("gateway.key");
  auto made = testing::run_command(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
       cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"},
      d.dir().file("openssl.out"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  ::chmod(key.c_str(), 0644);
  // A private key others can read is refused, with the remedy.
  auto loose = testing::run_command(
      {"/usr/bin/timeout", "10", COACH_GATEWAY_BIN, "--tls-cert", cert, "--tls-key", key},
      d.dir().file("loose.out"));
  EXPECT_EQ(loose.exit_code, 2) << loose.output;
  EXPECT_NE(loose.output.find("chmod 600"), std::string::npos) << loose.output;
  ::chmod(key.c_str(), 0600);
  GatewayProcess gateway(d, {"--tls-cert", cert, "--tls-key", key});
  gateway.expect_tls(cert);
  gateway.start();
  auto ready = testing::https_get(gateway.port(), "/readyz", cert);
  EXPECT_EQ(ready.status, 200u) << ready.body;
  EXPECT_NE(ready.body.find("\"coachd\":\"serving\""), std::string::npos) << ready.body;
  // Plain HTTP gets no answer, and the gateway serves on.
  EXPECT_EQ(http_call(gateway.port(), "GET", "/healthz").status, 0u);
  EXPECT_EQ(testing::https_get(gateway.port(), "/healthz", cert).status, 200u);
  EXPECT_TRUE(gateway.alive());
}

// A sign-in link for person, as coachctl prints it; the path and query part.
std::string login_path(const DaemonProcess& d, const std::string& person) {
  auto r = testing::run_command({COACHCTL_BIN, "-e", d.request_endpoint(), "login-link", "--person",
                                 person, "--base-url", "http://app.example"},
                                d.dir().file("link-" + person + ".out"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("http://app.example/login?code=cl.default.");
  EXPECT_NE(at, std::string::npos) << r.output;
  return r.output.substr(at + 18, r.output.find('\n', at) - at - 18);
}

TEST_F(GatewayTest, ASignInLinkBecomesASessionCookieOnceAndCsrfGuardsItsWrites) {
  start();
  const auto port = gateway_->port();
  const auto link = login_path(d_, "ana");
  auto signed_in = http_call(port, "GET", link);
  ASSERT_EQ(signed_in.status, 303u) << signed_in.body;
  EXPECT_EQ(signed_in.headers["Location"], "/");
  const auto cookie_line = signed_in.headers["Set-Cookie"];
  for (const char* attr : {"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"})
    EXPECT_NE(cookie_line.find(attr), std::string::npos) << cookie_line;
  const auto cookie = cookie_line.substr(0, cookie_line.find(';'));
  EXPECT_EQ(http_call(port, "GET", link).status, 401u);  // once only

  auto session = http_call(port, "GET", "/v1/session", "", "", {{"Cookie", cookie}});
  ASSERT_EQ(session.status, 200u) << session.body;
  EXPECT_NE(session.body.find(R"("person":"ana")"), std::string::npos) << session.body;
  const auto at = session.body.find(R"("csrf_token":")");
  ASSERT_NE(at, std::string::npos);
  const auto csrf = session.body.substr(at + 14, 32);
  // The session acts as ana with all her roles; a write needs the session's CSRF token.
  auto no_csrf = http_call(port, "POST", "/v1/coachd/WhoAmI", "{}", "", {{"Cookie", cookie}});
  EXPECT_EQ(no_csrf.status, 403u) << no_csrf.body;
  EXPECT_NE(no_csrf.body.find("X-CSRF-Token"), std::string::npos);
  auto who = http_call(port, "POST", "/v1/coachd/WhoAmI", "{}", "",
                       {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(who.status, 200u) << who.body;
  EXPECT_NE(who.body.find(R"("person":"ana")"), std::string::npos) << who.body;
  auto wrong = http_call(port, "POST", "/v1/coachd/WhoAmI", "{}", "",
                         {{"Cookie", cookie}, {"X-CSRF-Token", std::string(32, '0')}});
  EXPECT_EQ(wrong.status, 403u);
  // Signing out ends the session: the cookie goes and is refused afterwards.
  auto out = http_call(port, "POST", "/v1/session/logout", "", "",
                       {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(out.status, 200u) << out.body;
  EXPECT_NE(out.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(http_call(port, "GET", "/v1/session", "", "", {{"Cookie", cookie}}).status, 401u);
  // A made-up code is refused with a page that says what to do.
  auto bad = http_call(port, "GET", "/login?code=cl.default." + std::string(64, 'a'));
  EXPECT_EQ(bad.status, 401u);
  EXPECT_NE(bad.body.find("coachctl login-link"), std::string::npos) << bad.body;
}

TEST(GatewayWeb, TheAppsFilesAreServedWithTheirPageHeaders) {
  DaemonProcess d(kPlugins, "", "info");
  d.start();
  const auto root = d.dir().file("web");
  std::filesystem::create_directories(root + "/assets");
  testing::write_file(root + "/index.html", "<!doctype html><title>coach</title>");
  testing::write_file(root + "/assets/app-1234.js", "console.log('plain')");
  testing::write_file(root + "/assets/app-1234.js.gz", "gzipped-bytes");
  GatewayProcess gateway(d, {"--web-root", root});
  gateway.start();
  const auto port = gateway.port();
  auto page = http_call(port, "GET", "/");
  ASSERT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("<title>coach</title>"), std::string::npos);
  EXPECT_EQ(page.headers["Content-Type"], "text/html; charset=utf-8");
  EXPECT_NE(page.headers["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(page.headers["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(http_call(port, "GET", "/coach/sessions/cora~ana").body, page.body);  // app routes
  auto js = http_call(port, "GET", "/assets/app-1234.js", "", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(js.body, "gzipped-bytes");
  EXPECT_EQ(js.headers["Content-Encoding"], "gzip");
  EXPECT_NE(js.headers["Cache-Control"].find("immutable"), std::string::npos);
  EXPECT_EQ(http_call(port, "GET", "/assets/app-1234.js").body, "console.log('plain')");
  EXPECT_EQ(http_call(port, "GET", "/assets/missing.js").status, 404u);
  EXPECT_EQ(http_call(port, "GET", "/../../etc/passwd").status, 404u);
  EXPECT_EQ(http_call(port, "GET", "/assets/%2e%2e/%2e%2e/etc/passwd.js").status, 404u);
}

}  // namespace
}  // namespace coach
