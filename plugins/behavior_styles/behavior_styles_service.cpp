// SPDX-License-Identifier: Apache-2.0
#include "behavior_styles_service.hpp"

#include <coach/data_file.hpp>

#include "behavior_styles_data.hpp"

namespace coach::behavior_styles {

namespace {

constexpr int kMaxObservationsKept = 60;

std::string rating_key(const std::string& person, const std::string& rater) {
  return "rating/" + person + "/" + rater;
}
std::string account_key(const std::string& account) { return "account/" + account; }
std::string owner_prefix(const std::string& person) { return "owner/" + person + "/"; }

}  // namespace

BehaviorStylesService::BehaviorStylesService(PluginContext& ctx)
    : ctx_(ctx), tentative_below_(ctx.config().get_double("tentative_below")) {
  const auto& config = ctx.config();
  const char* keys[] = {"tells_controls", "tells_emotes", "asks_emotes", "asks_controls"};
  for (std::size_t i = 0; i < 4; ++i) {
    names_[i] = config.get_string(std::string("names.") + keys[i]);
    if (names_[i].empty()) throw invalid_argument(std::string("names.") + keys[i], "empty");
  }
  configured_instrument_ = load_data_file<pb::Instrument>(config.get_string("instrument_file"),
                                                          kInstrumentJson, "instrument");
  validate_instrument(configured_instrument_);
  book_ = load_data_file<pb::GuidanceBook>(config.get_string("guidance_file"), kGuidanceJson,
                                           "guidance");
  validate_book(book_);
}

pb::Instrument BehaviorStylesService::instrument() {
  auto own = store().get<pb::Instrument>("instrument");
  return own ? *own : configured_instrument_;
}

pb::Instrument BehaviorStylesService::get_instrument(const pb::GetInstrumentRequest&,
                                                     const RequestContext& rc) {
  const auto a = access(rc);
  a.require(a.member(), "the questionnaire");
  return instrument();
}

pb::SetInstrumentReply BehaviorStylesService::set_instrument(const pb::SetInstrumentRequest& r,
                                                             const RequestContext& rc) {
  const auto a = access(rc);
  a.require(a.admin(), "changing the questionnaire");
  pb::SetInstrumentReply reply;
  if (r.instrument().items().empty()) {
    store().erase("instrument");
    reply.set_instrument_id(configured_instrument_.id());
    reply.set_items(configured_instrument_.items_size());
    return reply;
  }
  validate_instrument(r.instrument());
  if (r.instrument().id().empty()) throw invalid_argument("instrument.id", "required");
  store().put("instrument", r.instrument());
  reply.set_instrument_id(r.instrument().id());
  reply.set_items(r.instrument().items_size());
  return reply;
}

pb::SubmitAssessmentReply BehaviorStylesService::submit_assessment(
    const pb::SubmitAssessmentRequest& r, const RequestContext& rc) {
  require_id("person_id", r.person_id());
  // A rating is the principal's own: a person rates themselves or, as a colleague, someone else;
  // only an admin records ratings on others' behalf (a paper assessment typed in).
  const auto a = access(rc);
  const std::string claimed =
      r.role() == pb::RATER_ROLE_SELF && r.rater_id().empty() ? r.person_id() : r.rater_id();
  a.require(a.admin() || (a.member() && a.self(claimed)), "submitting an assessment as", claimed);
  if (r.role() == pb::RATER_ROLE_UNSPECIFIED || !pb::RaterRole_IsValid(r.role()))
    throw invalid_argument("role", "one of RATER_ROLE_SELF, _MANAGER, _PEER, _CUSTOMER");
  std::string rater = r.rater_id();
  if (r.role() == pb::RATER_ROLE_SELF) {
    if (rater.empty()) rater = r.person_id();
    if (rater != r.person_id())
      throw invalid_argument("rater_id", "a self rating is by the person themselves");
  } else {
    require_id("rater_id", rater);
    if (rater == r.person_id())
      throw invalid_argument("rater_id", "a person rating themselves uses RATER_ROLE_SELF");
  }
  const auto who = person(r.person_id());
  pb::RaterView view;
  view.set_rater_id(rater);
  view.set_role(r.role());
  *view.mutable_style() = score(instrument(), r.answers(), names_);
  view.set_rated_at_ms(ctx_.now_ms());
  store().put(rating_key(r.person_id(), rater), view);
  pb::SubmitAssessmentReply reply;
  *reply.mutable_scored() = view.style();
  *reply.mutable_profile() = profile(who);
  pb::ProfileUpdated event;
  *event.mutable_profile() = reply.profile();
  ctx_.publish("behavior_styles.profile_updated", event);
  return reply;
}

pb::Profile BehaviorStylesService::profile(const pb::Person& who) {
  std::vector<pb::RaterView> views;
  for (const auto& item : store().scan_all(rating_key(who.person_id(), "")))
    views.push_back(Store::parse<pb::RaterView>(item));
  return make_profile(who, std::move(views), names_);
}

pb::Profile BehaviorStylesService::get_profile(const pb::GetProfileRequest& r,
                                               const RequestContext& rc) {
  require_id("person_id", r.person_id());
  const auto a = access(rc);
  a.require(a.own_coach_or_manager(r.person_id()), "the style profile", r.person_id());
  return profile(person(r.person_id()));
}

pb::CustomerStyle BehaviorStylesService::record_observations(const pb::RecordObservationsRequest& r,
                                                             const RequestContext& rc) {
  require_id("salesperson_id", r.salesperson_id());
  const auto a = access(rc);
  a.require(a.own_or_coach(r.salesperson_id()), "recording observations for", r.salesperson_id());
  require_id("account_id", r.account_id());
  validate_observations(r.observations());
  person(r.salesperson_id(), "salesperson_id");  // must be in the directory
  std::int64_t version = kMustNotExist;
  pb::ObservationLog log;
  if (auto old = store().get<pb::ObservationLog>(account_key(r.account_id()), &version)) log = *old;
  const std::string previous_owner = log.salesperson_id();
  add_observations(log, r, kMaxObservationsKept, ctx_.now_ms());
  WriteBatch batch;
  batch.put(account_key(r.account_id()), log, version);
  if (!previous_owner.empty() && previous_owner != r.salesperson_id())
    batch.erase(owner_prefix(previous_owner) + r.account_id());
  batch.put_bytes(owner_prefix(r.salesperson_id()) + r.account_id(), "");
  if (!store().commit(batch))
    throw Error(v1::STATUS_CODE_CONFLICT, "account_id: changed concurrently, retry");
  auto style = customer_style_of(log, names_, tentative_below_);
  pb::CustomerStyleEstimated event;
  *event.mutable_estimate() = style;
  ctx_.publish("behavior_styles.customer_style_estimated", event);
  return style;
}

pb::CustomerStyle BehaviorStylesService::customer_style(const std::string& account) {
  auto log = store().get<pb::ObservationLog>(account_key(account));
  if (!log)
    throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no observations of '" + account + "'");
  return customer_style_of(*log, names_, tentative_below_);
}

pb::CustomerStyle BehaviorStylesService::get_customer_style(const pb::GetCustomerStyleRequest& r,
                                                            const RequestContext& rc) {
  require_id("account_id", r.account_id());
  auto style = customer_style(r.account_id());
  const auto a = access(rc);
  a.require(a.own_coach_or_manager(style.salesperson_id()), "the customer style", r.account_id());
  return style;
}

pb::Guidance BehaviorStylesService::get_guidance(const pb::GetGuidanceRequest& r,
                                                 const RequestContext& rc) {
  const auto a = access(rc);
  a.require(a.member(), "guidance");
  pb::Style mine;
  if (!r.salesperson_id().empty()) {
    require_id("salesperson_id", r.salesperson_id());
    a.require(a.own_coach_or_manager(r.salesperson_id()), "the style profile", r.salesperson_id());
    auto p = profile(person(r.salesperson_id()));
    if (!p.has_effective()) {
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                  "salesperson_id: '" + r.salesperson_id() + "' has no assessment yet");
    }
    mine = p.effective();
  } else {
    mine = style_of_quadrant(r.salesperson_quadrant(), names_, "salesperson_quadrant");
  }
  pb::Style theirs;
  bool tentative = false;
  if (!r.account_id().empty()) {
    require_id("account_id", r.account_id());
    auto c = customer_style(r.account_id());
    a.require(a.own_coach_or_manager(c.salesperson_id()), "the customer style", r.account_id());
    theirs = c.style();
    tentative = c.tentative();
  } else {
    theirs = style_of_quadrant(r.customer_quadrant(), names_, "customer_quadrant");
  }
  auto g = make_guidance(book_, mine, theirs);
  if (tentative) mark_tentative(g);
  return g;
}

pb::TeamMap BehaviorStylesService::get_team_map(const pb::GetTeamMapRequest& r,
                                                const RequestContext& rc) {
  const auto members = directory_team(ctx_.people(), r.team_id());
  const auto a = access(rc);
  a.require(a.team_lead(r.team_id()), "the team map", "team " + r.team_id());
  pb::TeamMap map;
  map.set_team_id(r.team_id());
  for (const auto& n : names_) (*map.mutable_counts())[n] = 0;
  for (const auto& id : members) {
    auto p = profile(person(id));
    auto* member = map.add_members();
    *member->mutable_person() = p.person();
    if (!p.has_effective()) {
      map.set_unassessed(map.unassessed() + 1);
      continue;
    }
    *member->mutable_style() = p.effective();
    ++(*map.mutable_counts())[p.effective().name()];
    const std::string owned = owner_prefix(id);
    for (const auto& account : store().scan_all(owned)) {
      auto log = store().get<pb::ObservationLog>(account_key(account.key.substr(owned.size())));
      if (!log) continue;
      *map.add_pairings() =
          make_pairing(id, p.effective(), customer_style_of(*log, names_, tentative_below_));
    }
  }
  sort_pairings(map);
  return map;
}

}  // namespace coach::behavior_styles
