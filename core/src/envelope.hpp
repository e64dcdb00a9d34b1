// SPDX-License-Identifier: Apache-2.0
// Building and reading Envelopes, and the frame tags of the daemon's internal inproc protocol.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "coach/v1/envelope.pb.h"

namespace coach::core {

// Internal protocol between the daemon's broker and each plugin thread (inproc DEALER/ROUTER).
// The first frame is one of these tags; the rest are listed per tag.
namespace frame {
inline constexpr std::string_view kRequest = "R";  // broker->plugin: seq(8 bytes), tenant, envelope
inline constexpr std::string_view kReply = "P";    // plugin->broker: seq, envelope
inline constexpr std::string_view kEvent = "E";    // both ways: topic, envelope
inline constexpr std::string_view kHello = "H";    // plugin->broker: connected and started
inline constexpr std::string_view kStop = "S";     // broker->plugin: finish queued work and stop
inline constexpr std::string_view kBye = "B";      // plugin->broker: stopped, thread ending
}  // namespace frame

// The daemon's own service name.
inline constexpr std::string_view kAdminService = "coachd";

// A process-unique, time-ordered id ("<hex time>-<hex counter>").
std::string new_message_id();
void stamp_now(v1::Envelope& env);

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

std::string encode_seq(std::uint64_t seq);
bool decode_seq(std::string_view bytes, std::uint64_t& seq);

}  // namespace coach::core
