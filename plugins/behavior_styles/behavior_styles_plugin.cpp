// SPDX-License-Identifier: Apache-2.0
// behavior_styles: "If you want to interact effectively with me, you first need to understand
// me." Self and others' assessments place a person on two axes; quick observations estimate a
// customer's style; guidance tells the salesperson how to adapt (Awareness, Alignment, Action).
//
// Store layout (per tenant, under this plugin):
//   person/<id>              Person
//   team/<team>/<person>     (empty) team membership index
//   rating/<person>/<rater>  RaterView: a rater's latest view of the person
//   account/<id>             ObservationLog: observations of a customer account
//   owner/<person>/<account> (empty) accounts a salesperson observed
//   instrument               Instrument: this tenant's own questionnaire, if it set one
#include <google/protobuf/util/json_util.h>
#include <coach/data_file.hpp>
#include <coach/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "behavior_styles_data.hpp"
#include "people_registry.hpp"
#include "style_model.hpp"

namespace coach::behavior_styles {

namespace {

constexpr int kMaxObservationsKept = 60;

class BehaviorStyles final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::ConfigKey config[] = {
        {.path = "tentative_below",
         .type = ConfigType::kNumber,
         .default_value = "0.6",
         .description = "customer estimates below this confidence are marked tentative",
         .min = 0,
         .max = 1},
        {.path = "instrument_file",
         .description = "a JSON questionnaire replacing the built-in one"},
        {.path = "guidance_file", .description = "JSON guidance texts replacing the built-in ones"},
        {.path = "names.tells_controls", .default_value = "Driver", .description = "quadrant name"},
        {.path = "names.tells_emotes",
         .default_value = "Expressive",
         .description = "quadrant name"},
        {.path = "names.asks_emotes", .default_value = "Amiable", .description = "quadrant name"},
        {.path = "names.asks_controls",
         .default_value = "Analytical",
         .description = "quadrant name"},
        {}};
    static const coach::PluginManifest m{
        .name = "behavior_styles",
        .version = "1.0.0",
        .description = "Behavior styles: assessment, customer style, adaptation guidance",
        .service = "coach.v1.behavior_styles.BehaviorStyles",
        .config = config,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    ctx_ = &ctx;
    load_config(ctx.config());
    ctx.serve("GetInstrument", [this](const pb::GetInstrumentRequest&) { return instrument(); });
    ctx.serve("SetInstrument",
              [this](const pb::SetInstrumentRequest& r) { return set_instrument(r); });
    ctx.serve("RegisterPerson",
              [this](const pb::RegisterPersonRequest& r) { return register_person(r); });
    ctx.serve("SubmitAssessment",
              [this](const pb::SubmitAssessmentRequest& r) { return submit(r); });
    ctx.serve("GetProfile", [this](const pb::GetProfileRequest& r) {
      require_id("person_id", r.person_id());
      return profile(person(r.person_id()));
    });
    ctx.serve("RecordObservations",
              [this](const pb::RecordObservationsRequest& r) { return observe(r); });
    ctx.serve("GetCustomerStyle", [this](const pb::GetCustomerStyleRequest& r) {
      require_id("account_id", r.account_id());
      return customer_style(r.account_id());
    });
    ctx.serve("GetGuidance", [this](const pb::GetGuidanceRequest& r) { return guidance(r); });
    ctx.serve("GetTeamMap", [this](const pb::GetTeamMapRequest& r) { return team_map(r); });
  }

 private:
  void load_config(const ConfigSection& config) {
    const char* keys[] = {"tells_controls", "tells_emotes", "asks_emotes", "asks_controls"};
    for (std::size_t i = 0; i < 4; ++i) {
      names_[i] = config.get_string(std::string("names.") + keys[i]);
      if (names_[i].empty()) throw invalid_argument(std::string("names.") + keys[i], "empty");
    }
    tentative_below_ = config.get_double("tentative_below");
    configured_instrument_ = load_data_file<pb::Instrument>(config.get_string("instrument_file"),
                                                            kInstrumentJson, "instrument");
    validate_instrument(configured_instrument_);
    book_ = load_data_file<pb::GuidanceBook>(config.get_string("guidance_file"), kGuidanceJson,
                                             "guidance");
    validate_book(book_);
  }

