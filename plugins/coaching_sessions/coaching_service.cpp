// SPDX-License-Identifier: Apache-2.0
#include "coaching_service.hpp"

#include "event_json.hpp"

#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <coach/data_file.hpp>

#include <algorithm>
#include <memory>

#include "coaching_sessions_data.hpp"

namespace coach::coaching_sessions {

namespace {

constexpr int kSessionKeyBase = 999999;

std::string rel_key(const std::string& rel) { return "rel/" + rel; }
std::string session_prefix(const std::string& rel) { return "session/" + rel + "/"; }
std::string session_key(const std::string& rel, int n) {
  return fmt::format("session/{}/{:06d}", rel, kSessionKeyBase - n);
}
std::string session_id(const std::string& rel, int n) { return fmt::format("{}.{}", rel, n); }
int session_number(const std::string& id) { return std::stoi(id.substr(id.rfind('.') + 1)); }
// Open items and closed ones apart, so the agenda reads only the open.
std::string item_prefix(const std::string& rel) { return "item/" + rel + "/"; }
std::string closed_key(const std::string& rel, const std::string& item) {
  return "closed/" + rel + "/" + item;
}
std::string facts_key(const std::string& index, const std::string& who, const pb::Session& s) {
  return fmt::format("{}/{}/{:015d}-{}", index, who, s.planned_ms(), s.session_id());
}

std::chrono::system_clock::time_point at(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Another plugin's event payload as a Struct, whatever its type (common/event_json.hpp).
google::protobuf::Struct payload_of(const google::protobuf::Any& any) {
  google::protobuf::Struct out;
  if (any.Is<google::protobuf::Struct>()) {
    any.UnpackTo(&out);
    return out;
  }
  const std::string json = common::event_json(any);
  if (!json.empty()) (void)google::protobuf::util::JsonStringToMessage(json, &out);
  return out;
}

// The value at a dotted path of a Struct, as text ("" when absent).
std::string text_at(const google::protobuf::Struct& s, const std::string& path) {
  const google::protobuf::Struct* node = &s;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    const auto key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    auto it = node->fields().find(key);
    if (it == node->fields().end()) return {};
    if (dot == std::string::npos) {
      const auto& v = it->second;
      if (v.has_string_value()) return v.string_value();
      if (v.has_number_value()) return fmt::format("{}", v.number_value());
      if (v.has_bool_value()) return v.bool_value() ? "true" : "false";
      return {};
    }
    if (!it->second.has_struct_value()) return {};
    node = &it->second.struct_value();
    start = dot + 1;
  }
}

std::vector<std::string> list_at(const google::protobuf::Struct& s, const std::string& key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  if (it == s.fields().end() || !it->second.has_list_value()) return out;
  for (const auto& v : it->second.list_value().values())
    if (v.has_string_value()) out.push_back(v.string_value());
  return out;
}

// Quadrants opposite on both axes: the hardest pairing.
bool diagonal(const std::string& a, const std::string& b) {
  static const std::map<std::string, std::string> opposite{
      {"QUADRANT_TELLS_CONTROLS", "QUADRANT_ASKS_EMOTES"},
      {"QUADRANT_ASKS_EMOTES", "QUADRANT_TELLS_CONTROLS"},
      {"QUADRANT_TELLS_EMOTES", "QUADRANT_ASKS_CONTROLS"},
      {"QUADRANT_ASKS_CONTROLS", "QUADRANT_TELLS_EMOTES"}};
  auto it = opposite.find(a);
  return it != opposite.end() && it->second == b;
}

}  // namespace

CoachingService::CoachingService(PluginContext& ctx)
    : ctx_(ctx),
      reminder_ms_(static_cast<std::int64_t>(ctx.config().get_double("prep_reminder_hours") *
                                             static_cast<double>(kHourMs))),
      overdue_ms_(static_cast<std::int64_t>(ctx.config().get_double("overdue_after_hours") *
                                            static_cast<double>(kHourMs))),
      gap_score_(ctx.config().get_double("gap_score")),
      recurrence_times_(static_cast<int>(ctx.config().get_int("recurrence.times"))),
      recurrence_window_(static_cast<int>(ctx.config().get_int("recurrence.window"))),
      signals_kept_(static_cast<std::size_t>(ctx.config().get_int("signals_kept"))) {
  const auto& c = ctx.config();
  if (recurrence_times_ > recurrence_window_)
    throw invalid_argument("recurrence.times", "must not exceed recurrence.window");
  audit_ = load_data_file<pb::SkillsAudit>(c.get_string("skills_audit_file"), kSkillsAuditJson,
                                           "skills audit");
  validate_audit(audit_);
  language_.emplace(
      load_data_file<pb::Lexicon>(c.get_string("lexicon_file"), kLexiconJson, "lexicon"),
      LanguageChecker::Targets{c.get_double("language.question_target"),
                               c.get_double("language.solution_target")});
}

pb::Relationship CoachingService::relationship(const std::string& id, std::int64_t* version) {
  require_id("relationship_id", id);
  auto rel = store().get<pb::Relationship>(rel_key(id), version);
  if (!rel) throw not_found("relationship_id: relationship '" + id + "'");
  return *rel;
}

std::optional<pb::Session> CoachingService::newest_session(const std::string& rel,
                                                           std::int64_t* version) {
  auto page = store().scan(session_prefix(rel), "", 1);
  if (page.items.empty()) return std::nullopt;
  if (version) *version = page.items[0].version;
  return Store::parse<pb::Session>(page.items[0]);
}

std::vector<pb::Session> CoachingService::recent_held(const std::string& rel, int count) {
  std::vector<pb::Session> out;
  auto page = store().scan(session_prefix(rel), "", static_cast<std::uint32_t>(count + 1));
  for (const auto& item : page.items) {
    auto s = Store::parse<pb::Session>(item);
    if (s.state() == pb::SESSION_STATE_HELD) out.push_back(std::move(s));
  }
  if (out.size() > static_cast<std::size_t>(count)) out.resize(static_cast<std::size_t>(count));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<pb::ActionItem> CoachingService::open_items(const std::string& rel) {
  std::vector<pb::ActionItem> out;
  for (const auto& item : store().scan_all(item_prefix(rel))) {
    auto a = Store::parse<pb::ActionItem>(item);
    if (a.state() == pb::ITEM_STATE_OPEN) out.push_back(std::move(a));
  }
  return out;
}

std::vector<pb::Signal> CoachingService::signals_since(const std::string& salesperson,
                                                       std::int64_t after_ms) {
  std::vector<pb::Signal> out;
  if (auto log = store().get<pb::SignalLog>("signals/" + salesperson)) {
    for (const auto& s : log->signals())
      if (s.at_ms() >= after_ms) out.push_back(s);
  }
  return out;
}

std::int64_t CoachingService::last_held_ms(const pb::Relationship& rel) {
  auto held = recent_held(rel.relationship_id(), 1);
  return held.empty() ? rel.started_ms() : held.back().held_ms();
}

pb::Agenda CoachingService::agenda_of(const pb::Relationship& rel, const pb::Session& session) {
  const auto& name = rel.salesperson_name().empty() ? rel.salesperson_id() : rel.salesperson_name();
  return build_agenda(session, name, open_items(rel.relationship_id()),
                      signals_since(rel.salesperson_id(), last_held_ms(rel)), ctx_.now_ms());
}

std::string CoachingService::entry_topic(const std::string& kind) const {
  return "coaching_sessions." + kind;
}

void CoachingService::schedule_entries(pb::Session& s) {
  pb::SessionEntry e;
  e.set_relationship_id(s.relationship_id());
  e.set_session_id(s.session_id());
  const auto reminder = s.planned_ms() - reminder_ms_;
  if (reminder > ctx_.now_ms()) {
    e.set_kind("prep_reminder");
    s.set_prep_reminder_entry(ctx_.schedule(at(reminder), entry_topic("prep_reminder"), e));
  }
  e.set_kind("session_due");
  s.set_overdue_entry(
      ctx_.schedule(at(s.planned_ms() + overdue_ms_), entry_topic("session_due"), e));
}

void CoachingService::put_session(WriteBatch& batch, const pb::Session& s, std::int64_t version) {
  const auto n = session_number(s.session_id());
  batch.put(session_key(s.relationship_id(), n), s, version);
  const auto facts = facts_of(s);
  batch.put(facts_key("by_coach", s.coach_id(), s), facts);
  if (!s.team_id().empty()) batch.put(facts_key("by_team", s.team_id(), s), facts);
}

void CoachingService::close_in_origins(WriteBatch& batch,
                                       const std::vector<pb::ActionItem>& closed) {
  std::map<std::string, std::pair<pb::Session, std::int64_t>> origins;
  for (const auto& item : closed) {
    auto it = origins.find(item.origin_session_id());
    if (it == origins.end()) {
      std::int64_t version = 0;
      const auto key =
          session_key(item.relationship_id(), session_number(item.origin_session_id()));
      auto origin = store().get<pb::Session>(key, &version);
      if (!origin) continue;
      it = origins.emplace(item.origin_session_id(), std::make_pair(*origin, version)).first;
    }
    for (auto& a : *it->second.first.mutable_action_items())
      if (a.item_id() == item.item_id()) a = item;
  }
  for (const auto& [id, origin] : origins) put_session(batch, origin.first, origin.second);
}

pb::Session CoachingService::plan_session(pb::Relationship& rel, std::int64_t planned_ms,
                                          WriteBatch& batch) {
  const int n = rel.sessions_planned() + 1;
  pb::Session s;
  s.set_session_id(session_id(rel.relationship_id(), n));
  s.set_relationship_id(rel.relationship_id());
  s.set_coach_id(rel.coach_id());
  s.set_salesperson_id(rel.salesperson_id());
  s.set_team_id(rel.team_id());
  s.set_planned_ms(planned_ms);
  s.set_state(pb::SESSION_STATE_PLANNED);
  schedule_entries(s);
  rel.set_sessions_planned(n);
  rel.set_next_session_id(s.session_id());
  rel.set_next_session_ms(planned_ms);
  put_session(batch, s, kMustNotExist);
  return s;
}

pb::Relationship CoachingService::start_relationship(const pb::StartRelationshipRequest& r) {
  require_id("coach_id", r.coach_id());
  require_id("salesperson_id", r.salesperson_id());
  if (r.coach_id() == r.salesperson_id())
    throw invalid_argument("coach_id", "a salesperson is not their own coach");
  if (r.coach_role() == pb::COACH_ROLE_UNSPECIFIED || !pb::CoachRole_IsValid(r.coach_role()))
    throw invalid_argument("coach_role", "one of COACH_ROLE_MANAGER, _PEER, _OUTSIDE");
  if (!r.team_id().empty()) require_id("team_id", r.team_id());
  const int days = cadence_days(r.cadence(), r.cadence_days());
  pb::Relationship rel;
  rel.set_relationship_id(r.coach_id() + "~" + r.salesperson_id());
  rel.set_coach_id(r.coach_id());
  rel.set_salesperson_id(r.salesperson_id());
  rel.set_coach_role(r.coach_role());
  rel.set_team_id(r.team_id());
  if (r.salesperson_name().size() > 200) throw invalid_argument("salesperson_name", "too long");
  rel.set_salesperson_name(r.salesperson_name());
  // What the request leaves out comes from the tenant's people directory.
  if (const Person* sp = ctx_.people().find(r.salesperson_id())) {
    if (rel.team_id().empty()) rel.set_team_id(sp->team);
    if (rel.salesperson_name().empty()) rel.set_salesperson_name(sp->name);
  }
  rel.set_cadence_days(days);
  rel.set_started_ms(ctx_.now_ms());
  const auto first =
      r.first_session_ms() > 0 ? r.first_session_ms() : ctx_.now_ms() + days * kDayMs;
  if (first < ctx_.now_ms()) throw invalid_argument("first_session_ms", "in the past");
  WriteBatch batch;
  auto s = plan_session(rel, first, batch);
  batch.put(rel_key(rel.relationship_id()), rel, kMustNotExist);
  if (!store().commit(batch)) {
    for (auto id : {s.prep_reminder_entry(), s.overdue_entry()})
      if (id) ctx_.cancel(id);
    throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                "relationship_id: '" + rel.relationship_id() + "' exists already");
  }
  pb::SessionScheduled event;
  event.set_relationship_id(rel.relationship_id());
  event.set_session_id(s.session_id());
  event.set_coach_id(rel.coach_id());
  event.set_salesperson_id(rel.salesperson_id());
  event.set_planned_ms(s.planned_ms());
  ctx_.publish("coaching_sessions.session_scheduled", event);
  return rel;
}

pb::Relationship CoachingService::get_relationship(const pb::GetRelationshipRequest& r) {
  return relationship(r.relationship_id());
}

pb::Prep CoachingService::submit_prep(const pb::SubmitPrepRequest& r) {
  const auto rel = relationship(r.relationship_id());
  if (r.submitted_by() != rel.salesperson_id())
    throw invalid_argument("submitted_by", "the prep is the salesperson's own ('" +
                                               rel.salesperson_id() + "'), not the coach's");
  std::int64_t version = 0;
  auto s = newest_session(rel.relationship_id(), &version);
  if (!s || s->state() != pb::SESSION_STATE_PLANNED)
    throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "relationship_id: no session is planned");
  if (!r.session_id().empty() && r.session_id() != s->session_id()) {
    const auto at = r.session_id().rfind('.');
    const bool earlier =
        r.session_id().substr(0, at) == rel.relationship_id() && at != std::string::npos &&
        r.session_id().find_first_not_of("0123456789", at + 1) == std::string::npos &&
        session_number(r.session_id()) < session_number(s->session_id());
    if (earlier)
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION,
                  "session_id: '" + r.session_id() +
                      "' was already held (or missed); the next "
                      "session is '" +
                      s->session_id() + "'");
    throw not_found("session_id: session '" + r.session_id() + "'");
  }
  pb::Prep prep = r.prep();
  std::vector<pb::AreaScore> previous;
  for (const auto& held : recent_held(rel.relationship_id(), recurrence_window_)) {
    if (!held.prep().audit().empty())
      previous.assign(held.prep().audit().begin(), held.prep().audit().end());
  }
  const auto scores = score_audit(audit_, prep.audit_answers(), previous);
  prep.clear_audit();
  for (const auto& a : scores) *prep.add_audit() = a;
  complete_prep(prep);
  prep.set_session_id(s->session_id());
  prep.set_submitted_ms(ctx_.now_ms());
  *s->mutable_prep() = prep;
  s->set_prep_submitted(true);
  WriteBatch batch;
  put_session(batch, *s, version);
  if (!store().commit(batch))
    throw Error(v1::STATUS_CODE_CONFLICT, "relationship_id: the session changed; send it again");
  pb::PrepSubmitted event;
  event.set_relationship_id(rel.relationship_id());
  event.set_session_id(s->session_id());
  event.set_salesperson_id(rel.salesperson_id());
  ctx_.publish("coaching_sessions.prep_submitted", event);
  return prep;
}

