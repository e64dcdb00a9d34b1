// SPDX-License-Identifier: Apache-2.0
#include "request_router.hpp"

#include <google/protobuf/empty.pb.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

namespace coach::core {

class RequestRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Route& r = router_.upsert("good");
    r.state = RouteState::kRunning;
    r.methods["Echo"] = {google::protobuf::StringValue::descriptor(),
                         google::protobuf::StringValue::descriptor()};
    r.subscriptions = {"publisher."};
    Route& off = router_.upsert("off");
    off.state = RouteState::kDisabled;
    off.reason = "disabled in config";
    Route& other = router_.upsert("other");
    other.state = RouteState::kRunning;
    other.subscriptions = {"publisher.tick", "x."};
  }
  static constexpr const char* kString = "type.googleapis.com/google.protobuf.StringValue";
  RequestRouter router_;
};

TEST_F(RequestRouterTest, RoutesKnownMethodWithRightPayload) {
  auto d = router_.resolve("good", "Echo", kString);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->name, "good");
  EXPECT_EQ(d.code, v1::STATUS_CODE_OK);
}

TEST_F(RequestRouterTest, UnknownService) {
  auto d = router_.resolve("nope", "Echo", kString);
  EXPECT_EQ(d.route, nullptr);
  EXPECT_EQ(d.code, v1::STATUS_CODE_UNKNOWN_SERVICE);
  EXPECT_NE(d.message.find("'nope'"), std::string::npos);
}

TEST_F(RequestRouterTest, UnknownMethod) {
  EXPECT_EQ(router_.resolve("good", "Echoo", kString).code, v1::STATUS_CODE_UNKNOWN_METHOD);
}

TEST_F(RequestRouterTest, DisabledPluginSaysWhy) {
  auto d = router_.resolve("off", "Echo", kString);
  EXPECT_EQ(d.code, v1::STATUS_CODE_PLUGIN_DISABLED);
  EXPECT_NE(d.message.find("disabled in config"), std::string::npos);
}

TEST_F(RequestRouterTest, WrongPayloadTypeNamesBothTypes) {
  auto d = router_.resolve("good", "Echo", "type.googleapis.com/google.protobuf.Empty");
  EXPECT_EQ(d.code, v1::STATUS_CODE_WRONG_PAYLOAD_TYPE);
  EXPECT_NE(d.message.find("google.protobuf.StringValue"), std::string::npos);
  EXPECT_NE(d.message.find("google.protobuf.Empty"), std::string::npos);
  EXPECT_EQ(router_.resolve("good", "Echo", "").code, v1::STATUS_CODE_WRONG_PAYLOAD_TYPE);
}

TEST_F(RequestRouterTest, EventsFanOutByPrefixToLivePluginsOnly) {
  std::vector<std::string> got;
  router_.for_each_subscriber("publisher.tick", [&](Route& r) { got.push_back(r.name); });
  EXPECT_EQ(got, (std::vector<std::string>{"good", "other"}));
  got.clear();
  router_.for_each_subscriber("publisher.tock", [&](Route& r) { got.push_back(r.name); });
  EXPECT_EQ(got, (std::vector<std::string>{"good"}));
  router_.find("good")->state = RouteState::kStopping;
  got.clear();
  router_.for_each_subscriber("publisher.tock", [&](Route& r) { got.push_back(r.name); });
  EXPECT_TRUE(got.empty());
}

}  // namespace coach::core
