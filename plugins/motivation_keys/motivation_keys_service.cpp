// SPDX-License-Identifier: Apache-2.0
#include "motivation_keys_service.hpp"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <coach/data_file.hpp>

#include <cmath>
#include <map>

#include "motivation_keys_data.hpp"

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

}  // namespace

MotivationKeysService::MotivationKeysService(PluginContext& ctx) : ctx_(ctx) {
  const ConfigSection& c = ctx.config();
  trend_window_ = static_cast<int>(c.get_int("trend_window"));
  trust_drop_ = c.get_double("trust_drop_threshold");
  uneven_spread_ = c.get_double("uneven_spread");
  crisis_window_ = static_cast<int>(c.get_int("crisis_window"));
  crisis_min_change_ = c.get_double("crisis_min_change");
  so_climb_ = c.get_double("self_orientation_climb");
  plateau_periods_ = static_cast<int>(c.get_int("plateau_periods"));
  plateau_band_ = c.get_double("plateau_band");
  history_kept_ = static_cast<int>(c.get_int("history_kept"));
  for (auto& t : c.get_list("managers_see_answers")) managers_see_answers_.insert(std::move(t));
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

pb::Questionnaire MotivationKeysService::get_questionnaire(const pb::GetQuestionnaireRequest&,
                                                           const RequestContext& rc) {
  const auto a = access(rc);
  a.require(a.member(), "the questionnaire");
  return questionnaire_;
}

// A time-ordered, unique key suffix.
std::string MotivationKeysService::stamp() {
  return fmt::format("{:015d}-{:06d}", ctx_.now_ms(), ++sequence_ % 1000000);
}

pb::Person MotivationKeysService::person(const std::string& id, const std::string& field) {
  return directory_person<pb::Person>(ctx_.people(), id, field);
}

bool MotivationKeysService::may_read_answers(const Access& a, const RequestContext& rc,
                                             const std::string& person_id) {
  return a.own_or_coach(person_id) ||
         (a.manager_of(person_id) && managers_see_answers_.count(rc.tenant));
}

std::vector<pb::Pulse> MotivationKeysService::pulses(const std::string& person_id) {
  std::vector<pb::Pulse> out;
  for (const auto& item : store().scan_all("pulse/" + person_id + "/"))
    out.push_back(Store::parse<pb::Pulse>(item));
  return out;
}

pb::Pulse MotivationKeysService::record_pulse(const pb::RecordPulseRequest& r,
                                              const RequestContext& rc) {
  require_id("person_id", r.person_id());
  const auto a = access(rc);
  a.require(a.self(r.person_id()) || a.admin(), "answering the pulse of", r.person_id());
  const auto who = person(r.person_id());
  const auto scores = score_pulse(questionnaire_, r.answers());
  const auto earlier = store().scan_all("pulse/" + who.person_id() + "/");
  std::vector<pb::Pulse> previous;
  for (const auto& item : earlier) previous.push_back(Store::parse<pb::Pulse>(item));
  auto pulse = make_pulse(who.person_id(), ctx_.now_ms(), scores, previous, trend_window_);
  WriteBatch batch;
  keep_last(batch, earlier, 1);
  batch.put("pulse/" + who.person_id() + "/" + stamp(), pulse);
  store().commit(batch);
  pb::PulseRecorded event;
  *event.mutable_pulse() = pulse;
  ctx_.publish("motivation_keys.pulse_recorded", event);

  previous.push_back(pulse);
  const auto n = static_cast<std::size_t>(crisis_window_);
  if (previous.size() >= n) {
    std::vector<pb::Pulse> recent(previous.end() - static_cast<std::ptrdiff_t>(n), previous.end());
    if (auto evidence = crisis_push_evidence(recent, crisis_min_change_); !evidence.empty())
      publish_crisis(who.person_id(), "", evidence);
  }
  return pulse;
}

void MotivationKeysService::publish_crisis(const std::string& person_id,
                                           const std::string& account_id,
                                           const std::vector<std::string>& evidence) {
  pb::CrisisPushRisk risk;
  risk.set_person_id(person_id);
  risk.set_account_id(account_id);
  for (const auto& e : evidence) risk.add_evidence(e);
  ctx_.publish("motivation_keys.crisis_push_risk", risk);
}

pb::PulseHistory MotivationKeysService::get_pulse_history(const pb::GetPulseHistoryRequest& r,
                                                          const RequestContext& rc) {
  require_id("person_id", r.person_id());
  const auto a = access(rc);
  a.require(may_read_answers(a, rc, r.person_id()), "the pulse answers", r.person_id());
  pb::PulseHistory h;
  *h.mutable_person() = person(r.person_id());
  auto all = pulses(r.person_id());
  const std::size_t from = r.limit() > 0 && all.size() > static_cast<std::size_t>(r.limit())
                               ? all.size() - r.limit()
                               : 0;
  for (std::size_t i = from; i < all.size(); ++i) *h.add_pulses() = all[i];
  return h;
}

pb::TeamView MotivationKeysService::get_team_view(const pb::GetTeamViewRequest& r,
                                                  const RequestContext& rc) {
  const auto members = directory_team(ctx_.people(), r.team_id());
  const auto a = access(rc);
  a.require(a.team_lead(r.team_id()), "the team view", "team " + r.team_id());
  std::vector<std::pair<std::string, pb::Pulse>> latest;
  for (const auto& id : members) {
    auto ps = pulses(id);
    if (!ps.empty()) latest.emplace_back(id, ps.back());
  }
  return summarize_team(r.team_id(), members.size(), latest);
}

pb::CoachingPrompts MotivationKeysService::get_coaching_prompts(
    const pb::GetCoachingPromptsRequest& r, const RequestContext& rc) {
  require_id("person_id", r.person_id());
  const auto a = access(rc);
  a.require(may_read_answers(a, rc, r.person_id()), "the coaching prompts", r.person_id());
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
void MotivationKeysService::keep_last(WriteBatch& batch, const std::vector<StoredValue>& items,
                                      std::size_t adding) {
  const auto kept = static_cast<std::size_t>(history_kept_);
  if (items.size() + adding <= kept) return;
  const auto excess = items.size() + adding - kept;
  for (std::size_t i = 0; i < excess && i < items.size(); ++i) batch.erase(items[i].key);
}

std::string MotivationKeysService::relationship(const std::string& sp, const std::string& account) {
  return "trust/" + sp + "/" + account + "/";
}

std::vector<pb::TrustAssessment> MotivationKeysService::ratings(const std::string& sp,
                                                                const std::string& account) {
  std::vector<pb::TrustAssessment> out;
  for (const auto& item : store().scan_all(relationship(sp, account) + "r/"))
    out.push_back(Store::parse<pb::TrustAssessment>(item));
  return out;
}

pb::TrustAssessment MotivationKeysService::rate_trust(const pb::RateTrustRequest& r,
                                                      const RequestContext& rc) {
  require_id("salesperson_id", r.salesperson_id());
  const auto a = access(rc);
  a.require(a.own_or_coach(r.salesperson_id()) || a.has(Role::kIntegration), "rating the trust of",
            r.salesperson_id());
  person(r.salesperson_id(), "salesperson_id");
  require_id("account_id", r.account_id());
  auto t = assess_trust(r, uneven_spread_);
  t.set_at_ms(ctx_.now_ms());
  std::vector<pb::TrustAssessment> same_role;
  const auto earlier = store().scan_all(relationship(r.salesperson_id(), r.account_id()) + "r/");
  for (const auto& item : earlier) {
    auto old = Store::parse<pb::TrustAssessment>(item);
    if (old.role() == r.role()) same_role.push_back(std::move(old));
  }
  trend_trust(t, same_role, trend_window_);
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
    ctx_.publish("motivation_keys.trust_dropped", dropped);
  }
  same_role.push_back(t);
  const auto n_window = static_cast<std::size_t>(crisis_window_);
  if (same_role.size() >= n_window) {
    std::vector<pb::TrustAssessment> recent(same_role.end() - static_cast<std::ptrdiff_t>(n_window),
                                            same_role.end());
    if (auto evidence = self_orientation_evidence(recent, so_climb_); !evidence.empty())
      publish_crisis(r.salesperson_id(), r.account_id(), evidence);
  }
  return t;
}

pb::TrustHistory MotivationKeysService::get_trust(const pb::GetTrustRequest& r,
                                                  const RequestContext& rc) {
  require_id("salesperson_id", r.salesperson_id());
  const auto a = access(rc);
  a.require(a.own_or_coach(r.salesperson_id()), "the trust ratings", r.salesperson_id());
  require_id("account_id", r.account_id());
  pb::TrustHistory h;
  h.set_salesperson_id(r.salesperson_id());
  h.set_account_id(r.account_id());
  std::map<int, pb::TrustAssessment> latest;
  for (auto& t : ratings(r.salesperson_id(), r.account_id())) {
    latest[t.role()] = t;
    *h.add_ratings() = std::move(t);
  }
  for (const auto& item : store().scan_all(relationship(r.salesperson_id(), r.account_id()) + "s/"))
    *h.add_signals() = Store::parse<pb::ReliabilitySignal>(item);
  if (h.ratings().empty() && h.signals().empty()) {
    throw Error(v1::STATUS_CODE_NOT_FOUND, "account_id: no trust history for '" +
                                               r.salesperson_id() + "' with '" + r.account_id() +
                                               "'");
  }
  for (auto& [role, t] : latest) *h.add_latest() = t;
  return h;
}

pb::PlateauStatus MotivationKeysService::record_attainment(const pb::RecordAttainmentRequest& r,
                                                           const RequestContext& rc) {
  require_id("person_id", r.person_id());
  const auto a = access(rc);
  a.require(a.own_coach_or_manager(r.person_id()) || a.has(Role::kIntegration),
            "recording the attainment of", r.person_id());
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
    ctx_.publish("motivation_keys.plateau_detected", event);
  }
  return status;
}

void MotivationKeysService::on_service_event(const coach::Event& e) {
  const std::string topic(e.topic);
  std::string kind;
  if (topic == "service_followup.case_reopened") kind = "reopen";
  if (topic == "service_followup.repeat_contact") kind = "repeat_contact";
  if (kind.empty()) return;
  auto fields = string_fields(e.payload);
  const std::string account = fields["account_id"];
  if (account.empty() || account.find('/') != std::string::npos) {
    ctx_.logger()->warn("{} without a usable account_id ignored", topic);
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
  signal.set_at_ms(ctx_.now_ms());
  signal.set_topic(topic);
  WriteBatch batch;
  for (const auto& sp : salespeople) {
    keep_last(batch, store().scan_all(relationship(sp, account) + "s/"), 1);
    batch.put(relationship(sp, account) + "s/" + stamp(), signal);
    batch.put_bytes("account/" + account + "/" + sp, "");
  }
  if (!batch.empty()) store().commit(batch);
  ctx_.logger()->info("{} on account {}: reliability signal for {} relationship(s)", kind, account,
                      salespeople.size());
}

}  // namespace coach::motivation_keys