pb::Agenda CoachingService::get_agenda(const pb::GetAgendaRequest& r) {
  const auto rel = relationship(r.relationship_id());
  auto s = newest_session(rel.relationship_id());
  if (!s || s->state() != pb::SESSION_STATE_PLANNED)
    throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "relationship_id: no session is planned");
  return agenda_of(rel, *s);
}

pb::Session CoachingService::record_session(const pb::RecordSessionRequest& r) {
  std::int64_t rel_version = 0;
  auto rel = relationship(r.relationship_id(), &rel_version);
  std::int64_t version = 0;
  auto found = newest_session(rel.relationship_id(), &version);
  if (!found || found->state() != pb::SESSION_STATE_PLANNED)
    throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "relationship_id: no session is planned");
  auto s = *found;
  const auto held_ms = r.held_ms() > 0 ? r.held_ms() : ctx_.now_ms();
  if (held_ms > ctx_.now_ms() + kHourMs) throw invalid_argument("held_ms", "in the future");
  if (r.duration_minutes() < 0 || r.duration_minutes() > 600)
    throw invalid_argument("duration_minutes", "must be 0..600");
  if (r.talk().coach_seconds() < 0 || r.talk().salesperson_seconds() < 0)
    throw invalid_argument("talk", "seconds must not be negative");
  for (int i = 0; i < r.action_items_size(); ++i) {
    const auto& a = r.action_items(i);
    const auto field = fmt::format("action_items[{}]", i);
    if (a.text().empty()) throw invalid_argument(field + ".text", "required");
    if (a.owner() == pb::ITEM_OWNER_UNSPECIFIED || !pb::ItemOwner_IsValid(a.owner()))
      throw invalid_argument(field + ".owner", "ITEM_OWNER_SALESPERSON or ITEM_OWNER_COACH");
    if (a.due_ms() <= 0) throw invalid_argument(field + ".due_ms", "required");
  }
  auto open = open_items(rel.relationship_id());
  for (const auto& id : r.items_done()) {
    if (std::none_of(open.begin(), open.end(), [&](const auto& a) { return a.item_id() == id; }))
      throw invalid_argument("items_done", "no open item '" + id + "'");
  }

  *s.mutable_agenda() = agenda_of(rel, s);
  *s.mutable_steps() = r.steps();
  for (const auto& q : r.coach_questions()) s.add_coach_questions(q);
  s.set_coach_notes(r.coach_notes());
  std::string spoken;
  for (const auto& q : r.coach_questions()) spoken += q + "\n";
  spoken += r.coach_notes();
  *s.mutable_language() = language_->check(spoken);
  *s.mutable_talk() = r.talk();
  s.set_coach_led(r.talk().coach_seconds() > r.talk().salesperson_seconds());
  s.set_duration_minutes(r.duration_minutes());
  s.set_held_ms(held_ms);
  s.set_state(pb::SESSION_STATE_HELD);

  WriteBatch batch;
  std::vector<pb::ActionItem> closed;
  // Open items carry forward, linked to where they began; items done here close.
  for (auto& item : open) {
    const bool done = std::find(r.items_done().begin(), r.items_done().end(), item.item_id()) !=
                      r.items_done().end();
    const auto key = item_prefix(rel.relationship_id()) + item.item_id();
    if (done) {
      item.set_state(pb::ITEM_STATE_DONE);
      item.set_closed_ms(held_ms);
      batch.erase(key).put(closed_key(rel.relationship_id(), item.item_id()), item);
      closed.push_back(item);
    } else {
      item.add_carried_to(s.session_id());
      batch.put(key, item);
    }
  }
  const int n = session_number(s.session_id());
  for (int i = 0; i < r.action_items_size(); ++i) {
    const auto& a = r.action_items(i);
    pb::ActionItem item;
    item.set_item_id(fmt::format("s{}-{}", n, i + 1));
    item.set_relationship_id(rel.relationship_id());
    item.set_text(a.text());
    item.set_owner(a.owner());
    item.set_due_ms(a.due_ms());
    item.set_state(pb::ITEM_STATE_OPEN);
    item.set_origin_session_id(s.session_id());
    pb::SessionEntry e;
    e.set_relationship_id(rel.relationship_id());
    e.set_item_id(item.item_id());
    e.set_kind("item_due");
    ctx_.schedule(at(a.due_ms()), entry_topic("item_due"), e);
    batch.put(item_prefix(rel.relationship_id()) + item.item_id(), item, kMustNotExist);
    *s.add_action_items() = item;
  }
  close_in_origins(batch, closed);  // their sessions' facts count them done
  s.clear_themes();
  for (auto& t : themes_of(s, gap_score_)) s.add_themes(std::move(t));
  put_session(batch, s, version);
  rel.set_sessions_held(rel.sessions_held() + 1);
  auto next_ms = s.planned_ms() + rel.cadence_days() * kDayMs;
  if (next_ms <= ctx_.now_ms()) next_ms = ctx_.now_ms() + rel.cadence_days() * kDayMs;
  auto next = plan_session(rel, next_ms, batch);
  batch.put(rel_key(rel.relationship_id()), rel, rel_version);
  if (!store().commit(batch)) {
    for (auto id : {next.prep_reminder_entry(), next.overdue_entry()})
      if (id) ctx_.cancel(id);
    throw Error(v1::STATUS_CODE_CONFLICT, "relationship_id: the session changed; send it again");
  }
  if (s.overdue_entry()) ctx_.cancel(s.overdue_entry());
  if (s.prep_reminder_entry()) ctx_.cancel(s.prep_reminder_entry());

  pb::SessionHeld held;
  held.set_relationship_id(rel.relationship_id());
  held.set_session_id(s.session_id());
  held.set_prep_submitted(s.prep_submitted());
  held.set_coach_led(s.coach_led());
  held.set_question_share(s.language().question_share());
  held.set_solution_share(s.language().solution_share());
  held.set_coach_id(rel.coach_id());
  held.set_salesperson_id(rel.salesperson_id());
  ctx_.publish("coaching_sessions.session_held", held);
  pb::SessionScheduled scheduled;
  scheduled.set_relationship_id(rel.relationship_id());
  scheduled.set_session_id(next.session_id());
  scheduled.set_coach_id(rel.coach_id());
  scheduled.set_salesperson_id(rel.salesperson_id());
  scheduled.set_planned_ms(next.planned_ms());
  ctx_.publish("coaching_sessions.session_scheduled", scheduled);
  suggest_outside_perspective(rel, s);
  return s;
}

