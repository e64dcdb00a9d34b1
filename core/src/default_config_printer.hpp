// SPDX-License-Identifier: Apache-2.0
// The default config as coachd --print-default-config shows it: the daemon's own sections from the
// embedded deploy/coachd.yaml, then each configured plugin's section written from the config schema
// in its manifest (every key with its default, allowed values and description). Also the schema as
// the Markdown table in a plugin's README. Both read manifests only: no plugin is started.
#pragma once

#include <string>

#include "config.hpp"

namespace coach::core {

std::string print_default_config(const DaemonConfig& config);

// Throws LoadError when the plugin cannot be loaded.
std::string plugin_config_table(const DaemonConfig& config, const std::string& plugin);

}  // namespace coach::core
