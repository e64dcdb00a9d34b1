// SPDX-License-Identifier: Apache-2.0
#include "helpdesk_mapping.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace coach::gateway {

namespace {

namespace pb = google::protobuf;

std::string text_at(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return {};
  if (it->second.has_string_value()) return it->second.string_value();
  if (it->second.has_number_value())
    return std::to_string(static_cast<long long>(it->second.number_value()));
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  return {};
}

const pb::Struct* struct_at(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it != s.fields().end() && it->second.has_struct_value() ? &it->second.struct_value()
                                                                 : nullptr;
}

std::string required(const pb::Struct& s, const std::string& key, const std::string& path) {
  auto v = text_at(s, key);
  if (v.empty()) throw std::invalid_argument(path + key + ": required");
  return v;
}

}  // namespace

std::string zendesk_to_import_event(const std::string& body, long long at_ms) {
  pb::Struct in;
  if (auto st = pb::util::JsonStringToMessage(body, &in); !st.ok())
    throw std::invalid_argument("the body is not JSON: " + std::string(st.message()));
  const pb::Struct* ticket = struct_at(in, "ticket");
  if (!ticket) throw std::invalid_argument("ticket: required");
  const pb::Struct* comment = struct_at(in, "comment");
  const std::string event = required(in, "event", "");
  const std::string status = required(*ticket, "status", "ticket.");

  pb::Struct out;
  auto set = [&out](const std::string& key, const std::string& value) {
    if (!value.empty()) (*out.mutable_fields())[key].set_string_value(value);
  };
  std::string kind;
  if (event == "created") {
    kind = "opened";
    set("account_id", required(*ticket, "organization", "ticket."));
    set("salesperson_id", text_at(*ticket, "salesperson"));
    set("team_id", text_at(*ticket, "group"));
    set("subject", text_at(*ticket, "subject"));
  } else if (event != "updated") {
    throw std::invalid_argument("event: expected created or updated, got '" + event + "'");
  } else if (comment && text_at(*comment, "public") != "false" &&
             !text_at(*comment, "author_role").empty()) {
    kind = text_at(*comment, "author_role") == "end-user" ? "customer_contact" : "agent_reply";
  } else if (status == "pending") {
    kind = "pending";
  } else if (status == "solved") {
    kind = "solved";
    pb::Struct cause;
    (*cause.mutable_fields())["category"].set_string_value(
        required(*ticket, "root_cause_category", "ticket."));
    (*cause.mutable_fields())["cause"].set_string_value(text_at(*ticket, "root_cause"));
    (*cause.mutable_fields())["fix"].set_string_value(text_at(*ticket, "fix"));
    *(*out.mutable_fields())["root_cause"].mutable_struct_value() = cause;
  } else if (status == "closed") {
    kind = "closed";
  } else if (status == "open") {
    kind = "reopened";
  } else {
    throw std::invalid_argument("ticket.status: '" + status + "' is not new, open, pending, " +
                                "solved or closed");
  }
  set("event_id", required(in, "event_id", ""));
  set("kind", kind);
  set("case_id", required(*ticket, "id", "ticket."));
  set("actor", text_at(*ticket, "assignee"));
  (*out.mutable_fields())["at_ms"].set_number_value(static_cast<double>(at_ms));
  std::string json;
  (void)pb::util::MessageToJsonString(out, &json);
  return json;
}

}  // namespace coach::gateway