void CoachingService::suggest_outside_perspective(const pb::Relationship& rel,
                                                  const pb::Session& held) {
  const auto sessions = recent_held(rel.relationship_id(), recurrence_window_);
  const int n = session_number(held.session_id());
  for (const auto& found : recurring_themes(sessions, recurrence_times_, recurrence_window_)) {
    const std::string marker = "suggested/" + rel.relationship_id() + "/" + found.theme;
    if (auto last = store().get_bytes(marker);
        last && n - std::stoi(last->value) < recurrence_window_)
      continue;  // suggested within the window already
    store().put_bytes(marker, std::to_string(n));
    pb::OutsidePerspectiveSuggested event;
    event.set_relationship_id(rel.relationship_id());
    event.set_salesperson_id(rel.salesperson_id());
    event.set_coach_id(rel.coach_id());
    event.set_theme(found.theme);
    for (const auto& e : found.evidence) event.add_evidence(e);
    ctx_.publish("coaching_sessions.outside_perspective_suggested", event);
  }
}

pb::ActionItem CoachingService::update_action_item(const pb::UpdateActionItemRequest& r) {
  relationship(r.relationship_id());
  require_id("item_id", r.item_id());
  if (r.state() != pb::ITEM_STATE_DONE && r.state() != pb::ITEM_STATE_DROPPED)
    throw invalid_argument("state", "ITEM_STATE_DONE or ITEM_STATE_DROPPED");
  const auto key = item_prefix(r.relationship_id()) + r.item_id();
  std::int64_t version = 0;
  auto item = store().get<pb::ActionItem>(key, &version);
  if (!item) {
    if (store().get_bytes(closed_key(r.relationship_id(), r.item_id())))
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "item_id: the item is closed already");
    throw not_found("item_id: action item '" + r.item_id() + "'");
  }
  item->set_state(r.state());
  item->set_closed_ms(ctx_.now_ms());
  WriteBatch batch;
  batch.erase(key, version).put(closed_key(r.relationship_id(), r.item_id()), *item);
  close_in_origins(batch, {*item});
  if (!store().commit(batch))
    throw Error(v1::STATUS_CODE_CONFLICT, "item_id: the item changed; send it again");
  return *item;
}

