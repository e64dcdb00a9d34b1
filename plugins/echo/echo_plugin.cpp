// SPDX-License-Identifier: Apache-2.0
// echo: the template for new plugins. The manifest (name, rpc service, config schema) and the
// wiring of each rpc to the service class; nothing else belongs in this file.
#include <coach/plugin.hpp>

#include <optional>

#include "echo_service.hpp"

namespace {

class EchoPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "echo",
        .version = "1.1.0",
        .description = "Returns what it is sent; the template for new plugins",
        .service = "coach.v1.echo.Echo",
        .config = echo::EchoService::kConfig,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    service_.emplace(ctx);
    ctx.serve("Echo", *service_, &echo::EchoService::echo);
  }

 private:
  std::optional<echo::EchoService> service_;
};

}  // namespace

COACH_PLUGIN(EchoPlugin)
