// SPDX-License-Identifier: Apache-2.0
// motivation_keys: keeps a team's motivation (Engage, Empower, Perform, Enjoy) and its customers'
// trust visible, so coaching goes where it builds both instead of pushing short-term numbers.
//
// Store layout (per tenant, under this plugin):
//   person/<id>                          Person
//   team/<team>/<person>                 (empty) team membership index
//   pulse/<person>/<ms>-<n>              Pulse, time-ordered
//   trust/<sp>/<account>/r/<ms>-<n>      TrustAssessment (a rating)
//   trust/<sp>/<account>/s/<ms>-<n>      ReliabilitySignal (from service_followup events)
//   account/<account>/<sp>               (empty) relationships of an account
//   attain/<person>/<period>             PeriodResult
#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <coach/data_file.hpp>
#include <coach/plugin.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "motivation_keys_data.hpp"
#include "motivation_model.hpp"
#include "people_registry.hpp"

namespace coach::motivation_keys {

namespace {

// The string fields of an event payload, whatever its type: a google.protobuf.Struct, or any
// message whose type is linked into the process (another plugin's): read by reflection, so this
// plugin needs none of service_followup's code and works without it.
std::map<std::string, std::string> string_fields(const google::protobuf::Any& any) {
  std::map<std::string, std::string> out;
  const std::string type = any.type_url().substr(any.type_url().rfind('/') + 1);
  if (type == google::protobuf::Struct::descriptor()->full_name()) {
    google::protobuf::Struct s;
    if (any.UnpackTo(&s)) {
      for (const auto& [k, v] : s.fields()) {
        if (v.has_string_value()) out[k] = v.string_value();
      }
    }
    return out;
  }
  const auto* desc =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (!desc) return out;
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(desc);
  if (!prototype) return out;
  std::unique_ptr<google::protobuf::Message> msg(prototype->New());
  if (!msg->ParseFromString(any.value())) return out;
  const auto* refl = msg->GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING && !f->is_repeated())
      out[f->name()] = refl->GetString(*msg, f);
  }
  return out;
}

