// SPDX-License-Identifier: Apache-2.0
// ProtoJson: protobuf's canonical JSON mapping, as RemoteTypes uses it (original field names,
// fields without presence always printed), straight through reflection for the message shapes
// most methods have: scalars, strings, bytes, enums, nested messages and repeated fields.
//
// protobuf's own converter (util::BinaryToJsonString and back) builds a tree of every message
// and allocates about a hundred times for a small reply: a third of coach-gateway's work per
// request. What this does not cover (well-known types, maps, oneofs and other fields with
// presence, floats, proto2, string fields holding bytes that are not UTF-8) it declines, and
// the caller uses protobuf's converter, which also names the error in malformed input. Where
// both answer they agree: tests/unit/proto_json_test.cpp compares them on every project message.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <unordered_map>

namespace coach::core {

// code_point (at most U+10FFFF) appended to out in UTF-8.
void append_utf8(unsigned code_point, std::string& out);

class ProtoJson {
 public:
  // Whether messages of type are printed and parsed here. Cached per type: not thread-safe.
  bool covers(const google::protobuf::Descriptor* type);

  // Appends message (of a covered type) as JSON to out. False, with out as it was, when a value
  // needs protobuf's printer (a string that is not UTF-8, a double that is not finite).
  bool print(const google::protobuf::Message& message, std::string& out) const;

  // Merges json into message (of a covered type, cleared by the caller). False when json is
  // malformed or outside what this parser takes (unknown names, numbers in strings with
  // exponents, ...): protobuf's parser then decides, and names what is wrong.
  bool parse(std::string_view json, google::protobuf::Message& message) const;

 private:
  std::unordered_map<const google::protobuf::Descriptor*, bool> covered_;
};

}  // namespace coach::core
