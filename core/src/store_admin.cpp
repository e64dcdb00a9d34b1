// SPDX-License-Identifier: Apache-2.0
#include "store_admin.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "coach/v1/admin.pb.h"
#include "envelope.hpp"
#include "store/plugin_store.hpp"
#include "store/store_tables.hpp"

namespace coach::core {

StoreAdmin::StoreAdmin(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
                       const Clock& clock, std::string node_id, std::uint32_t retention_hours)
    : store_(store),
      clock_(clock),
      node_id_(std::move(node_id)),
      retention_hours_(retention_hours),
      service_(
          zmq, std::move(backend_endpoint), std::string(kStoreAdminIdentity), "coachd",
          [this](const v1::Envelope& request, const RequestTail&) { return handle(request); }) {}

bool StoreAdmin::serves(std::string_view method) {
  return method == "StoreStats" || method == "ListSchedule";
}

v1::Envelope StoreAdmin::handle(const v1::Envelope& request) {
  if (request.method() == "StoreStats") {
    v1::StoreStatsReply out;
    out.set_backend(store_.describe());
    out.set_schema_version(store_.schema_version());
    const std::int64_t now = clock_.now_ms();
    out.set_retention_hours(retention_hours_);
    store_.read([&](SqlConnection& c) {
      for (const auto& s : kv_stats(c, now)) {
        auto* ns = out.add_namespaces();
        ns->set_tenant(s.tenant);
        ns->set_plugin(s.plugin);
        ns->set_keys(s.keys);
        ns->set_bytes(s.bytes);
        ns->set_expired_keys(s.expired_keys);
        ns->set_expired_bytes(s.expired_bytes);
      }
      out.set_prunable_schedule_entries(
          schedule_prunable(c, now - static_cast<std::int64_t>(retention_hours_) * 3'600'000));
      for (auto& row : c.query("SELECT state, COUNT(*) FROM coach_schedule GROUP BY state")) {
        (*out.mutable_schedule_entries())[std::string(
            to_string(static_cast<EntryState>(as_int(row[0]))))] = as_int(row[1]);
      }
    });
    const auto counters = store_.counters();
    out.set_commits(counters.commits);
    out.set_writes(counters.writes);
    out.set_write_errors(counters.write_errors);
    out.set_reconnects(counters.reconnects);
    return make_reply(request.message_id(), out);
  } else {  // ListSchedule
    v1::ListScheduleRequest req;
    request.payload().UnpackTo(&req);
    ScheduleFilter filter;
    filter.plugin = req.plugin();
    filter.tenant = req.tenant();
    filter.limit = req.limit() ? req.limit() : 100;
    if (!req.state().empty()) {
      for (auto s :
           {EntryState::kPending, EntryState::kDone, EntryState::kCancelled, EntryState::kFailed}) {
        if (to_string(s) == req.state()) filter.state = s;
      }
      if (!filter.state) {
        throw StoreError(
            v1::STATUS_CODE_INVALID_ARGUMENT,
            "state: expected pending, done, cancelled or failed, got '" + req.state() + "'");
      }
    }
    v1::ListScheduleReply out;
    out.set_node_id(node_id_);
    out.set_now_ms(clock_.now_ms());
    auto entries = store_.read([&](SqlConnection& c) { return schedule_list(c, filter); });
    for (const auto& e : entries) {
      auto* info = out.add_entries();
      info->set_id(e.id);
      info->set_tenant(e.tenant);
      info->set_plugin(e.plugin);
      info->set_topic(e.topic);
      info->set_due_ms(e.due_ms);
      info->set_state(std::string(to_string(e.state)));
      info->set_claimed_by(e.claimed_by);
      info->set_lease_until_ms(e.lease_until_ms);
      info->set_attempts(e.attempts);
      info->set_created_ms(e.created_ms);
      info->set_done_ms(e.done_ms);
      info->set_last_error(e.last_error);
      info->set_announce(e.announce);
      google::protobuf::Any any;
      if (any.ParseFromString(e.payload))
        info->set_payload_type(std::string(type_name_of(any.type_url())));
    }
    return make_reply(request.message_id(), out);
  }
}

}  // namespace coach::core