class MotivationKeys final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::ConfigKey config[] = {
        {.path = "trend_window",
         .type = ConfigType::kInt,
         .default_value = "3",
         .description = "pulses in the moving average",
         .min = 1,
         .max = 52},
        {.path = "trust_drop_threshold",
         .type = ConfigType::kNumber,
         .default_value = "1.0",
         .description = "a fall of T by this much publishes motivation_keys.trust_dropped",
         .min = 0.01,
         .max = 10},
        {.path = "uneven_spread",
         .type = ConfigType::kNumber,
         .default_value = "2.0",
         .description = "spread of C, R, I, (11 - S) that marks an uneven trust profile",
         .min = 0.01,
         .max = 10},
        {.path = "crisis_window",
         .type = ConfigType::kInt,
         .default_value = "3",
         .description = "pulses (and ratings) compared for crisis_push_risk",
         .min = 2,
         .max = 52},
        {.path = "crisis_min_change",
         .type = ConfigType::kNumber,
         .default_value = "0.5",
         .description = "how far Perform must rise and Engage/Enjoy fall",
         .min = 0.01,
         .max = 10},
        {.path = "self_orientation_climb",
         .type = ConfigType::kNumber,
         .default_value = "1.0",
         .description = "how far S must climb across crisis_window ratings",
         .min = 0,
         .max = 10},
        {.path = "plateau_periods",
         .type = ConfigType::kInt,
         .default_value = "4",
         .description = "periods of an unchanged target looked at",
         .min = 2,
         .max = 52},
        {.path = "plateau_band",
         .type = ConfigType::kNumber,
         .default_value = "0.05",
         .description = "attainment within this share of the target counts as settled",
         .min = 0,
         .max = 1},
        {.path = "history_kept",
         .type = ConfigType::kInt,
         .default_value = "52",
         .description = "pulses per person, ratings and signals per relationship, periods kept",
         .min = 2,
         .max = 1000},
        {.path = "questionnaire_file",
         .description = "a JSON pulse questionnaire replacing the built-in one"},
        {.path = "prompts_file",
         .description = "JSON coaching questions replacing the built-in ones"},
        {}};
    static const coach::PluginManifest m{
        .name = "motivation_keys",
        .version = "1.0.0",
        .description = "Engage, Empower, Perform, Enjoy pulses and the Trust Equation",
        .service = "coach.v1.motivation_keys.MotivationKeys",
        .config = config,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    ctx_ = &ctx;
    load_config(ctx.config());
    ctx.serve("GetQuestionnaire",
              [this](const pb::GetQuestionnaireRequest&) { return questionnaire_; });
    ctx.serve("RegisterPerson",
              [this](const pb::RegisterPersonRequest& r) { return register_person(r); });
    ctx.serve("RecordPulse", [this](const pb::RecordPulseRequest& r) { return record_pulse(r); });
    ctx.serve("GetPulseHistory",
              [this](const pb::GetPulseHistoryRequest& r) { return history(r); });
    ctx.serve("GetTeamView", [this](const pb::GetTeamViewRequest& r) { return team_view(r); });
    ctx.serve("GetCoachingPrompts",
              [this](const pb::GetCoachingPromptsRequest& r) { return prompts(r); });
    ctx.serve("RateTrust", [this](const pb::RateTrustRequest& r) { return rate_trust(r); });
    ctx.serve("GetTrust", [this](const pb::GetTrustRequest& r) { return trust(r); });
    ctx.serve("RecordAttainment",
              [this](const pb::RecordAttainmentRequest& r) { return attainment(r); });
    // Customer service after the sale: a reopened case or a repeat contact is a reliability
    // signal on the account's relationships. Nothing arrives when service_followup is not loaded.
    ctx.subscribe("service_followup.", [this](const coach::Event& e) { on_service_event(e); });
  }

 private:
  void load_config(const ConfigSection& c) {
    trend_window_ = static_cast<int>(c.get_int("trend_window"));
    trust_drop_ = c.get_double("trust_drop_threshold");
    uneven_spread_ = c.get_double("uneven_spread");
    crisis_window_ = static_cast<int>(c.get_int("crisis_window"));
    crisis_min_change_ = c.get_double("crisis_min_change");
    so_climb_ = c.get_double("self_orientation_climb");
    plateau_periods_ = static_cast<int>(c.get_int("plateau_periods"));
    plateau_band_ = c.get_double("plateau_band");
    history_kept_ = static_cast<int>(c.get_int("history_kept"));
    if (history_kept_ < std::max({trend_window_, crisis_window_, plateau_periods_}))
      throw invalid_argument("history_kept",
                             "must cover trend_window, crisis_window and plateau_periods");
    questionnaire_ = load_data_file<pb::Questionnaire>(c.get_string("questionnaire_file"),
                                                       kQuestionnaireJson, "questionnaire");
    validate_questionnaire(questionnaire_);
    book_ = load_data_file<pb::PromptBook>(c.get_string("prompts_file"), kPromptsJson, "prompts");
    for (auto key : kKeys) {
      bool found = false;
      for (const auto& k : book_.keys()) found |= k.key() == key && !k.questions().empty();
      if (!found)
        throw invalid_argument("prompts", fmt::format("no questions for {}", key_name(key)));
    }
  }

  Store& store() { return ctx_->store(); }

  // A time-ordered, unique key suffix.
  std::string stamp() {
    return fmt::format("{:015d}-{:06d}", ctx_->now_ms(), ++sequence_ % 1000000);
  }

  PeopleRegistry<pb::Person> people() { return PeopleRegistry<pb::Person>(store()); }
  pb::Person person(const std::string& id, const std::string& field = "person_id") {
    return people().get(id, field);
  }

  pb::Person register_person(const pb::RegisterPersonRequest& r) {
    return people().put(r.person_id(), r.display_name(), r.team_id());
  }

  std::vector<pb::Pulse> pulses(const std::string& person_id) {
    std::vector<pb::Pulse> out;
    for (const auto& item : store().scan_all("pulse/" + person_id + "/"))
      out.push_back(Store::parse<pb::Pulse>(item));
    return out;
  }

  pb::Pulse record_pulse(const pb::RecordPulseRequest& r) {
    const auto who = person(r.person_id());
    const auto scores = score_pulse(questionnaire_, r.answers());
    const auto earlier = store().scan_all("pulse/" + who.person_id() + "/");
    std::vector<pb::Pulse> previous;
    for (const auto& item : earlier) previous.push_back(Store::parse<pb::Pulse>(item));
    auto pulse = make_pulse(who.person_id(), ctx_->now_ms(), scores, previous, trend_window_);
    WriteBatch batch;
    keep_last(batch, earlier, 1);
    batch.put("pulse/" + who.person_id() + "/" + stamp(), pulse);
    store().commit(batch);
    pb::PulseRecorded event;
    *event.mutable_pulse() = pulse;
    ctx_->publish("motivation_keys.pulse_recorded", event);

    previous.push_back(pulse);
    const auto n = static_cast<std::size_t>(crisis_window_);
    if (previous.size() >= n) {
      std::vector<pb::Pulse> recent(previous.end() - static_cast<std::ptrdiff_t>(n),
                                    previous.end());
      if (auto evidence = crisis_push_evidence(recent, crisis_min_change_); !evidence.empty())
        publish_crisis(who.person_id(), "", evidence);
    }
    return pulse;
  }

  void publish_crisis(const std::string& person_id, const std::string& account_id,
                      const std::vector<std::string>& evidence) {
    pb::CrisisPushRisk risk;
    risk.set_person_id(person_id);
    risk.set_account_id(account_id);
    for (const auto& e : evidence) risk.add_evidence(e);
    ctx_->publish("motivation_keys.crisis_push_risk", risk);
  }

  pb::PulseHistory history(const pb::GetPulseHistoryRequest& r) {
    pb::PulseHistory h;
    *h.mutable_person() = person(r.person_id());
    auto all = pulses(r.person_id());
    const std::size_t from = r.limit() > 0 && all.size() > static_cast<std::size_t>(r.limit())
                                 ? all.size() - r.limit()
                                 : 0;
    for (std::size_t i = from; i < all.size(); ++i) *h.add_pulses() = all[i];
    return h;
  }

  pb::TeamView team_view(const pb::GetTeamViewRequest& r) {
    const auto members = people().team(r.team_id());
    pb::TeamView view;
    view.set_team_id(r.team_id());
    view.set_members(static_cast<int>(members.size()));
    std::array<std::vector<double>, 4> latest;
    std::vector<pb::Mover> movers;
    for (const auto& id : members) {
      auto ps = pulses(id);
      if (ps.empty()) continue;
      view.set_members_with_pulse(view.members_with_pulse() + 1);
      for (const auto& s : ps.back().scores()) {
        latest[key_index(s.key())].push_back(s.score());
        if (s.has_change() && s.change() != 0) {
          pb::Mover mv;
          mv.set_person_id(id);
          mv.set_key(s.key());
          mv.set_name(s.name());
          mv.set_change(s.change());
          movers.push_back(mv);
        }
      }
    }
    if (view.members_with_pulse() == 0) return view;
    double weakest_mean = 1e9;
    for (std::size_t k = 0; k < kKeys.size(); ++k) {
      double sum = 0;
      for (double x : latest[k]) sum += x;
      const double mean = sum / static_cast<double>(latest[k].size());
      double sq = 0;
      for (double x : latest[k]) sq += (x - mean) * (x - mean);
      auto* st = view.add_keys();
      st->set_key(kKeys[k]);
      st->set_name(key_name(kKeys[k]));
      st->set_mean(std::round(mean * 1000) / 1000);
      st->set_spread(std::round(std::sqrt(sq / static_cast<double>(latest[k].size())) * 1000) /
                     1000);
      if (mean < weakest_mean) {
        weakest_mean = mean;
        view.set_weakest(kKeys[k]);
      }
    }
    std::stable_sort(movers.begin(), movers.end(), [](const auto& a, const auto& b) {
      return std::abs(a.change()) > std::abs(b.change());
    });
    for (std::size_t i = 0; i < movers.size() && i < 5; ++i) *view.add_moved_most() = movers[i];
    return view;
  }

  pb::CoachingPrompts prompts(const pb::GetCoachingPromptsRequest& r) {
    const auto who = person(r.person_id());
    auto ps = pulses(who.person_id());
    pb::Key key = r.key();
    if (key == pb::KEY_UNSPECIFIED) {
      if (ps.empty()) {
        throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                    "key: '" + who.person_id() + "' has no pulse yet; name a key");
      }
      key = ps.back().weakest();
    }
    key_index(key);  // validates
    pb::CoachingPrompts out;
    out.set_person_id(who.person_id());
    out.set_key(key);
    out.set_name(key_name(key));
    if (!ps.empty()) {
      for (const auto& s : ps.back().scores()) {
        if (s.key() == key) out.set_score(s.score());
      }
    }
    for (const auto& k : book_.keys()) {
      if (k.key() == key) {
        for (const auto& q : k.questions()) out.add_questions(q);
      }
    }
    out.set_reminder(book_.reminder());
    return out;
  }

  // Erases, in batch, the oldest records under prefix so that with `adding` more there are at
  // most history_kept: every history a read returns stays bounded, however long it runs.
  void keep_last(WriteBatch& batch, const std::vector<StoredValue>& items, std::size_t adding) {
    const auto kept = static_cast<std::size_t>(history_kept_);
    if (items.size() + adding <= kept) return;
    const auto excess = items.size() + adding - kept;
    for (std::size_t i = 0; i < excess && i < items.size(); ++i) batch.erase(items[i].key);
  }

  std::string relationship(const std::string& sp, const std::string& account) {
    return "trust/" + sp + "/" + account + "/";
  }

  std::vector<pb::TrustAssessment> ratings(const std::string& sp, const std::string& account) {
    std::vector<pb::TrustAssessment> out;
    for (const auto& item : store().scan_all(relationship(sp, account) + "r/"))
      out.push_back(Store::parse<pb::TrustAssessment>(item));
    return out;
  }

  pb::TrustAssessment rate_trust(const pb::RateTrustRequest& r) {
    person(r.salesperson_id(), "salesperson_id");
    require_id("account_id", r.account_id());
    auto t = assess_trust(r, uneven_spread_);
    t.set_at_ms(ctx_->now_ms());
    std::vector<pb::TrustAssessment> same_role;
    const auto earlier = store().scan_all(relationship(r.salesperson_id(), r.account_id()) + "r/");
    for (const auto& item : earlier) {
      auto old = Store::parse<pb::TrustAssessment>(item);
      if (old.role() == r.role()) same_role.push_back(std::move(old));
    }
    if (!same_role.empty()) {
      t.set_has_change(true);
      t.set_change(std::round((t.trust() - same_role.back().trust()) * 1000) / 1000);
    }
    double sum = t.trust();
    int n = 1;
    for (auto it = same_role.rbegin(); it != same_role.rend() && n < trend_window_; ++it, ++n)
      sum += it->trust();
    t.set_moving_average(std::round(sum / n * 1000) / 1000);
    WriteBatch batch;
    keep_last(batch, earlier, 1);
    batch.put(relationship(r.salesperson_id(), r.account_id()) + "r/" + stamp(), t);
    batch.put_bytes("account/" + r.account_id() + "/" + r.salesperson_id(), "");
    store().commit(batch);

    if (t.has_change() && -t.change() >= trust_drop_) {
      pb::TrustDropped dropped;
      dropped.set_salesperson_id(r.salesperson_id());
      dropped.set_account_id(r.account_id());
      dropped.set_role(r.role());
      dropped.set_previous(same_role.back().trust());
      dropped.set_current(t.trust());
      dropped.set_drop(-t.change());
      ctx_->publish("motivation_keys.trust_dropped", dropped);
    }
    same_role.push_back(t);
    const auto n_window = static_cast<std::size_t>(crisis_window_);
    if (same_role.size() >= n_window) {
      std::vector<pb::TrustAssessment> recent(
          same_role.end() - static_cast<std::ptrdiff_t>(n_window), same_role.end());
      if (auto evidence = self_orientation_evidence(recent, so_climb_); !evidence.empty())
        publish_crisis(r.salesperson_id(), r.account_id(), evidence);
    }
    return t;
  }

  pb::TrustHistory trust(const pb::GetTrustRequest& r) {
    require_id("salesperson_id", r.salesperson_id());
    require_id("account_id", r.account_id());
    pb::TrustHistory h;
    h.set_salesperson_id(r.salesperson_id());
    h.set_account_id(r.account_id());
    std::map<int, pb::TrustAssessment> latest;
    for (auto& t : ratings(r.salesperson_id(), r.account_id())) {
      latest[t.role()] = t;
      *h.add_ratings() = std::move(t);
    }
    for (const auto& item :
         store().scan_all(relationship(r.salesperson_id(), r.account_id()) + "s/"))
      *h.add_signals() = Store::parse<pb::ReliabilitySignal>(item);
    if (h.ratings().empty() && h.signals().empty()) {
      throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no trust history for '" +
                                                 r.salesperson_id() + "' with '" + r.account_id() +
                                                 "'");
    }
    for (auto& [role, t] : latest) *h.add_latest() = t;
    return h;
  }

  pb::PlateauStatus attainment(const pb::RecordAttainmentRequest& r) {
    const auto who = person(r.person_id());
    require_id("period", r.period());
    if (!(r.target() > 0)) throw invalid_argument("target", "must be positive");
    if (!(r.attainment() >= 0)) throw invalid_argument("attainment", "must not be negative");
    pb::PeriodResult result;
    result.set_period(r.period());
    result.set_target(r.target());
    result.set_attainment(r.attainment());
    const std::string key = "attain/" + who.person_id() + "/" + r.period();
    auto items = store().scan_all("attain/" + who.person_id() + "/");
    const bool known =
        std::any_of(items.begin(), items.end(), [&](const StoredValue& v) { return v.key == key; });
    WriteBatch batch;
    keep_last(batch, items, known ? 0 : 1);
    batch.put(key, result);
    store().commit(batch);
    std::vector<pb::PeriodResult> all;
    for (const auto& item : store().scan_all("attain/" + who.person_id() + "/"))
      all.push_back(Store::parse<pb::PeriodResult>(item));
    const auto n = std::min(all.size(), static_cast<std::size_t>(plateau_periods_));
    std::vector<pb::PeriodResult> last(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
    auto status = plateau_status(who.person_id(), last, plateau_periods_, plateau_band_);
    if (status.plateau()) {
      pb::PlateauDetected event;
      *event.mutable_status() = status;
      ctx_->publish("motivation_keys.plateau_detected", event);
    }
    return status;
  }

  void on_service_event(const coach::Event& e) {
    const std::string topic(e.topic);
    std::string kind;
    if (topic == "service_followup.case_reopened") kind = "reopen";
    if (topic == "service_followup.repeat_contact") kind = "repeat_contact";
    if (kind.empty()) return;
    auto fields = string_fields(e.payload);
    const std::string account = fields["account_id"];
    if (account.empty() || account.find('/') != std::string::npos) {
      ctx_->logger()->warn("{} without a usable account_id ignored", topic);
      return;
    }
    std::vector<std::string> salespeople;
    if (!fields["salesperson_id"].empty() &&
        fields["salesperson_id"].find('/') == std::string::npos) {
      salespeople.push_back(fields["salesperson_id"]);
    } else {
      const std::string prefix = "account/" + account + "/";
      for (const auto& item : store().scan_all(prefix))
        salespeople.push_back(item.key.substr(prefix.size()));
    }
    pb::ReliabilitySignal signal;
    signal.set_kind(kind);
    signal.set_case_id(fields["case_id"]);
    signal.set_at_ms(ctx_->now_ms());
    signal.set_topic(topic);
    WriteBatch batch;
    for (const auto& sp : salespeople) {
      keep_last(batch, store().scan_all(relationship(sp, account) + "s/"), 1);
      batch.put(relationship(sp, account) + "s/" + stamp(), signal);
      batch.put_bytes("account/" + account + "/" + sp, "");
    }
    if (!batch.empty()) store().commit(batch);
    ctx_->logger()->info("{} on account {}: reliability signal for {} relationship(s)", kind,
                         account, salespeople.size());
  }

  coach::PluginContext* ctx_ = nullptr;
  pb::Questionnaire questionnaire_;
  pb::PromptBook book_;
  int trend_window_ = 3;
  double trust_drop_ = 1.0;
  double uneven_spread_ = 2.0;
  int crisis_window_ = 3;
  double crisis_min_change_ = 0.5;
  double so_climb_ = 1.0;
  int plateau_periods_ = 4;
  double plateau_band_ = 0.05;
  int history_kept_ = 52;
  std::uint64_t sequence_ = 0;
};

}  // namespace
}  // namespace coach::motivation_keys

COACH_PLUGIN(coach::motivation_keys::MotivationKeys)
