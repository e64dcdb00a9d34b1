// SPDX-License-Identifier: Apache-2.0
// WebhookService in-process (coach/testing.hpp) against a real HTTP receiver on 127.0.0.1: what
// is delivered, signed how, and what failures, timeouts and recoveries make of a delivery.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <coach/testing.hpp>

#include "http_receiver.hpp"
#include "webhook_service.hpp"

namespace webhooks {
namespace {

using coach::testing::HttpReceiver;
using coach::testing::TestContext;
using namespace std::chrono_literals;

// The receiver's check, written apart from coachd's: HMAC-SHA256 of "<timestamp>.<body>".
std::string expected_signature(const std::string& secret, const std::string& ts,
                               const std::string& body) {
  const std::string text = ts + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &n);
  std::string hex = "sha256=";
  char buf[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

constexpr const char* kSecret = "a-shared-secret-of-the-crm";

class WebhookServiceTest : public ::testing::Test {
 protected:
  WebhookServiceTest()
      : t_({{"timeout_ms", "300"}, {"first_backoff_ms", "1000"}, {"max_attempts", "4"}}) {
    t_.start();
  }
  pb::Subscription subscribe(const std::string& prefix, const std::string& secret = kSecret) {
    pb::SubscribeRequest r;
    r.set_url(receiver_.url());
    r.set_topic_prefix(prefix);
    r.set_secret(secret);
    return t_.call<pb::Subscription>("Subscribe", r);
  }
  // An event of another plugin (any message type linked here does).
  void publish(const std::string& topic, const std::string& marker = "m") {
    pb::UnsubscribeRequest payload;
    payload.set_subscription_id(marker);
    t_.deliver(topic, payload);
  }
  std::vector<pb::Delivery> deliveries(const std::string& sub) {
    pb::ListDeliveriesRequest r;
    r.set_subscription_id(sub);
    auto list = t_.call<pb::DeliveryList>("ListDeliveries", r);
    return {list.deliveries().begin(), list.deliveries().end()};
  }

  HttpReceiver receiver_;
  TestContext t_;
};

TEST_F(WebhookServiceTest, AMatchingEventIsPostedSignedWithItsTimestamp) {
  const auto sub = subscribe("motivation_keys.trust");
  EXPECT_EQ(sub.secret(), kSecret);
  publish("motivation_keys.trust_dropped", "first");
  publish("motivation_keys.pulse_recorded");  // another prefix: not for this subscription
  EXPECT_EQ(t_.fire_due(), 1);
  ASSERT_EQ(receiver_.received().size(), 1u);
  const auto got = receiver_.received()[0];
  EXPECT_EQ(got.target, "/hook");
  EXPECT_EQ(got.headers.at("x-coach-event"), "motivation_keys.trust_dropped");
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  EXPECT_EQ(got.headers.at("x-coach-signature"),
            expected_signature(kSecret, got.headers.at("x-coach-timestamp"), got.body));
  EXPECT_EQ(std::stoll(got.headers.at("x-coach-timestamp")), t_.context().now_ms() / 1000);
  EXPECT_NE(got.body.find(R"("topic":"motivation_keys.trust_dropped")"), std::string::npos);
  EXPECT_NE(got.body.find(R"("subscription_id":"first")"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("delivery_id":")" + got.headers.at("x-coach-delivery")),
            std::string::npos);
  const auto log = deliveries(sub.subscription_id());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(log[0].attempts(0).http_status(), 200);
}

TEST_F(WebhookServiceTest, FailuresAndTimeoutsRetryWithBackoffUntilTheReceiverRecovers) {
  const auto sub = subscribe("");
  receiver_.set_mode(HttpReceiver::Mode::kFail503);
  publish("service_followup.account_at_risk");
  t_.fire_due();
  auto log = deliveries(sub.subscription_id());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_PENDING);
  EXPECT_EQ(log[0].attempts(0).http_status(), 503);
  EXPECT_NE(log[0].attempts(0).error().find("maintenance"), std::string::npos);
  // Not before its backoff.
  t_.advance(500ms);
  t_.fire_due();
  EXPECT_EQ(receiver_.received().size(), 1u);
  // The receiver hangs: the attempt ends at the timeout with what happened.
  receiver_.set_mode(HttpReceiver::Mode::kHang);
  t_.advance(1000ms);
  t_.fire_due();
  log = deliveries(sub.subscription_id());
  EXPECT_EQ(log[0].attempt_count(), 2u);
  EXPECT_EQ(log[0].attempts(1).http_status(), 0);
  EXPECT_NE(log[0].attempts(1).error().find("no answer within 300 ms"), std::string::npos)
      << log[0].attempts(1).error();
  // Down altogether: refused. (The next attempt counts from when the last one ended: 300 ms on.)
  receiver_.set_mode(HttpReceiver::Mode::kAnswer200);
  receiver_.down();
  t_.advance(2500ms);
  t_.fire_due();
  log = deliveries(sub.subscription_id());
  EXPECT_EQ(log[0].attempt_count(), 3u);
  EXPECT_NE(log[0].attempts(2).error().find("refused"), std::string::npos)
      << log[0].attempts(2).error();
  // Back: the fourth attempt, after 4 s, delivers the same body.
  receiver_.up();
  t_.advance(3999ms);
  t_.fire_due();
  EXPECT_EQ(deliveries(sub.subscription_id())[0].attempt_count(), 3u);
  t_.advance(100ms);
  t_.fire_due();
  log = deliveries(sub.subscription_id());
  EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_DELIVERED);
  ASSERT_GE(receiver_.received().size(), 1u);
  EXPECT_EQ(receiver_.received().back().body, log[0].body());
}

TEST_F(WebhookServiceTest, ADeliveryGivesUpAfterMaxAttemptsAndARemovedSubscriptionDropsIt) {
  const auto sub = subscribe("");
  receiver_.set_mode(HttpReceiver::Mode::kFail503);
  publish("x.y");
  for (int i = 0; i < 6; ++i) {
    t_.fire_due();
    t_.advance(10s);
  }
  auto log = deliveries(sub.subscription_id());
  EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_FAILED);
  EXPECT_EQ(log[0].attempt_count(), 4u);
  EXPECT_TRUE(t_.pending("webhooks.").empty());

