// SPDX-License-Identifier: Apache-2.0
// WebhookService: a tenant's webhook subscriptions and their deliveries. Every event of the
// tenant that a subscription's prefix matches becomes a delivery record and a scheduler entry
// due now, in that order: from then on the scheduler owns it, so it survives a restart. When
// the entry comes due the delivery is POSTed, signed; a failure records the attempt and schedules
// the next one after a backoff, until max_attempts.
#pragma once

#include <coach/plugin.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "webhook_model.hpp"
#include "webhook_sender.hpp"

namespace webhooks {

class WebhookService {
 public:
  static constexpr coach::ConfigKey kConfig[] = {
      {.path = "timeout_ms",
       .type = coach::ConfigType::kInt,
       .default_value = "5000",
       .description = "how long one delivery attempt may take, connecting included",
       .min = 100,
       .max = 60'000},
      {.path = "max_attempts",
       .type = coach::ConfigType::kInt,
       .default_value = "10",
       .description = "attempts before a delivery is given up (failed)",
       .min = 1,
       .max = 100},
      {.path = "first_backoff_ms",
       .type = coach::ConfigType::kInt,
       .default_value = "10000",
       .description = "wait after the first failed attempt; doubles after each further one",
       .min = 1,
       .max = 86'400'000},
      {.path = "max_backoff_ms",
       .type = coach::ConfigType::kInt,
       .default_value = "3600000",
       .description = "the longest wait between two attempts",
       .min = 1,
       .max = 86'400'000},
      {.path = "log_retention_hours",
       .type = coach::ConfigType::kInt,
       .default_value = "168",
       .description = "how long a finished delivery stays in the delivery log",
       .min = 1,
       .max = 24 * 365},
      {.path = "max_subscriptions",
       .type = coach::ConfigType::kInt,
       .default_value = "100",
       .description = "subscriptions a tenant may hold",
       .min = 1,
       .max = 10'000},
      {}};

  explicit WebhookService(coach::PluginContext& ctx);

  pb::Subscription subscribe(const pb::SubscribeRequest& req);
  pb::SubscriptionList list_subscriptions(const pb::ListSubscriptionsRequest& req);
  pb::UnsubscribeReply unsubscribe(const pb::UnsubscribeRequest& req);
  pb::DeliveryList list_deliveries(const pb::ListDeliveriesRequest& req);

  // Any event of the tenant: a delivery for each subscription it matches.
  void on_event(const coach::Event& event);
  // A delivery's attempt came due.
  void on_due(const coach::DueEntry& due);

 private:
  std::vector<pb::Subscription> subscriptions();
  // The subscriptions of tenant, as every event reads them: from memory, read again from the
  // store after kSubscriptionsFresh (another daemon on the same store may have changed them) or
  // at once after this one changed them.
  const std::vector<pb::Subscription>& matching_candidates(std::string_view tenant);
  struct Cached {
    std::vector<pb::Subscription> subscriptions;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<std::string, Cached, std::less<>> cache_;
  std::string new_id();

  coach::PluginContext& ctx_;
  RetryPolicy policy_;
  WebhookSender sender_;
  std::int64_t retention_ms_;
  std::size_t max_subscriptions_;
  std::uint64_t sequence_ = 0;
};

}  // namespace webhooks