  Store& store() { return ctx_->store(); }

  pb::Instrument instrument() {
    auto own = store().get<pb::Instrument>("instrument");
    return own ? *own : configured_instrument_;
  }

  pb::SetInstrumentReply set_instrument(const pb::SetInstrumentRequest& r) {
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

  PeopleRegistry<pb::Person> people() { return PeopleRegistry<pb::Person>(store()); }
  pb::Person person(const std::string& id) { return people().get(id); }

  pb::Person register_person(const pb::RegisterPersonRequest& r) {
    return people().put(r.person_id(), r.display_name(), r.team_id());
  }

  pb::SubmitAssessmentReply submit(const pb::SubmitAssessmentRequest& r) {
    require_id("person_id", r.person_id());
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
    view.set_rated_at_ms(ctx_->now_ms());
    store().put("rating/" + r.person_id() + "/" + rater, view);
    pb::SubmitAssessmentReply reply;
    *reply.mutable_scored() = view.style();
    *reply.mutable_profile() = profile(who);
    pb::ProfileUpdated event;
    *event.mutable_profile() = reply.profile();
    ctx_->publish("behavior_styles.profile_updated", event);
    return reply;
  }

  pb::Profile profile(const pb::Person& who) {
    pb::Profile p;
    *p.mutable_person() = who;
    std::vector<pb::Style> others;
    for (const auto& item : store().scan_all("rating/" + who.person_id() + "/")) {
      auto view = Store::parse<pb::RaterView>(item);
      if (view.role() == pb::RATER_ROLE_SELF) {
        *p.mutable_self() = view.style();
      } else {
        others.push_back(view.style());
      }
      *p.add_raters() = std::move(view);
    }
    if (!others.empty()) {
      *p.mutable_others() = mean_style(others, names_);
      p.set_others_count(static_cast<int>(others.size()));
    }
    p.set_views_differ(p.has_self() && p.has_others() &&
                       p.self().quadrant() != p.others().quadrant());
    if (p.has_others()) {
      *p.mutable_effective() = p.others();
    } else if (p.has_self()) {
      *p.mutable_effective() = p.self();
    }
    return p;
  }

  pb::CustomerStyle estimate(const pb::ObservationLog& log) {
    std::vector<pb::Observation> obs(log.observations().begin(), log.observations().end());
    auto e = estimate_customer(obs, names_);
    pb::CustomerStyle out;
    out.set_account_id(log.account_id());
    *out.mutable_style() = e.style;
    out.set_confidence(std::round(e.confidence * 1000) / 1000);
    out.set_tentative(e.confidence < tentative_below_);
    out.set_observations(log.observations_size());
    out.set_salesperson_id(log.salesperson_id());
    return out;
  }

  pb::CustomerStyle observe(const pb::RecordObservationsRequest& r) {
    require_id("salesperson_id", r.salesperson_id());
    require_id("account_id", r.account_id());
    validate_observations(r.observations());
    person(r.salesperson_id());  // must be a registered person
    std::int64_t version = kMustNotExist;
    pb::ObservationLog log;
    if (auto old = store().get<pb::ObservationLog>("account/" + r.account_id(), &version))
      log = *old;
    log.set_account_id(r.account_id());
    const std::string previous_owner = log.salesperson_id();
    log.set_salesperson_id(r.salesperson_id());
    for (const auto& o : r.observations()) *log.add_observations() = o;
    if (log.observations_size() > kMaxObservationsKept) {
      log.mutable_observations()->DeleteSubrange(0, log.observations_size() - kMaxObservationsKept);
    }
    log.set_updated_ms(ctx_->now_ms());
    WriteBatch batch;
    batch.put("account/" + r.account_id(), log, version);
    if (!previous_owner.empty() && previous_owner != r.salesperson_id())
      batch.erase("owner/" + previous_owner + "/" + r.account_id());
    batch.put_bytes("owner/" + r.salesperson_id() + "/" + r.account_id(), "");
    if (!store().commit(batch))
      throw Error(v1::STATUS_CODE_CONFLICT, "account_id: changed concurrently, retry");
    auto style = estimate(log);
    pb::CustomerStyleEstimated event;
    *event.mutable_estimate() = style;
    ctx_->publish("behavior_styles.customer_style_estimated", event);
    return style;
  }

  pb::CustomerStyle customer_style(const std::string& account) {
    auto log = store().get<pb::ObservationLog>("account/" + account);
    if (!log)
      throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no observations of '" + account + "'");
    return estimate(*log);
  }

  // A style at the centre of a quadrant, for guidance asked by quadrant alone.
  pb::Style style_of_quadrant(pb::Quadrant q, const std::string& field) {
    if (q == pb::QUADRANT_UNSPECIFIED || !pb::Quadrant_IsValid(q))
      throw invalid_argument(field, "unspecified");
    const double hi = 3.25, lo = 1.75;
    const bool tells = q == pb::QUADRANT_TELLS_CONTROLS || q == pb::QUADRANT_TELLS_EMOTES;
    const bool emotes = q == pb::QUADRANT_TELLS_EMOTES || q == pb::QUADRANT_ASKS_EMOTES;
    return make_style(tells ? hi : lo, emotes ? hi : lo, names_);
  }

  pb::Guidance guidance(const pb::GetGuidanceRequest& r) {
    pb::Style mine;
    if (!r.salesperson_id().empty()) {
      require_id("salesperson_id", r.salesperson_id());
      auto p = profile(person(r.salesperson_id()));
      if (!p.has_effective()) {
        throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                    "salesperson_id: '" + r.salesperson_id() + "' has no assessment yet");
      }
      mine = p.effective();
    } else {
      mine = style_of_quadrant(r.salesperson_quadrant(), "salesperson_quadrant");
    }
    pb::Style theirs;
    bool tentative = false;
    if (!r.account_id().empty()) {
      require_id("account_id", r.account_id());
      auto c = customer_style(r.account_id());
      theirs = c.style();
      tentative = c.tentative();
    } else {
      theirs = style_of_quadrant(r.customer_quadrant(), "customer_quadrant");
    }
    auto g = make_guidance(book_, mine, theirs);
    g.set_tentative(tentative);
    if (tentative) {
      g.set_note((g.note().empty() ? "" : g.note() + " ") +
                 std::string("The customer's style is a tentative estimate: test it early in the "
                             "conversation and record more observations."));
    }
    return g;
  }

