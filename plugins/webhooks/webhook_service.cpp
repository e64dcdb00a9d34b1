// SPDX-License-Identifier: Apache-2.0
#include "webhook_service.hpp"

#include <coach/error.hpp>
#include <coach/signature.hpp>

#include "event_json.hpp"

namespace webhooks {

namespace {

constexpr const char* kDueTopic = "webhooks.deliver";

std::string sub_key(std::string_view id) { return "sub/" + std::string(id); }
// A subscription's deliveries, newest first: ids sort by falling time.
std::string delivery_prefix(std::string_view sub) { return "delivery/" + std::string(sub) + "/"; }

}  // namespace

WebhookService::WebhookService(coach::PluginContext& ctx)
    : ctx_(ctx),
      policy_{static_cast<std::uint32_t>(ctx.config().get_int("max_attempts")),
              std::chrono::milliseconds(ctx.config().get_int("first_backoff_ms")),
              std::chrono::milliseconds(ctx.config().get_int("max_backoff_ms"))},
      sender_(std::chrono::milliseconds(ctx.config().get_int("timeout_ms"))),
      retention_ms_(ctx.config().get_int("log_retention_hours") * 3'600'000),
      max_subscriptions_(static_cast<std::size_t>(ctx.config().get_int("max_subscriptions"))) {}

std::string WebhookService::new_id() {
  // Newest first in key order: the time counts down; a sequence and random bits keep ids of the
  // same millisecond apart (two daemons may share a store).
  constexpr std::int64_t kFar = 9'999'999'999'999;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%013lld-%06llu-%s", static_cast<long long>(kFar - ctx_.now_ms()),
                static_cast<unsigned long long>(++sequence_ % 1'000'000),
                coach::random_hex(3).c_str());
  return buf;
}

const std::vector<pb::Subscription>& WebhookService::matching_candidates(std::string_view tenant) {
  constexpr auto kSubscriptionsFresh = std::chrono::seconds(5);
  const auto now = std::chrono::steady_clock::now();
  auto it = cache_.find(tenant);
  if (it == cache_.end()) it = cache_.emplace(std::string(tenant), Cached{}).first;
  if (it->second.read_at == std::chrono::steady_clock::time_point{} ||
      now - it->second.read_at > kSubscriptionsFresh) {
    it->second = {subscriptions(), now};
  }
  return it->second.subscriptions;
}

std::vector<pb::Subscription> WebhookService::subscriptions() {
  std::vector<pb::Subscription> out;
  for (const auto& item : ctx_.store().scan_all("sub/"))
    out.push_back(coach::Store::parse<pb::Subscription>(item));
  return out;
}

pb::Subscription WebhookService::subscribe(const pb::SubscribeRequest& req) {
  parse_url(req.url());  // refused here, not at the first delivery
  if (!req.secret().empty() && req.secret().size() < 16)
    throw coach::invalid_argument("secret", "at least 16 characters (or empty: one is made)");
  if (subscriptions().size() >= max_subscriptions_)
    throw coach::Error(coach::v1::STATUS_CODE_FAILED_PRECONDITION,
                       "the tenant holds " + std::to_string(max_subscriptions_) +
                           " subscriptions already (max_subscriptions)");
  pb::Subscription s;
  s.set_subscription_id("wh-" + coach::random_hex(6));
  s.set_url(req.url());
  s.set_topic_prefix(req.topic_prefix());
  s.set_secret(req.secret().empty() ? coach::random_hex(24) : req.secret());
  s.set_description(req.description());
  s.set_created_ms(ctx_.now_ms());
  ctx_.store().put(sub_key(s.subscription_id()), s);
  cache_.clear();
  return s;  // the only time the secret leaves
}

pb::SubscriptionList WebhookService::list_subscriptions(const pb::ListSubscriptionsRequest&) {
  pb::SubscriptionList out;
  for (auto& s : subscriptions()) {
    s.clear_secret();
    *out.add_subscriptions() = std::move(s);
  }
  return out;
}

pb::UnsubscribeReply WebhookService::unsubscribe(const pb::UnsubscribeRequest& req) {
  coach::require_id("subscription_id", req.subscription_id());
  pb::UnsubscribeReply out;
  if (ctx_.store().get<pb::Subscription>(sub_key(req.subscription_id()))) {
    ctx_.store().erase(sub_key(req.subscription_id()));
    cache_.clear();
    out.set_removed(true);
  }
  return out;  // its pending deliveries are dropped when they come due
}

