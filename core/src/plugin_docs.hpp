// SPDX-License-Identifier: Apache-2.0
// What coachd prints about plugins from their manifests, without starting any: the default config
// (coachd --print-default-config: the daemon's own sections from the embedded deploy/coachd.yaml,
// then each configured plugin's section written from its config schema), and the Markdown tables of
// a plugin's README (its config schema; its rpcs with their comments from its .proto).
#pragma once

#include <string>

#include "config.hpp"

namespace coach::core {

std::string print_default_config(const DaemonConfig& config);

// Throw LoadError when the plugin cannot be loaded.
std::string plugin_config_table(const DaemonConfig& config, const std::string& plugin);
std::string plugin_method_table(const DaemonConfig& config, const std::string& plugin);

}  // namespace coach::core