  pb::TeamMap team_map(const pb::GetTeamMapRequest& r) {
    const auto members = people().team(r.team_id());
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
      const std::string owned = "owner/" + id + "/";
      for (const auto& a : store().scan_all(owned)) {
        const std::string account = a.key.substr(owned.size());
        auto log = store().get<pb::ObservationLog>("account/" + account);
        if (!log) continue;
        auto c = estimate(*log);
        auto* pair = map.add_pairings();
        pair->set_person_id(id);
        pair->set_account_id(account);
        pair->set_person_style(p.effective().name());
        pair->set_customer_style(c.style().name());
        pair->set_adaptation_needed(
            std::round(std::hypot(p.effective().assertiveness() - c.style().assertiveness(),
                                  p.effective().responsiveness() - c.style().responsiveness()) *
                       1000) /
            1000);
        pair->set_hardest_pairing(is_diagonal(p.effective().quadrant(), c.style().quadrant()));
      }
    }
    std::stable_sort(map.mutable_pairings()->begin(), map.mutable_pairings()->end(),
                     [](const pb::Pairing& a, const pb::Pairing& b) {
                       if (a.hardest_pairing() != b.hardest_pairing()) return a.hardest_pairing();
                       return a.adaptation_needed() > b.adaptation_needed();
                     });
    return map;
  }

  coach::PluginContext* ctx_ = nullptr;
  Vocabulary names_ = kDefaultVocabulary;
  double tentative_below_ = 0.6;
  pb::Instrument configured_instrument_;
  pb::GuidanceBook book_;
};

}  // namespace
}  // namespace coach::behavior_styles

COACH_PLUGIN(coach::behavior_styles::BehaviorStyles)
