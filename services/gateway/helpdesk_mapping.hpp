// SPDX-License-Identifier: Apache-2.0
// The one help-desk payload shape coach-gateway maps besides its neutral JSON: the body of a
// Zendesk trigger webhook, built from the JSON template in the README ("Webhooks in"):
//
//   {"event_id": "{{ticket.id}}-{{ticket.updated_at_with_timestamp}}",
//    "event": "created" | "updated",
//    "ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}",
//               "subject": "{{ticket.title}}", "organization": "{{ticket.organization.name}}",
//               "assignee": "{{ticket.assignee.email}}", "group": "{{ticket.group.name}}",
//               "salesperson": "{{ticket.ticket_field_<ID>}}",
//               "root_cause_category": "...", "root_cause": "...", "fix": "..."},
//    "comment": {"author_role": "{{current_user.role}}", "public":
//    "{{ticket.latest_comment.is_public}}"}}
//
// becomes the ImportEvent service_followup applies: created -> opened; a public comment by an
// end user -> customer_contact, by an agent -> agent_reply; status pending, solved (with the
// root cause fields), closed; open again after solved -> reopened (the status before is not in
// the payload, so "open" with event "updated" and no comment is a reopen).
#pragma once

#include <stdexcept>
#include <string>

namespace coach::gateway {

// The ImportEvent JSON for a Zendesk trigger body; at_ms is when it arrived. Throws
// std::invalid_argument naming the field that is missing or unknown.
std::string zendesk_to_import_event(const std::string& body, long long at_ms);

}  // namespace coach::gateway
