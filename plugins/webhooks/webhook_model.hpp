// SPDX-License-Identifier: Apache-2.0
// The webhooks model: what a subscription matches, where a URL points, what a delivery's body
// says, and what an attempt's outcome makes of a delivery (delivered, retried later with
// backoff, or failed). Pure: no bus, no store, no network.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "coach/v1/webhooks.pb.h"

namespace webhooks {

namespace pb = coach::v1::webhooks;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;    // "80"/"443" when the URL names none
  std::string target;  // path and query, "/" at least
};

// http:// or https:// URLs only; throws coach::Error INVALID_ARGUMENT naming `url` otherwise.
Url parse_url(std::string_view url);

struct RetryPolicy {
  std::uint32_t max_attempts = 8;
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{3'600'000};

  // The wait after the attempt-th failed attempt: first_backoff doubling, at most max_backoff.
  std::chrono::milliseconds backoff(std::uint32_t attempt) const;
};

inline bool matches(std::string_view topic_prefix, std::string_view topic) {
  return topic.starts_with(topic_prefix);
}

// {"delivery_id","tenant","topic","occurred_at","data"}; data_json is the event as JSON.
std::string delivery_body(std::string_view delivery_id, std::string_view tenant,
                          std::string_view topic, std::int64_t occurred_ms,
                          std::string_view data_json);

// Records attempt on delivery: delivered on a 2xx, else pending with its next attempt after the
// policy's backoff, or failed once max_attempts were made. Keeps the newest 10 attempts.
void record_attempt(pb::Delivery& delivery, const pb::Attempt& attempt, const RetryPolicy& policy);

inline bool succeeded(int http_status) { return http_status >= 200 && http_status < 300; }

}  // namespace webhooks
