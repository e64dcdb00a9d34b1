// SPDX-License-Identifier: Apache-2.0
// echo's logic, in-process through coach/testing.hpp: no daemon, milliseconds.
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include "echo.pb.h"

namespace {

using coach::v1::echo::Echoed;
using coach::v1::echo::EchoReply;
using coach::v1::echo::EchoRequest;

EchoRequest text(const std::string& s) {
  EchoRequest r;
  r.set_text(s);
  return r;
}

TEST(Echo, RepliesAfterTheGreetingAndPublishesEchoed) {
  coach::testing::TestContext t({{"greeting", "hi"}});
  t.start();
  auto reply = t.call<EchoReply>("Echo", text("there"));
  EXPECT_EQ(reply.text(), "hi: there");
  EXPECT_EQ(reply.tenant(), "default");
  EXPECT_EQ(t.call<EchoReply>("Echo", text("again")).served(), 2u);
  auto events = t.events("echo.echoed");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].as<Echoed>().text(), "there");
}

TEST(Echo, TextOverTheLimitIsRefusedNamingTheField) {
  coach::testing::TestContext t({{"max_text_bytes", "4"}});
  t.start();
  auto status = t.call_status("Echo", text("too long"));
  EXPECT_EQ(status.code(), coach::v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(status.message().find("text"), std::string::npos);
  EXPECT_TRUE(t.events().empty());
}

TEST(Echo, DefaultsComeFromTheSchemaAndBadConfigIsRefused) {
  coach::testing::TestContext t;
  t.start();
  EXPECT_EQ(t.call<EchoReply>("Echo", text("x")).text(), "echo: x");
  EXPECT_THROW(coach::testing::TestContext({{"max_text_bytes", "0"}}), coach::Error);
  EXPECT_THROW(coach::testing::TestContext({{"greting", "typo"}}), coach::Error);
}

}  // namespace
