// SPDX-License-Identifier: Apache-2.0
#include "topic_interest.hpp"

#include <gtest/gtest.h>

namespace coach::core {
namespace {

TEST(TopicInterest, WantsTopicsUnderAnyPrefixUntilItsLastListenerLeaves) {
  TopicInterest interest;
  EXPECT_FALSE(interest.wants("echo.echoed"));
  interest.add("echo.");
  interest.add("echo.");  // a plugin and an external subscriber
  EXPECT_TRUE(interest.wants("echo.echoed"));
  EXPECT_FALSE(interest.wants("motivation_keys.pulse_recorded"));
  interest.remove("echo.");
  EXPECT_TRUE(interest.wants("echo.echoed"));
  interest.remove("echo.");
  EXPECT_FALSE(interest.wants("echo.echoed"));
  interest.remove("never.added");  // harmless
  interest.add("");                // an external subscriber of everything
  EXPECT_TRUE(interest.wants("motivation_keys.pulse_recorded"));
}

TEST(TopicInterest, CountsUnwantedEvents) {
  TopicInterest interest;
  interest.count_unwanted();
  interest.count_unwanted();
  EXPECT_EQ(interest.unwanted(), 2u);
}

}  // namespace
}  // namespace coach::core
