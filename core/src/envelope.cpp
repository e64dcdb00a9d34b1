// SPDX-License-Identifier: Apache-2.0
#include "envelope.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>

namespace coach::core {

namespace {

void write_message_id(std::string& out) {
  static std::atomic<std::uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  // "<hex us>-<hex counter>", written without a format string: this runs once per message.
  char buf[2 * 16 + 1];
  char* end = std::to_chars(buf, buf + 16, static_cast<std::uint64_t>(us), 16).ptr;
  *end++ = '-';
  end = std::to_chars(end, end + 16, counter.fetch_add(1, std::memory_order_relaxed), 16).ptr;
  out.assign(buf, end);
}

void write_header(char* out, char tag, std::uint64_t seq, std::string_view tail) {
  out[0] = tag;
  std::memcpy(out + 1, &seq, sizeof seq);
  std::memcpy(out + 1 + sizeof seq, tail.data(), tail.size());
}

}  // namespace

std::string new_message_id() {
  std::string id;
  write_message_id(id);
  return id;
}

void set_new_message_id(v1::Envelope& env) { write_message_id(*env.mutable_message_id()); }

void clear_keeping_buffers(v1::Envelope& env) {
  v1::Status* status = env.release_status();
  google::protobuf::Any* payload = env.release_payload();
  google::protobuf::Timestamp* sent_at = env.release_sent_at();
  env.Clear();  // strings keep their capacity
  if (status) {
    status->Clear();
    env.set_allocated_status(status);
  }
  if (payload) {
    payload->Clear();
    env.set_allocated_payload(payload);
  }
  if (sent_at) {
    sent_at->Clear();
    env.set_allocated_sent_at(sent_at);
  }
}

bool parse_reusing_buffers(v1::Envelope& env, const void* data, std::size_t size) {
  clear_keeping_buffers(env);
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  google::protobuf::io::CodedInputStream input(static_cast<const std::uint8_t*>(data),
                                               static_cast<int>(size));
  return env.MergePartialFromCodedStream(&input) && input.ConsumedEntireMessage();
}

zmq::message_t to_message(const google::protobuf::MessageLite& message) {
  zmq::message_t out(message.ByteSizeLong());
  message.SerializeWithCachedSizesToArray(out.data<std::uint8_t>());
  return out;
}

void stamp_now(v1::Envelope& env) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  env.mutable_sent_at()->set_seconds(ns / 1'000'000'000);
  env.mutable_sent_at()->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
}

v1::Envelope make_request(std::string_view service, std::string_view method,
                          const google::protobuf::Message& payload) {
  v1::Envelope env;
  env.set_kind(v1::Envelope::KIND_REQUEST);
  env.set_message_id(new_message_id());
  env.set_service(std::string(service));
  env.set_method(std::string(method));
  stamp_now(env);
  env.mutable_payload()->PackFrom(payload);
  return env;
}

v1::Envelope make_error_reply(std::string_view correlation_id, v1::StatusCode code,
                              std::string message) {
  v1::Envelope env;
  env.set_kind(v1::Envelope::KIND_REPLY);
  env.set_message_id(new_message_id());
  env.set_correlation_id(std::string(correlation_id));
  stamp_now(env);
  env.mutable_status()->set_code(code);
  env.mutable_status()->set_message(std::move(message));
  return env;
}

v1::Envelope make_reply(std::string_view correlation_id, const google::protobuf::Message& payload) {
  auto env = make_error_reply(correlation_id, v1::STATUS_CODE_OK, {});
  env.mutable_payload()->PackFrom(payload);
  return env;
}

std::string status_name(v1::StatusCode code) {
  std::string name = v1::StatusCode_Name(code);
  constexpr std::string_view kPrefix = "STATUS_CODE_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  if (name.empty()) name = "CODE_" + std::to_string(static_cast<int>(code));
  return name;
}

std::string_view type_name_of(std::string_view type_url) {
  auto slash = type_url.rfind('/');
  return slash == std::string_view::npos ? type_url : type_url.substr(slash + 1);
}

std::string encode_header(char tag, std::uint64_t seq, std::string_view tail) {
  std::string out(1 + sizeof seq + tail.size(), '\0');
  write_header(out.data(), tag, seq, tail);
  return out;
}

zmq::message_t header_message(char tag, std::uint64_t seq, std::string_view tail) {
  zmq::message_t out(1 + sizeof seq + tail.size());
  write_header(out.data<char>(), tag, seq, tail);
  return out;
}

bool decode_header(std::string_view header, std::uint64_t& seq, std::string_view& tail) {
  if (header.size() < 1 + sizeof seq) return false;
  std::memcpy(&seq, header.data() + 1, sizeof seq);
  tail = header.substr(1 + sizeof seq);
  return true;
}

}  // namespace coach::core

namespace coach::core {

std::string tenant_topic(std::string_view tenant, std::string_view topic) {
  std::string out;
  out.reserve(tenant.size() + 1 + topic.size());
  out.append(tenant);
  out += '/';
  out.append(topic);
  return out;
}

std::string event_header(std::string_view tenant, std::string_view topic) {
  std::string out(1, frame::kEvent);
  out += tenant_topic(tenant, topic);
  return out;
}

bool split_tenant_topic(std::string_view wire, std::string_view& tenant, std::string_view& topic) {
  const auto slash = wire.find('/');
  if (slash == std::string_view::npos) return false;
  tenant = wire.substr(0, slash);
  topic = wire.substr(slash + 1);
  return true;
}

void encode_request_tail(std::int64_t deadline_ns, std::string_view tenant, std::string_view person,
                         std::uint32_t roles, std::string& out) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, deadline_ns).ptr;
  out.assign(digits, end);
  out += ' ';
  end = std::to_chars(digits, digits + sizeof digits, roles).ptr;
  out.append(digits, end);
  out += ' ';
  out += tenant;
  out += ' ';
  out += person;
}

bool decode_request_tail(std::string_view tail, RequestTail& out) {
  auto number = [&](auto& value) {
    const auto space = tail.find(' ');
    if (space == std::string_view::npos) return false;
    const auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + space, value);
    if (ec != std::errc() || ptr != tail.data() + space) return false;
    tail.remove_prefix(space + 1);
    return true;
  };
  if (!number(out.deadline_ns) || !number(out.roles)) return false;
  const auto space = tail.find(' ');  // tenants have no spaces; a person id may
  if (space == std::string_view::npos) return false;
  out.tenant = tail.substr(0, space);
  out.person = tail.substr(space + 1);
  return true;
}

}  // namespace coach::core

namespace coach::core {

void encode_request_tail(std::int64_t deadline_ns, std::string_view tenant, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, deadline_ns).ptr;
  out.assign(digits, end);
  out += ' ';
  out += tenant;
}

bool decode_request_tail(std::string_view tail, std::int64_t& deadline_ns,
                         std::string_view& tenant) {
  const auto space = tail.find(' ');
  if (space == std::string_view::npos) return false;
  const auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + space, deadline_ns);
  if (ec != std::errc() || ptr != tail.data() + space) return false;
  tenant = tail.substr(space + 1);
  return true;
}

}  // namespace coach::core
