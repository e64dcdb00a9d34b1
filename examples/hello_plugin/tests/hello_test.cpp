// SPDX-License-Identifier: Apache-2.0
// The plugin's logic in milliseconds, without coachd.
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include "hello.pb.h"

TEST(Hello, GreetsByNameFromTheTenant) {
  coach::testing::TestContext t;
  t.start();
  t.set_tenant("acme");
  acme::hello::v1::GreetRequest req;
  req.set_name("Ada");
  EXPECT_EQ(t.call<acme::hello::v1::GreetReply>("Greet", req).greeting(), "Hello, Ada, from acme");
  EXPECT_EQ(t.call_status("Greet", acme::hello::v1::GreetRequest()).code(),
            coach::v1::STATUS_CODE_INVALID_ARGUMENT);
}
