// SPDX-License-Identifier: Apache-2.0
#include "names.hpp"

#include <gtest/gtest.h>

namespace coach::core {

TEST(Names, PluginNames) {
  EXPECT_TRUE(is_plugin_name("service_followup"));
  EXPECT_TRUE(is_plugin_name("a1"));
  EXPECT_FALSE(is_plugin_name(""));
  EXPECT_FALSE(is_plugin_name("1a"));
  EXPECT_FALSE(is_plugin_name("Echo"));
  EXPECT_FALSE(is_plugin_name("a-b"));
}

TEST(Names, MethodNames) {
  EXPECT_TRUE(is_method_name("GetInstrument"));
  EXPECT_TRUE(is_method_name("x_1"));
  EXPECT_FALSE(is_method_name("_x"));
  EXPECT_FALSE(is_method_name("Get.X"));
  EXPECT_FALSE(is_method_name(""));
}

TEST(Names, Topics) {
  EXPECT_TRUE(is_topic("echo.echoed"));
  EXPECT_TRUE(is_topic("a.b.c"));
  EXPECT_FALSE(is_topic("echo"));
  EXPECT_FALSE(is_topic("echo."));
  EXPECT_FALSE(is_topic(".echo"));
  EXPECT_FALSE(is_topic("echo..x"));
  EXPECT_FALSE(is_topic("Echo.x"));
}

}  // namespace coach::core