pb::SessionList CoachingService::list_sessions(const pb::ListSessionsRequest& r) {
  relationship(r.relationship_id());
  if (r.page_size() < 0) throw invalid_argument("page_size", "must not be negative");
  const auto size = static_cast<std::uint32_t>(r.page_size() ? std::min(r.page_size(), 100) : 20);
  auto page = store().scan(session_prefix(r.relationship_id()), r.page_token(), size);
  pb::SessionList out;
  for (const auto& item : page.items) *out.add_sessions() = Store::parse<pb::Session>(item);
  out.set_next_page_token(page.next_after);
  return out;
}

pb::LanguageReport CoachingService::check_language(const pb::CheckLanguageRequest& r) {
  if (r.text().size() > 64 * 1024) throw invalid_argument("text", "longer than 64 KiB");
  return language_->check(r.text());
}

pb::SkillsAudit CoachingService::get_skills_audit(const pb::GetSkillsAuditRequest&) {
  return audit_;
}

std::vector<pb::SessionFacts> CoachingService::facts_between(const std::string& prefix,
                                                             std::int64_t from_ms,
                                                             std::int64_t to_ms) {
  std::vector<pb::SessionFacts> out;
  std::string after = from_ms > 0 ? fmt::format("{}{:015d}", prefix, from_ms - 1) : "";
  const std::string end = to_ms > 0 ? fmt::format("{}{:015d}", prefix, to_ms) : "";
  do {
    auto page = store().scan(prefix, after, 500);
    for (const auto& item : page.items) {
      if (!end.empty() && item.key >= end) return out;
      out.push_back(Store::parse<pb::SessionFacts>(item));
    }
    after = page.next_after;
  } while (!after.empty());
  return out;
}

