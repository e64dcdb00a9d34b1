// SPDX-License-Identifier: Apache-2.0
// EchoService: what echo does, apart from how it is wired to the daemon. A bigger plugin keeps
// its domain rules in a pure model next to this (no bus, no store) and its service class thin.
#pragma once

#include <coach/plugin.hpp>

#include "echo.pb.h"

namespace echo {

class EchoService {
 public:
  // The config schema (the manifest's): every key this class reads, with its default.
  static constexpr coach::ConfigKey kConfig[] = {
      {.path = "greeting", .default_value = "echo", .description = "put before every reply"},
      {.path = "max_text_bytes",
       .type = coach::ConfigType::kInt,
       .default_value = "4096",
       .description = "longer texts are refused",
       .min = 1,
       .max = 1 << 20},
      {}};

  explicit EchoService(coach::PluginContext& ctx)
      : ctx_(ctx),
        greeting_(ctx.config().get_string("greeting")),
        max_text_bytes_(static_cast<std::size_t>(ctx.config().get_int("max_text_bytes"))) {}

  // Returns the text after the greeting and publishes echo.echoed.
  coach::v1::echo::EchoReply echo(const coach::v1::echo::EchoRequest& req,
                                  const coach::RequestContext& rc) {
    if (req.text().size() > max_text_bytes_)
      throw coach::invalid_argument("text",
                                    "longer than " + std::to_string(max_text_bytes_) + " bytes");
    coach::v1::echo::EchoReply reply;
    reply.set_text(greeting_ + ": " + req.text());
    reply.set_tenant(std::string(rc.tenant));
    reply.set_served(++served_);
    coach::v1::echo::Echoed event;
    event.set_text(req.text());
    event.set_tenant(std::string(rc.tenant));
    ctx_.publish("echo.echoed", event);
    return reply;
  }

 private:
  coach::PluginContext& ctx_;
  std::string greeting_;
  std::size_t max_text_bytes_;
  std::uint64_t served_ = 0;
};

}  // namespace echo
