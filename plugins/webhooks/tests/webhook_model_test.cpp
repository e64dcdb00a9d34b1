// SPDX-License-Identifier: Apache-2.0
// The webhooks model: URLs, backoff, what an attempt makes of a delivery, the body's shape.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <coach/error.hpp>

#include "webhook_model.hpp"

namespace webhooks {
namespace {

using namespace std::chrono_literals;

TEST(WebhookModel, UrlsNameSchemeHostPortAndTarget) {
  auto u = parse_url("https://hooks.example.com/coach?x=1");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/coach?x=1");
  u = parse_url("http://127.0.0.1:8099");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, "8099");
  EXPECT_EQ(u.target, "/");
  u = parse_url("http://[::1]:81/h");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "81");
  for (const char* bad : {"ftp://x/", "hooks.example.com", "http://", "http://u:p@h/",
                          "http://h:99999/", "http://h:8o/"}) {
    try {
      parse_url(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const coach::Error& e) {
      EXPECT_EQ(e.code(), coach::v1::STATUS_CODE_INVALID_ARGUMENT) << bad;
      EXPECT_NE(std::string(e.what()).find("url"), std::string::npos) << e.what();
    }
  }
}

TEST(WebhookModel, BackoffDoublesUpToItsCeiling) {
  RetryPolicy p{8, 1000ms, 5000ms};
  EXPECT_EQ(p.backoff(1), 1000ms);
  EXPECT_EQ(p.backoff(2), 2000ms);
  EXPECT_EQ(p.backoff(3), 4000ms);
  EXPECT_EQ(p.backoff(4), 5000ms);
  EXPECT_EQ(p.backoff(60), 5000ms);
}

pb::Attempt attempt(std::int64_t at, int status) {
  pb::Attempt a;
  a.set_at_ms(at);
  a.set_http_status(status);
  a.set_took_ms(5);
  if (status == 0) a.set_error("connection refused");
  return a;
}

TEST(WebhookModel, AttemptsRetryWithBackoffUntilDeliveredOrFailed) {
  RetryPolicy p{3, 1000ms, 60000ms};
  pb::Delivery d;
  d.set_state(pb::DELIVERY_STATE_PENDING);
  record_attempt(d, attempt(10'000, 503), p);
  EXPECT_EQ(d.state(), pb::DELIVERY_STATE_PENDING);
  EXPECT_EQ(d.next_attempt_ms(), 10'000 + 5 + 1000);
  record_attempt(d, attempt(20'000, 0), p);
  EXPECT_EQ(d.next_attempt_ms(), 20'000 + 5 + 2000);
  record_attempt(d, attempt(30'000, 204), p);
  EXPECT_EQ(d.state(), pb::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(d.attempt_count(), 3u);

  pb::Delivery failing;
  for (int i = 0; i < 3; ++i) record_attempt(failing, attempt(i, 500), p);
  EXPECT_EQ(failing.state(), pb::DELIVERY_STATE_FAILED);
  EXPECT_EQ(failing.next_attempt_ms(), 0);

  pb::Delivery long_log;
  RetryPolicy patient{100, 1ms, 1ms};
  for (int i = 0; i < 25; ++i) record_attempt(long_log, attempt(i, 500), patient);
  EXPECT_EQ(long_log.attempts_size(), 10);  // the newest ten
  EXPECT_EQ(long_log.attempts(9).at_ms(), 24);
  EXPECT_EQ(long_log.attempt_count(), 25u);
}

TEST(WebhookModel, TheBodyIsJsonWithTheEventInside) {
  const auto body = delivery_body("d\"1", "acme-corp", "motivation_keys.trust_dropped",
                                  1'764'000'000'000, R"({"drop":1.5})");
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok()) << body;
  EXPECT_EQ(parsed.fields().at("delivery_id").string_value(), "d\"1");
  EXPECT_EQ(parsed.fields().at("topic").string_value(), "motivation_keys.trust_dropped");
  EXPECT_EQ(parsed.fields().at("occurred_at").string_value(), "2025-11-24T16:00:00Z");
  EXPECT_EQ(parsed.fields().at("data").struct_value().fields().at("drop").number_value(), 1.5);
}

}  // namespace
}  // namespace webhooks