pb::CoachingMeasures CoachingService::get_measures(const pb::MeasuresRequest& r) {
  if (r.coach_id().empty() == r.team_id().empty())
    throw invalid_argument("coach_id", "name a coach_id or a team_id");
  if (r.to_ms() && r.from_ms() >= r.to_ms()) throw invalid_argument("to_ms", "before from_ms");
  const std::string prefix =
      r.coach_id().empty() ? "by_team/" + r.team_id() + "/" : "by_coach/" + r.coach_id() + "/";
  require_id(r.coach_id().empty() ? "team_id" : "coach_id",
             r.coach_id().empty() ? r.team_id() : r.coach_id());
  return measures_of(facts_between(prefix, r.from_ms(), r.to_ms()), r.from_ms(), r.to_ms());
}

pb::MeasuresCsv CoachingService::get_measures_csv(const pb::MeasuresRequest& r) {
  pb::MeasuresCsv out;
  const auto scope = r.coach_id().empty() ? "team " + r.team_id() : "coach " + r.coach_id();
  out.set_csv(std::string(kMeasuresCsvHeader) + measures_csv_row(scope, get_measures(r)));
  return out;
}

void CoachingService::on_due(const DueEntry& due) {
  auto entry = due.as<pb::SessionEntry>();
  if (!entry) throw Error(v1::STATUS_CODE_WRONG_PAYLOAD_TYPE, "due entry is not a SessionEntry");
  auto rel = store().get<pb::Relationship>(rel_key(entry->relationship_id()));
  if (!rel) return;  // gone: nothing to remind of
  if (entry->kind() == "item_due") {
    const auto key = item_prefix(rel->relationship_id()) + entry->item_id();
    auto item = store().get<pb::ActionItem>(key);
    if (!item || item->state() != pb::ITEM_STATE_OPEN || item->overdue()) return;
    auto updated =
        store().update<pb::ActionItem>(key, [](pb::ActionItem& a) { a.set_overdue(true); });
    pb::ActionItemOverdue event;
    *event.mutable_item() = *updated;
    event.set_coach_id(rel->coach_id());
    event.set_salesperson_id(rel->salesperson_id());
    ctx_.publish("coaching_sessions.action_item_overdue", event);
    return;
  }
  std::int64_t version = 0;
  auto s = newest_session(rel->relationship_id(), &version);
  if (!s || s->session_id() != entry->session_id() || s->state() != pb::SESSION_STATE_PLANNED)
    return;  // held (or replaced) since
  if (entry->kind() == "prep_reminder") {
    if (s->prep_submitted()) return;
    pb::PrepReminder event;
    event.set_relationship_id(rel->relationship_id());
    event.set_session_id(s->session_id());
    event.set_salesperson_id(rel->salesperson_id());
    event.set_planned_ms(s->planned_ms());
    ctx_.publish("coaching_sessions.prep_reminder", event);
    return;
  }
  // session_due: not held in time. The coach is nudged and the next session planned.
  s->set_state(pb::SESSION_STATE_MISSED);
  WriteBatch batch;
  put_session(batch, *s, version);
  std::int64_t rel_version = 0;
  auto current = relationship(rel->relationship_id(), &rel_version);
  auto next = plan_session(current,
                           s->planned_ms() + current.cadence_days() * kDayMs > ctx_.now_ms()
                               ? s->planned_ms() + current.cadence_days() * kDayMs
                               : ctx_.now_ms() + current.cadence_days() * kDayMs,
                           batch);
  batch.put(rel_key(current.relationship_id()), current, rel_version);
  if (!store().commit(batch)) {
    for (auto id : {next.prep_reminder_entry(), next.overdue_entry()})
      if (id) ctx_.cancel(id);
    throw Error(v1::STATUS_CODE_CONFLICT, "the session changed; retried later");
  }
  pb::SessionOverdue event;
  event.set_relationship_id(current.relationship_id());
  event.set_session_id(s->session_id());
  event.set_coach_id(current.coach_id());
  event.set_planned_ms(s->planned_ms());
  ctx_.publish("coaching_sessions.session_overdue", event);
}

