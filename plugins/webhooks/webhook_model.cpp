// SPDX-License-Identifier: Apache-2.0
#include "webhook_model.hpp"

#include <google/protobuf/util/time_util.h>

#include <coach/error.hpp>
#include <coach/json_text.hpp>

namespace webhooks {

Url parse_url(std::string_view url) {
  Url out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    throw coach::invalid_argument("url", "must start with http:// or https://");
  }
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos)
    throw coach::invalid_argument("url", "must not carry credentials (the secret signs instead)");
  if (authority.starts_with("[")) {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw coach::invalid_argument("url", "bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(":")) out.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) throw coach::invalid_argument("url", "names no host");
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  for (char c : out.port)
    if (c < '0' || c > '9') throw coach::invalid_argument("url", "port is not a number");
  if (out.port.size() > 5 || std::stoi(out.port) == 0 || std::stoi(out.port) > 65535)
    throw coach::invalid_argument("url", "port out of range");
  return out;
}

std::chrono::milliseconds RetryPolicy::backoff(std::uint32_t attempt) const {
  auto wait = first_backoff;
  for (std::uint32_t i = 1; i < attempt && wait < max_backoff; ++i) wait *= 2;
  return std::min(wait, max_backoff);
}

std::string delivery_body(std::string_view delivery_id, std::string_view tenant,
                          std::string_view topic, std::int64_t occurred_ms,
                          std::string_view data_json) {
  return "{\"delivery_id\":" + coach::json_text(delivery_id) +
         ",\"tenant\":" + coach::json_text(tenant) + ",\"topic\":" + coach::json_text(topic) +
         ",\"occurred_at\":" +
         coach::json_text(google::protobuf::util::TimeUtil::ToString(
             google::protobuf::util::TimeUtil::MillisecondsToTimestamp(occurred_ms))) +
         ",\"data\":" + std::string(data_json.empty() ? "null" : data_json) + "}";
}

void record_attempt(pb::Delivery& delivery, const pb::Attempt& attempt, const RetryPolicy& policy) {
  *delivery.add_attempts() = attempt;
  while (delivery.attempts_size() > 10) delivery.mutable_attempts()->DeleteSubrange(0, 1);
  delivery.set_attempt_count(delivery.attempt_count() + 1);
  if (succeeded(attempt.http_status())) {
    delivery.set_state(pb::DELIVERY_STATE_DELIVERED);
    delivery.set_next_attempt_ms(0);
  } else if (delivery.attempt_count() >= policy.max_attempts) {
    delivery.set_state(pb::DELIVERY_STATE_FAILED);
    delivery.set_next_attempt_ms(0);
  } else {
    delivery.set_state(pb::DELIVERY_STATE_PENDING);
    delivery.set_next_attempt_ms(attempt.at_ms() + attempt.took_ms() +
                                 policy.backoff(delivery.attempt_count()).count());
  }
}

}  // namespace webhooks