pb::DeliveryList WebhookService::list_deliveries(const pb::ListDeliveriesRequest& req) {
  coach::require_id("subscription_id", req.subscription_id());
  const std::uint32_t limit = req.limit() == 0 ? 50 : std::min<std::uint32_t>(req.limit(), 200);
  const auto prefix = delivery_prefix(req.subscription_id());
  auto page = ctx_.store().scan(prefix, req.after().empty() ? "" : prefix + req.after(), limit);
  pb::DeliveryList out;
  for (const auto& item : page.items)
    *out.add_deliveries() = coach::Store::parse<pb::Delivery>(item);
  if (!page.next_after.empty())
    out.set_next_after(out.deliveries(out.deliveries_size() - 1).delivery_id());
  return out;
}

void WebhookService::on_event(const coach::Event& event) {
  std::string data;
  for (const auto& s : matching_candidates(event.tenant)) {
    if (!matches(s.topic_prefix(), event.topic)) continue;
    if (data.empty()) {
      data = coach::common::event_json(event.payload);
      if (data.empty()) data = "null";  // a type this process does not know
    }
    pb::Delivery d;
    d.set_delivery_id(new_id());
    d.set_subscription_id(s.subscription_id());
    d.set_topic(std::string(event.topic));
    d.set_state(pb::DELIVERY_STATE_PENDING);
    d.set_created_ms(ctx_.now_ms());
    d.set_next_attempt_ms(d.created_ms());
    d.set_body(delivery_body(d.delivery_id(), event.tenant, event.topic, d.created_ms(), data));
    ctx_.store().put(delivery_prefix(s.subscription_id()) + d.delivery_id(), d);
    pb::DeliveryDue due;
    due.set_subscription_id(s.subscription_id());
    due.set_delivery_id(d.delivery_id());
    ctx_.schedule(ctx_.now(), kDueTopic, due);
  }
}

void WebhookService::on_due(const coach::DueEntry& entry) {
  auto due = entry.as<pb::DeliveryDue>();
  if (!due) return;
  const auto key = delivery_prefix(due->subscription_id()) + due->delivery_id();
  std::int64_t version = 0;
  auto delivery = ctx_.store().get<pb::Delivery>(key, &version);
  if (!delivery || delivery->state() != pb::DELIVERY_STATE_PENDING) return;  // done already
  auto subscription = ctx_.store().get<pb::Subscription>(sub_key(due->subscription_id()));
  if (!subscription) {
    delivery->set_state(pb::DELIVERY_STATE_DROPPED);
    delivery->set_next_attempt_ms(0);
  } else {
    const auto started = ctx_.now_ms();
    const auto steady = std::chrono::steady_clock::now();
    const std::string timestamp = std::to_string(started / 1000);
    auto result =
        sender_.post(parse_url(subscription->url()),
                     {{"X-Coach-Event", delivery->topic()},
                      {"X-Coach-Delivery", delivery->delivery_id()},
                      {"X-Coach-Timestamp", timestamp},
                      {"X-Coach-Signature",
                       coach::hmac_signature(subscription->secret(), timestamp, delivery->body())}},
                     delivery->body());
    pb::Attempt attempt;
    attempt.set_at_ms(started);
    attempt.set_http_status(result.http_status);
    attempt.set_error(result.error);
    attempt.set_took_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - steady)
                            .count());
    record_attempt(*delivery, attempt, policy_);
    if (!result.error.empty())
      ctx_.logger()->warn("webhook {} delivery {} attempt {}: {}", subscription->subscription_id(),
                          delivery->delivery_id(), delivery->attempt_count(), result.error);
  }
  coach::WriteBatch batch;
  batch.put(key, *delivery, version);
  if (delivery->state() != pb::DELIVERY_STATE_PENDING)
    batch.expiring_at(ctx_.now_ms() + retention_ms_);
  if (!ctx_.store().commit(batch)) return;  // another daemon's attempt got there first
  if (delivery->state() == pb::DELIVERY_STATE_PENDING)
    ctx_.schedule(std::chrono::system_clock::time_point(
                      std::chrono::milliseconds(delivery->next_attempt_ms())),
                  kDueTopic, *due);
}

}  // namespace webhooks
