// SPDX-License-Identifier: Apache-2.0
// webhooks through a real coachd on a test clock: an event whose first delivery fails reaches
// the subscriber's URL after coachd was stopped and started again in between (the scheduler
// holds the next attempt). The logic is tested in-process in webhook_service_test.cpp.
#include <gtest/gtest.h>

#include <thread>

#include "coach/v1/admin.pb.h"
#include "coach/v1/webhooks.pb.h"
#include "daemon_process.hpp"
#include "echo.pb.h"
#include "http_receiver.hpp"
#include "plugin_client.hpp"

namespace webhooks {
namespace {

using coach::testing::DaemonProcess;
using coach::testing::HttpReceiver;
using coach::testing::PluginClient;
namespace pb = coach::v1::webhooks;
using namespace std::chrono_literals;

const std::string kPlugins =
    "  echo: {}\n  webhooks:\n    config:\n      first_backoff_ms: 60000\n      timeout_ms: "
    "1000\n";
const std::string kTestClock = "deployment: test\nscheduler:\n  clock: test\n  poll_ms: 50\n";

std::vector<pb::Delivery> deliveries(PluginClient& hooks, const std::string& sub) {
  pb::ListDeliveriesRequest r;
  r.set_subscription_id(sub);
  auto list = hooks.ok<pb::DeliveryList>("ListDeliveries", r);
  return {list.deliveries().begin(), list.deliveries().end()};
}

// Polls the delivery log until pred holds for its newest delivery.
template <typename Pred>
bool wait_for(PluginClient& hooks, const std::string& sub, Pred pred) {
  for (int i = 0; i < 200; ++i) {
    auto log = deliveries(hooks, sub);
    if (!log.empty() && pred(log[0])) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

TEST(WebhooksDaemon, AnEventReachesItsUrlAfterCoachdRestartedInBetween) {
  HttpReceiver receiver;
  receiver.down();  // the CRM is down for maintenance
  DaemonProcess d(kPlugins, "", "info");
  d.set_sections(d.default_sections() + kTestClock);
  d.start();
  std::string sub;
  {
    PluginClient hooks(d.request_endpoint(), "webhooks");
    pb::SubscribeRequest s;
    s.set_url(receiver.url("/crm/events"));
    s.set_topic_prefix("echo.");
    sub = hooks.ok<pb::Subscription>("Subscribe", s).subscription_id();
    coach::v1::echo::EchoRequest e;
    e.set_text("before the restart");
    PluginClient echo(d.request_endpoint(), "echo");
    ASSERT_EQ(echo.call("Echo", e).code, coach::v1::STATUS_CODE_OK);
    ASSERT_TRUE(wait_for(hooks, sub, [](const pb::Delivery& x) { return x.attempt_count() == 1; }))
        << d.log();
    auto log = deliveries(hooks, sub);
    EXPECT_EQ(log[0].state(), pb::DELIVERY_STATE_PENDING);
    EXPECT_NE(log[0].attempts(0).error().find("refused"), std::string::npos)
        << log[0].attempts(0).error();
  }
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait_exit(10s), 0);
  receiver.up();
  d.start();  // the test clock starts again at the system time
  PluginClient hooks(d.request_endpoint(), "webhooks");
  coach::v1::AdvanceClockRequest advance;
  advance.set_by_ms(61'000);
  ASSERT_EQ(hooks.call("AdvanceClock", advance, "coachd").code, coach::v1::STATUS_CODE_OK);
  ASSERT_TRUE(receiver.wait_for(1, 10s)) << d.log();
  const auto got = receiver.received()[0];
  EXPECT_EQ(got.target, "/crm/events");
  EXPECT_NE(got.body.find("before the restart"), std::string::npos) << got.body;
  EXPECT_EQ(got.headers.at("x-coach-event"), "echo.echoed");
  ASSERT_TRUE(wait_for(
      hooks, sub, [](const pb::Delivery& x) { return x.state() == pb::DELIVERY_STATE_DELIVERED; }));
  auto log = deliveries(hooks, sub);
  ASSERT_EQ(log[0].attempt_count(), 2u);
  EXPECT_EQ(log[0].attempts(1).http_status(), 200);
}

}  // namespace
}  // namespace webhooks
