// SPDX-License-Identifier: Apache-2.0
// behavior_styles' logic in-process, through coach/testing.hpp: assessments, multi-rater
// profiles, customer estimates, guidance, team maps, events and bad input, in milliseconds.
#include <gtest/gtest.h>
#include <coach/testing.hpp>

#include "plugin_client.hpp"
#include "style_model.hpp"
#include "style_requests.hpp"

namespace coach::behavior_styles {
namespace {

using testing::InProcessClient;
using testing::Reply;

class BehaviorStylesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.start();
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

  coach::testing::TestContext t_;
  std::unique_ptr<InProcessClient> client_ = std::make_unique<InProcessClient>(t_);
  pb::Instrument instrument_;
};

TEST_F(BehaviorStylesServiceTest, InstrumentIsServedAndProfilesShowSelfAndOthers) {
  EXPECT_EQ(instrument_.items_size(), 30);
  register_person("ana", "east");

  // Ana sees herself as a Driver; her manager and a peer see an Expressive.
  auto self = assess("ana", "", pb::RATER_ROLE_SELF, true, false);
  ASSERT_EQ(self.code, v1::STATUS_CODE_OK) << self.message;
  ASSERT_EQ(assess("ana", "mgr", pb::RATER_ROLE_MANAGER, true, true).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(assess("ana", "peer", pb::RATER_ROLE_PEER, true, true).code, v1::STATUS_CODE_OK);
  pb::GetProfileRequest get;
  get.set_person_id("ana");
  auto p = client_->ok<pb::Profile>("GetProfile", get);
  EXPECT_EQ(p.self().name(), "Driver");
  EXPECT_DOUBLE_EQ(p.self().assertiveness(), 4.0);
  EXPECT_DOUBLE_EQ(p.self().responsiveness(), 1.0);
  EXPECT_EQ(p.others().name(), "Expressive");
  EXPECT_EQ(p.others_count(), 2);
  EXPECT_TRUE(p.views_differ());
  EXPECT_EQ(p.effective().name(), "Expressive");
  EXPECT_EQ(p.raters_size(), 3);

  // A rater's second submission replaces the first: now everyone agrees.
  ASSERT_EQ(assess("ana", "", pb::RATER_ROLE_SELF, true, true).code, v1::STATUS_CODE_OK);
  p = client_->ok<pb::Profile>("GetProfile", get);
  EXPECT_FALSE(p.views_differ());
  EXPECT_EQ(p.raters_size(), 3);

  EXPECT_EQ(t_.events("behavior_styles.profile_updated").size(), 4u);
}

TEST_F(BehaviorStylesServiceTest, CustomerEstimateGuidanceAndTeamMap) {
  register_person("ana", "east");
  register_person("ben", "east");
  register_person("cy", "west");
  ASSERT_EQ(assess("ana", "", pb::RATER_ROLE_SELF, true, false).code, v1::STATUS_CODE_OK);
  ASSERT_EQ(assess("ben", "", pb::RATER_ROLE_SELF, false, false).code, v1::STATUS_CODE_OK);

  // One cue: a tentative guess.
  auto first = observe("ana", "acme", {{pb::CUE_PACE, 1}});
  ASSERT_EQ(first.code, v1::STATUS_CODE_OK) << first.message;
  pb::CustomerStyle est;
  first.payload.UnpackTo(&est);
  EXPECT_TRUE(est.tentative());
  pb::GetGuidanceRequest gr;
  gr.set_salesperson_id("ana");
  gr.set_account_id("acme");
  auto g = client_->ok<pb::Guidance>("GetGuidance", gr);
  EXPECT_TRUE(g.tentative());
  EXPECT_NE(g.note().find("tentative"), std::string::npos);
  auto events = t_.events("behavior_styles.customer_style_estimated");
  ASSERT_EQ(events.size(), 1u);
  auto estimated = events[0].as<pb::CustomerStyleEstimated>();
  EXPECT_EQ(estimated.estimate().account_id(), "acme");
  EXPECT_TRUE(estimated.estimate().tentative());

  // More consistent cues: an Amiable, with confidence; Driver -> Amiable is a diagonal.
  auto more = observe("ana", "acme",
                      {{pb::CUE_TELLS_VS_ASKS, 1},
                       {pb::CUE_DECISIONS, 1},
                       {pb::CUE_SHOWS_FEELINGS, 4},
                       {pb::CUE_BIG_PICTURE, 4},
                       {pb::CUE_RELATIONSHIP, 4}});
  more.payload.UnpackTo(&est);
  EXPECT_EQ(est.style().name(), "Amiable");
  EXPECT_FALSE(est.tentative()) << est.confidence();
  EXPECT_EQ(est.observations(), 6);
  g = client_->ok<pb::Guidance>("GetGuidance", gr);
  EXPECT_FALSE(g.tentative());
  EXPECT_TRUE(g.hardest_pairing());
  EXPECT_EQ(g.salesperson().name(), "Driver");
  EXPECT_EQ(g.customer().name(), "Amiable");
  EXPECT_FALSE(g.awareness().perceived_as().empty());
  EXPECT_EQ(g.alignment().they_want_to_save(), "relationships");
  EXPECT_GE(g.action().do__size(), 1);

  ASSERT_EQ(observe("ben", "globex",
                    {{pb::CUE_PACE, 2},
                     {pb::CUE_TELLS_VS_ASKS, 2},
                     {pb::CUE_DECISIONS, 1},
                     {pb::CUE_SHOWS_FEELINGS, 1},
                     {pb::CUE_BIG_PICTURE, 2},
                     {pb::CUE_RELATIONSHIP, 1}})
                .code,
            v1::STATUS_CODE_OK);
  pb::GetTeamMapRequest tm;
  tm.set_team_id("east");
  auto map = client_->ok<pb::TeamMap>("GetTeamMap", tm);
  EXPECT_EQ(map.members_size(), 2);
  EXPECT_EQ(map.counts().at("Driver"), 1);
  EXPECT_EQ(map.counts().at("Analytical"), 1);
  EXPECT_EQ(map.counts().at("Amiable"), 0);
  ASSERT_EQ(map.pairings_size(), 2);
  EXPECT_EQ(map.pairings(0).person_id(), "ana");  // the diagonal pairing first
  EXPECT_TRUE(map.pairings(0).hardest_pairing());
  EXPECT_GT(map.pairings(0).adaptation_needed(), map.pairings(1).adaptation_needed());
}

TEST_F(BehaviorStylesServiceTest, BadInputGetsAClearErrorAndStoresNothing) {
  register_person("ana", "east");
  pb::SubmitAssessmentRequest r = answers_for(instrument_, true, true);
  r.set_person_id("ana");
  r.set_role(pb::RATER_ROLE_SELF);
  r.mutable_answers()->RemoveLast();
  auto wrong_count = client_->call("SubmitAssessment", r);
  EXPECT_EQ(wrong_count.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(wrong_count.message.find("answers: expected 30"), std::string::npos)
      << wrong_count.message;
  r.add_answers(7);
  auto out_of_range = client_->call("SubmitAssessment", r);
  EXPECT_EQ(out_of_range.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(out_of_range.message.find("answers[29]: 7 is outside 1..4"), std::string::npos);
  auto unknown = assess("nobody", "", pb::RATER_ROLE_SELF, true, true);
  EXPECT_EQ(unknown.code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_NE(unknown.message.find("person_id"), std::string::npos) << unknown.message;
  auto no_role = assess("ana", "x", pb::RATER_ROLE_UNSPECIFIED, true, true);
  EXPECT_EQ(no_role.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(no_role.message.find("role"), std::string::npos);

  pb::GetProfileRequest get;
  get.set_person_id("ana");
  auto p = client_->ok<pb::Profile>("GetProfile", get);
  EXPECT_EQ(p.raters_size(), 0) << "a refused assessment was stored";

  get.set_person_id("ghost");
  EXPECT_EQ(client_->call("GetProfile", get).code, v1::STATUS_CODE_NOT_FOUND);
  pb::GetTeamMapRequest tm;
  tm.set_team_id("nowhere");
  auto no_team = client_->call("GetTeamMap", tm);
  EXPECT_EQ(no_team.code, v1::STATUS_CODE_NOT_FOUND);
  EXPECT_NE(no_team.message.find("team_id"), std::string::npos);
  auto bad_cue = observe("ana", "acme", {{pb::CUE_PACE, 5}});
  EXPECT_EQ(bad_cue.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(bad_cue.message.find("observations[0].value"), std::string::npos);
  EXPECT_EQ(observe("ghost", "acme", {{pb::CUE_PACE, 2}}).code, v1::STATUS_CODE_NOT_FOUND);
  pb::GetCustomerStyleRequest cs;
  cs.set_account_id("acme");
  EXPECT_EQ(client_->call("GetCustomerStyle", cs).code, v1::STATUS_CODE_NOT_FOUND)
      << "a refused observation was stored";
  pb::GetProfileRequest slash;
  slash.set_person_id("a/b");
  auto bad_id = client_->call("GetProfile", slash);
  EXPECT_EQ(bad_id.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(bad_id.message.find("person_id"), std::string::npos);

  // An instrument that covers one axis only is refused; the current one stays.
  pb::SetInstrumentRequest si;
  *si.mutable_instrument() = instrument_;
  si.mutable_instrument()->set_id("one-axis");
  auto* items = si.mutable_instrument()->mutable_items();
  for (int i = items->size() - 1; i >= 0; --i) {
    if (items->Get(i).axis() == pb::AXIS_RESPONSIVENESS) items->DeleteSubrange(i, 1);
  }
  auto one_axis = client_->call("SetInstrument", si);
  EXPECT_EQ(one_axis.code, v1::STATUS_CODE_INVALID_ARGUMENT);
  EXPECT_NE(one_axis.message.find("instrument.items: no item measures responsiveness"),
            std::string::npos)
      << one_axis.message;
  EXPECT_EQ(client_->ok<pb::Instrument>("GetInstrument", pb::GetInstrumentRequest()).id(),
            instrument_.id());
}

}  // namespace
}  // namespace coach::behavior_styles
