// SPDX-License-Identifier: Apache-2.0
// Building and reading Envelopes, and the frame tags of the daemon's internal inproc protocol.
#pragma once

#include <google/protobuf/message.h>
#include <zmq.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "coach/v1/envelope.pb.h"

namespace coach::core {

// Internal protocol between the daemon's broker and each plugin thread (inproc DEALER/ROUTER).
// A message is one header frame, starting with one of these tags, and for R, P and E an envelope
// frame. Few frames per message: each frame costs a trip through ZeroMQ's pipes.
namespace frame {
inline constexpr char kRequest = 'R';  // broker->plugin: header = tag, seq (8 bytes), request tail
inline constexpr char kReply = 'P';    // plugin->broker: header = tag, seq, status code (decimal)
inline constexpr char kEvent = 'E';    // both ways: header = tag, tenant/topic
inline constexpr char kHello = 'H';    // plugin->broker: connected and started
inline constexpr char kStop = 'S';     // broker->plugin: finish queued work and stop
inline constexpr char kBye = 'B';      // plugin->broker: stopped, thread ending
// Scheduler <-> broker <-> plugin. The scheduler's frames after its identity start with a tag:
// "D<plugin>" + due header + envelope (deliver), "E<topic>" + envelope (announce), "H" (hello).
inline constexpr char kDue = 'D';  // broker->plugin: header = tag, entry id, "<attempt> <due_ms>"
inline constexpr char kAck = 'A';  // plugin->broker->scheduler: header = tag, id, status code;
                                   // then a frame with the status message
inline constexpr char kRunning =
    'L';  // broker->scheduler: tag + running plugin names, comma-joined
}  // namespace frame

// Header of a request or reply: tag, seq, then tail (tenant, or status code).
std::string encode_header(char tag, std::uint64_t seq, std::string_view tail);
// The same header built in a ZeroMQ message, for the per-request path (no string on the way).
zmq::message_t header_message(char tag, std::uint64_t seq, std::string_view tail);
// Reads a header written by encode_header; false when it is too short.
bool decode_header(std::string_view header, std::uint64_t& seq, std::string_view& tail);

// The tail of a request header: the request's deadline on the steady clock (ns since its epoch,
// the same in every thread of the process) and its principal (tenant, person, role bits).
// Written into out (cleared first), so a caller can reuse its buffer on the per-request path.
void encode_request_tail(std::int64_t deadline_ns, std::string_view tenant, std::string_view person,
                         std::uint32_t roles, std::string& out);
struct RequestTail {
  std::int64_t deadline_ns = 0;
  std::uint32_t roles = 0;
  std::string_view tenant;
  std::string_view person;
};
// false when tail is not one encode_request_tail wrote.
bool decode_request_tail(std::string_view tail, RequestTail& out);

// An event travels under "<tenant>/<topic>": after the tag in its header frame inside the daemon,
// and as the topic frame on the external publisher, where subscribers filter on it.
std::string tenant_topic(std::string_view tenant, std::string_view topic);
// The header of an event: the tag, then tenant_topic.
std::string event_header(std::string_view tenant, std::string_view topic);
// Splits "<tenant>/<topic>"; false when there is no '/'.
bool split_tenant_topic(std::string_view wire, std::string_view& tenant, std::string_view& topic);

// The scheduler's identity on the broker's plugin socket (plugin names cannot start with '@').
inline constexpr std::string_view kSchedulerIdentity = "@scheduler";

// The daemon's own service name.
inline constexpr std::string_view kAdminService = "coachd";

// A process-unique, time-ordered id ("<hex time>-<hex counter>").
std::string new_message_id();
// Gives env a new message id, reusing the capacity of the one it had.
void set_new_message_id(v1::Envelope& env);
void stamp_now(v1::Envelope& env);

// For an envelope reused from message to message (the broker's and each plugin thread's): empties
// it but keeps its sub-messages (payload, sent_at, status), emptied, and every string's capacity.
// Clear() would free the sub-messages, and the next message would allocate them all again. The
// one visible difference: a kept sub-message stays present (has_payload() is true, and it would
// serialise as an empty field) until it is cleared or released.
void clear_keeping_buffers(v1::Envelope& env);
// ParseFromArray for a reused envelope: clear_keeping_buffers, then the bytes merged in.
bool parse_reusing_buffers(v1::Envelope& env, const void* data, std::size_t size);

// message serialised straight into a ZeroMQ message.
zmq::message_t to_message(const google::protobuf::MessageLite& message);

v1::Envelope make_request(std::string_view service, std::string_view method,
                          const google::protobuf::Message& payload);
// A reply to request with the given status and no payload.
v1::Envelope make_error_reply(std::string_view correlation_id, v1::StatusCode code,
                              std::string message);
v1::Envelope make_reply(std::string_view correlation_id, const google::protobuf::Message& payload);

// "STATUS_CODE_UNKNOWN_SERVICE" -> "UNKNOWN_SERVICE".
std::string status_name(v1::StatusCode code);

// The full message name of an Any's type_url ("type.googleapis.com/a.B" -> "a.B").
std::string_view type_name_of(std::string_view type_url);

}  // namespace coach::core
