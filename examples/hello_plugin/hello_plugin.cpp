// SPDX-License-Identifier: Apache-2.0
// An out-of-tree plugin: all it needs is find_package(coach) and coach/plugin.hpp.
#include <coach/plugin.hpp>

#include "hello.pb.h"

namespace {

class HelloPlugin final : public coach::Plugin {
 public:
  static const coach::PluginManifest& manifest() {
    static const coach::PluginManifest m{
        .name = "hello", .version = "1.0.0", .description = "example third-party plugin"};
    return m;
  }
  void start(coach::PluginContext& ctx) override {
    ctx.serve<acme::hello::v1::GreetRequest, acme::hello::v1::GreetReply>(
        "Greet", [](const acme::hello::v1::GreetRequest& req, const coach::RequestContext& rc) {
          if (req.name().empty()) throw coach::invalid_argument("name", "must not be empty");
          acme::hello::v1::GreetReply reply;
          reply.set_greeting("Hello, " + req.name() + ", from " + std::string(rc.tenant));
          return reply;
        });
  }
};

}  // namespace

COACH_PLUGIN(HelloPlugin)