void CoachingService::add_signal(const std::string& salesperson, pb::Signal signal) {
  if (salesperson.empty() || salesperson.find('/') != std::string::npos) return;
  signal.set_at_ms(ctx_.now_ms());
  store().update<pb::SignalLog>("signals/" + salesperson, [&](pb::SignalLog& log) {
    if (signal.kind() == "weakest_key") {  // only the latest weakest key matters
      auto* all = log.mutable_signals();
      all->erase(std::remove_if(all->begin(), all->end(),
                                [](const pb::Signal& s) { return s.kind() == "weakest_key"; }),
                 all->end());
    }
    *log.add_signals() = signal;
    if (static_cast<std::size_t>(log.signals_size()) > signals_kept_)
      log.mutable_signals()->DeleteSubrange(0,
                                            log.signals_size() - static_cast<int>(signals_kept_));
  });
}

void CoachingService::on_event(const Event& event) {
  const std::string topic(event.topic);
  const auto p = payload_of(event.payload);
  pb::Signal s;
  s.set_topic(topic);
  if (topic == "motivation_keys.trust_dropped") {
    s.set_kind("trust_dropped");
    s.set_account_id(text_at(p, "account_id"));
    s.set_summary(fmt::format("Trust with {} dropped from {} to {}", s.account_id(),
                              text_at(p, "previous"), text_at(p, "current")));
    std::string role = text_at(p, "role");  // RATER_ROLE_CUSTOMER -> customer
    role = role.substr(role.rfind('_') + 1);
    for (auto& c : role) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s.add_evidence(fmt::format("a {} rating fell by {}", role, text_at(p, "drop")));
    add_signal(text_at(p, "salesperson_id"), s);
  } else if (topic == "motivation_keys.crisis_push_risk") {
    s.set_kind("crisis_push_risk");
    s.set_account_id(text_at(p, "account_id"));
    s.set_summary("Signs of coaching by pressure: results pushed while motivation or trust falls");
    for (const auto& e : list_at(p, "evidence")) s.add_evidence(e);
    add_signal(text_at(p, "person_id"), s);
  } else if (topic == "motivation_keys.plateau_detected") {
    s.set_kind("plateau_detected");
    s.set_summary("Results have settled on a plateau under an unchanged target");
    s.add_evidence(text_at(p, "status.evidence"));
    add_signal(text_at(p, "status.person_id"), s);
  } else if (topic == "motivation_keys.pulse_recorded") {
    const auto weakest = text_at(p, "pulse.weakest");
    if (weakest.empty()) return;
    s.set_kind("weakest_key");
    std::string key = weakest.substr(weakest.rfind('_') + 1);
    for (std::size_t i = 1; i < key.size(); ++i)
      key[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
    s.set_summary("Weakest motivation key in the latest pulse: " + key);
    add_signal(text_at(p, "pulse.person_id"), s);
  } else if (topic == "service_followup.account_at_risk") {
    s.set_kind("account_at_risk");
    s.set_account_id(text_at(p, "account_id"));
    s.set_summary("Account " + s.account_id() + " is at risk after the sale");
    for (const auto& e : list_at(p, "evidence")) s.add_evidence(e);
    add_signal(text_at(p, "salesperson_id"), s);
  } else if (topic == "behavior_styles.profile_updated") {
    const auto person = text_at(p, "profile.person.person_id");
    const auto quadrant = text_at(p, "profile.effective.quadrant");
    if (!person.empty() && person.find('/') == std::string::npos && !quadrant.empty())
      store().put_bytes("style/" + person, quadrant);
  } else if (topic == "behavior_styles.customer_style_estimated") {
    const auto person = text_at(p, "estimate.salesperson_id");
    if (person.empty() || person.find('/') != std::string::npos) return;
    auto mine = store().get_bytes("style/" + person);
    const auto theirs = text_at(p, "estimate.style.quadrant");
    if (!mine || !diagonal(mine->value, theirs)) return;
    s.set_kind("hardest_pairing");
    s.set_account_id(text_at(p, "estimate.account_id"));
    s.set_summary("Hardest pairing with " + s.account_id() + ": the customer's style (" +
                  text_at(p, "estimate.style.name") + ") is opposite on both axes");
    add_signal(person, s);
  }
}

}  // namespace coach::coaching_sessions
