// SPDX-License-Identifier: Apache-2.0
// echo: the reference plugin, the one to copy. Serves Echo and publishes echo.echoed.
#include <coach/plugin.hpp>

#include "coach/v1/echo.pb.h"

namespace {

using coach::v1::echo::Echoed;
using coach::v1::echo::EchoReply;
using coach::v1::echo::EchoRequest;

class EchoPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const char* const keys[] = {"greeting", nullptr};
    static const coach::PluginManifest m{
        .name = "echo",
        .version = "1.0.0",
        .description = "Returns what it is sent; the template for new plugins",
        .config_keys = keys,
    };
    return m;
  }

  void start(coach::PluginContext& ctx) override {
    greeting_ = ctx.config().get_string("greeting", "echo");
    ctx.serve<EchoRequest, EchoReply>(
        "Echo", [this, &ctx](const EchoRequest& req, const coach::RequestContext& rc) {
          if (req.text().size() > 4096)
            throw coach::invalid_argument("text", "longer than 4096 bytes");
          EchoReply reply;
          reply.set_text(greeting_ + ": " + req.text());
          reply.set_tenant(std::string(rc.tenant));
          reply.set_served(++served_);
          Echoed event;
          event.set_text(req.text());
          event.set_tenant(std::string(rc.tenant));
          ctx.publish("echo.echoed", event);
          return reply;
        });
    ctx.logger()->info("serving Echo with greeting '{}'", greeting_);
  }

 private:
  std::string greeting_;
  std::uint64_t served_ = 0;
};

}  // namespace

COACH_PLUGIN(EchoPlugin)
