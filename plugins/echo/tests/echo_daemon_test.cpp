// SPDX-License-Identifier: Apache-2.0
// echo loaded by a real coachd: what only a daemon shows (the library loads, the rpc is routed
// over the bus, the event reaches subscribers, config is checked at load).
#include <gtest/gtest.h>

#include "daemon_process.hpp"
#include "echo.pb.h"
#include "plugin_client.hpp"

namespace {

using coach::testing::DaemonProcess;
using coach::testing::PluginClient;
using coach::v1::echo::EchoReply;
using coach::v1::echo::EchoRequest;

TEST(EchoDaemon, LoadedAndCalledOverTheBus) {
  DaemonProcess daemon("  echo:\n    config:\n      greeting: hello\n");
  daemon.start();
  PluginClient client(daemon.request_endpoint(), "echo");
  EchoRequest req;
  req.set_text("coachd");
  auto reply = client.ok<EchoReply>("Echo", req);
  EXPECT_EQ(reply.text(), "hello: coachd");
  EXPECT_EQ(reply.tenant(), "default");
}

TEST(EchoDaemon, ATypoInItsConfigIsRefusedWithThePathAndLine) {
  DaemonProcess daemon("  echo:\n    config:\n      greting: hello\n");
  daemon.start();
  PluginClient client(daemon.request_endpoint(), "echo");
  auto r = client.call("Echo", EchoRequest());
  EXPECT_NE(r.code, coach::v1::STATUS_CODE_OK);
  const auto log = daemon.log();
  EXPECT_NE(log.find("plugins.echo.config.greting (line"), std::string::npos) << log;
}

}  // namespace