  const auto other = subscribe("");
  publish("x.z");
  pb::UnsubscribeRequest gone;
  gone.set_subscription_id(other.subscription_id());
  EXPECT_TRUE(t_.call<pb::UnsubscribeReply>("Unsubscribe", gone).removed());
  const auto before = receiver_.received().size();
  t_.fire_due();
  log = deliveries(other.subscription_id());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_DROPPED);
  EXPECT_EQ(receiver_.received().size(), before + 1);  // only the first subscription's retry
}

TEST_F(WebhookServiceTest, SubscriptionsAreTheAdminsAndTheirSecretsNeverListed) {
  pb::SubscribeRequest bad;
  bad.set_url("ftp://example.com/");
  EXPECT_EQ(t_.call_status("Subscribe", bad).code(), coach::v1::STATUS_CODE_INVALID_ARGUMENT);
  bad.set_url(receiver_.url());
  bad.set_secret("short");
  EXPECT_EQ(t_.call_status("Subscribe", bad).code(), coach::v1::STATUS_CODE_INVALID_ARGUMENT);
  bad.clear_secret();
  const auto made = t_.call<pb::Subscription>("Subscribe", bad);
  EXPECT_EQ(made.secret().size(), 48u);  // made here, shown once
  auto list = t_.call<pb::SubscriptionList>("ListSubscriptions", pb::ListSubscriptionsRequest());
  ASSERT_EQ(list.subscriptions_size(), 1);
  EXPECT_TRUE(list.subscriptions(0).secret().empty());
  EXPECT_EQ(list.subscriptions(0).url(), receiver_.url());

  t_.directory().put({"ana", "Ana", "", "east", coach::Roles{coach::Role::kSalesperson}, "", ""});
  t_.act_as("ana");
  EXPECT_EQ(t_.call_status("ListSubscriptions", pb::ListSubscriptionsRequest()).code(),
            coach::v1::STATUS_CODE_PERMISSION_DENIED);
  EXPECT_EQ(t_.call_status("Subscribe", bad).code(), coach::v1::STATUS_CODE_PERMISSION_DENIED);
}

TEST_F(WebhookServiceTest, TheDeliveryLogPagesNewestFirst) {
  const auto sub = subscribe("");
  for (int i = 0; i < 5; ++i) {
    publish("x.e", "n" + std::to_string(i));
    t_.advance(1ms);
  }
  pb::ListDeliveriesRequest r;
  r.set_subscription_id(sub.subscription_id());
  r.set_limit(3);
  auto first = t_.call<pb::DeliveryList>("ListDeliveries", r);
  ASSERT_EQ(first.deliveries_size(), 3);
  EXPECT_NE(first.deliveries(0).body().find("\"n4\""), std::string::npos);
  ASSERT_FALSE(first.next_after().empty());
  r.set_after(first.next_after());
  auto second = t_.call<pb::DeliveryList>("ListDeliveries", r);
  ASSERT_EQ(second.deliveries_size(), 2);
  EXPECT_NE(second.deliveries(1).body().find("\"n0\""), std::string::npos);
  EXPECT_TRUE(second.next_after().empty());
}

}  // namespace
}  // namespace webhooks
