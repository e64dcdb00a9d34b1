// SPDX-License-Identifier: Apache-2.0
// behavior_styles through a real coachd: what only a daemon shows (persistence across a restart,
// config from coachd.yaml, coachctl, a broken data file). Its logic is tested in-process in
// behavior_styles_service_test.cpp.
#include <gtest/gtest.h>

#include <thread>

#include "bus_client.hpp"
#include "coach/v1/behavior_styles.pb.h"
#include "daemon_process.hpp"
#include "plugin_client.hpp"
#include "style_requests.hpp"

namespace coach::behavior_styles {
namespace {

namespace pb = coach::v1::behavior_styles;
using testing::DaemonProcess;
using testing::PluginClient;
using testing::Reply;
using namespace std::chrono_literals;

const std::string kPlugin = "  behavior_styles: {}\n";

class BehaviorStylesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.start();
    client_ = std::make_unique<PluginClient>(daemon_.request_endpoint(), "behavior_styles");
    instrument_ = client_->ok<pb::Instrument>("GetInstrument", pb::GetInstrumentRequest());
  }

  void register_person(const std::string& id, const std::string& team) {
    behavior_styles::register_person(*client_, id, team);
  }
  Reply assess(const std::string& person, const std::string& rater, pb::RaterRole role, bool tells,
               bool emotes) {
    return behavior_styles::assess(*client_, instrument_, person, rater, role, tells, emotes);
  }
  Reply observe(const std::string& sp, const std::string& account,
                std::vector<std::pair<pb::Cue, int>> cues) {
    return behavior_styles::observe(*client_, sp, account, cues);
  }

  DaemonProcess daemon_{kPlugin, "", "info"};
  std::unique_ptr<PluginClient> client_;
  pb::Instrument instrument_;
};

TEST_F(BehaviorStylesTest, EverythingSurvivesARestart) {
  register_person("ana", "east");
  ASSERT_EQ(assess("ana", "", pb::RATER_ROLE_SELF, false, true).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(observe("ana", "acme", {{pb::CUE_PACE, 4}, {pb::CUE_SHOWS_FEELINGS, 1}}).code,
            v1::STATUS_CODE_OK);
  client_.reset();
  daemon_.signal(SIGTERM);
  ASSERT_EQ(daemon_.wait_exit(10s), 0);
  daemon_.start();
  client_ = std::make_unique<PluginClient>(daemon_.request_endpoint(), "behavior_styles");
  pb::GetProfileRequest get;
  get.set_person_id("ana");
  EXPECT_EQ(client_->ok<pb::Profile>("GetProfile", get).self().name(), "Amiable");
  pb::GetCustomerStyleRequest cs;
  cs.set_account_id("acme");
  EXPECT_EQ(client_->ok<pb::CustomerStyle>("GetCustomerStyle", cs).observations(), 2);
  pb::GetTeamMapRequest tm;
  tm.set_team_id("east");
  EXPECT_EQ(client_->ok<pb::TeamMap>("GetTeamMap", tm).members_size(), 1);
}

TEST(BehaviorStylesConfig, VocabularyComesFromConfigAndCoachctlCallsWork) {
  DaemonProcess d(
      "  behavior_styles:\n    config:\n      names:\n        tells_controls: Director\n"
      "        asks_emotes: Relater\n",
      "", "info");
  d.start();
  auto out = testing::run_command(
      {COACHCTL_BIN, "-e", d.request_endpoint(), "call", "behavior_styles", "GetGuidance",
       R"({"salesperson_quadrant":"QUADRANT_TELLS_CONTROLS","customer_quadrant":"QUADRANT_ASKS_EMOTES"})"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("\"name\":\"Director\""), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("\"name\":\"Relater\""), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("\"hardest_pairing\":true"), std::string::npos) << out.output;
  auto bad = testing::run_command({COACHCTL_BIN, "-e", d.request_endpoint(), "call",
                                   "behavior_styles", "GetProfile", R"({"person_id":"nobody"})"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("NOT_FOUND"), std::string::npos) << bad.output;
}

TEST(BehaviorStylesConfig, BrokenGuidanceFileRefusesThePluginWithAReason) {
  testing::TempDir dir;
  testing::write_file(dir.file("g.json"), R"({"styles": []})");
  DaemonProcess d(
      "  behavior_styles:\n    config:\n      guidance_file: " + dir.file("g.json") + "\n", "",
      "info");
  d.start();
  EXPECT_NE(d.log().find("need traits for all four quadrants"), std::string::npos) << d.log();
}

TEST(BehaviorStylesConfig, ATypoInANestedKeyIsRefusedNamingItsPathAndLine) {
  DaemonProcess d("  behavior_styles:\n    config:\n      names:\n        tells_control: Boss\n",
                  "", "info");
  d.start();
  const auto log = d.log();
  const auto at = log.find("plugins.behavior_styles.config.names.tells_control (line ");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_NE(log.find("it accepts: tentative_below, instrument_file, guidance_file, "
                     "names.tells_controls",
                     at),
            std::string::npos)
      << log;
  PluginClient c(d.request_endpoint(), "behavior_styles");
  EXPECT_EQ(c.call("GetInstrument", pb::GetInstrumentRequest()).code,
            v1::STATUS_CODE_PLUGIN_DISABLED);
}

}  // namespace
}  // namespace coach::behavior_styles
