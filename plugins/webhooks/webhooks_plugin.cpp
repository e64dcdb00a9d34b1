// SPDX-License-Identifier: Apache-2.0
// webhooks: the manifest and the wiring of each rpc, the event subscription and the due entries
// to WebhookService. Subscriptions and their logs are the tenant admin's.
#include <coach/access.hpp>
#include <coach/plugin.hpp>

#include <optional>

#include "webhook_service.hpp"

namespace {

using webhooks::WebhookService;

class WebhooksPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "webhooks",
        .version = "1.0.0",
        .description = "The tenant's events POSTed, signed, to the URLs its tools registered",
        .service = "coach.v1.webhooks.Webhooks",
        .config = WebhookService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    auto& hooks = service_.emplace(ctx);
    auto admin = [](const auto&, const coach::Access& a) {
      a.require(a.admin(), "the tenant's webhooks");
    };
    using coach::serve_checked;
    serve_checked(ctx, "Subscribe", hooks, &WebhookService::subscribe, admin);
    serve_checked(ctx, "ListSubscriptions", hooks, &WebhookService::list_subscriptions, admin);
    serve_checked(ctx, "Unsubscribe", hooks, &WebhookService::unsubscribe, admin);
    serve_checked(ctx, "ListDeliveries", hooks, &WebhookService::list_deliveries, admin);
    ctx.subscribe("", [&hooks](const coach::Event& e) { hooks.on_event(e); });
    ctx.on_due("webhooks.", [&hooks](const coach::DueEntry& due) { hooks.on_due(due); });
  }

 private:
  std::optional<WebhookService> service_;
};

}  // namespace

COACH_PLUGIN(WebhooksPlugin)
