// SPDX-License-Identifier: Apache-2.0
// WebhookSender: one POST to a subscriber's URL (HTTP/1.1, TLS with the system's CAs and the
// host's name checked for https), bounded by a timeout for the whole exchange. Never throws:
// what went wrong is in the result.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "webhook_model.hpp"

namespace webhooks {

struct SendResult {
  int http_status = 0;  // 0: no answer
  std::string error;    // empty when an answer came
};

class WebhookSender {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  explicit WebhookSender(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  SendResult post(const Url& url, const Headers& headers, const std::string& body) const;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace webhooks
