// SPDX-License-Identifier: Apache-2.0
// The first handshake between coachd and a plugin library: plain integers and C strings, so a
// library built against another SDK is refused by the loader before anything is constructed.
#pragma once

#include <cstdint>

namespace coach {

// Bumped whenever anything a plugin sees across the boundary changes layout or meaning:
// PluginContext's virtual functions, PluginInstance, PluginManifest, ConfigSection.
// 2: store, scheduler, clock. 3: RequestContext::deadline, WriteOp::expires_ms.
inline constexpr std::uint32_t kAbiVersion = 3;

// What a plugin declares about itself. Every string is static and NUL-terminated.
struct PluginManifest {
  // The service name: [a-z][a-z0-9_]*, unique in a daemon; also the topic prefix of its events.
  const char* name = nullptr;
  const char* version = nullptr;
  const char* description = nullptr;
  // Keys accepted at the top of the plugin's config section, nullptr-terminated; nullptr means
  // the plugin takes no config. The loader refuses a config with any other key.
  const char* const* config_keys = nullptr;
  // Filled in by COACH_PLUGIN; a plugin never sets it.
  std::uint32_t abi_version = 0;
};

}  // namespace coach

// Exported names, looked up with Boost.DLL's get_alias.
#define COACH_PLUGIN_ABI_SYMBOL coach_plugin_abi_version
#define COACH_PLUGIN_MANIFEST_SYMBOL coach_plugin_manifest
#define COACH_PLUGIN_CREATE_SYMBOL coach_plugin_create
