// SPDX-License-Identifier: Apache-2.0
// The first handshake between coachd and a plugin library: plain integers and C strings, so a
// library built against another SDK is refused by the loader before anything is constructed.
//
// What the ABI version covers, and what it does not: a plugin is C++ loaded into coachd's
// process, so besides the layouts below, these must be the ones coachd was built with:
//  - the compiler family and libstdc++ (std::string, std::function and std::optional cross the
//    boundary), and the C++20 standard;
//  - libprotobuf (messages, descriptors and the generated pool are shared; a plugin's generated
//    code must match the runtime) and spdlog/fmt (PluginContext::logger() hands one over).
// Build plugins against the coachd SDK and Debian packages of the same release and these hold.
// The version below is bumped whenever anything a plugin sees across the boundary changes layout
// or meaning: detail::HostContext's virtual functions, detail::PluginInstance, PluginManifest,
// ConfigKey, ConfigSection, Store's virtual functions, RequestContext, Event, DueEntry.
//   2: store, scheduler, clock. 3: RequestContext::deadline, WriteOp::expires_ms.
//   4: detail::HostContext (methods bound to rpc descriptors), manifest service and config schema.
//   5: RequestContext::person and roles, HostContext::people().
#pragma once

#include <cstdint>
#include <limits>

namespace coach {

inline constexpr std::uint32_t kAbiVersion = 5;

// The type of a config key. Values are written in YAML; lists as YAML sequences.
enum class ConfigType : std::uint8_t { kString, kInt, kNumber, kBool, kStringList };

// One key of a plugin's config section: the schema the loader validates the section against,
// fills defaults from, and documents (coachd --print-default-config, the plugin's README).
struct ConfigKey {
  // Dotted path under the plugin's config: section, e.g. "names.tells_controls".
  const char* path = nullptr;
  ConfigType type = ConfigType::kString;
  // The default as YAML scalar text; for kStringList, items separated by ", ". Empty: no default
  // (a string or list key is then empty; a number key is required).
  const char* default_value = "";
  const char* description = "";
  // Inclusive bounds for kInt and kNumber.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  // For kString and kStringList items: the allowed values separated by '|'; nullptr: any.
  const char* one_of = nullptr;
};

// What a plugin declares about itself. Every string is static and NUL-terminated.
struct PluginManifest {
  // The service name: [a-z][a-z0-9_]*, unique in a daemon; also the topic prefix of its events.
  const char* name = nullptr;
  const char* version = nullptr;
  const char* description = nullptr;
  // The full name of the protobuf service whose rpcs the plugin serves, e.g. "coach.v1.echo.Echo".
  // Every rpc needs a handler; nullptr: the plugin serves no methods.
  const char* service = nullptr;
  // The config schema, terminated by an entry whose path is nullptr; nullptr: no config. The
  // loader refuses a section with a key the schema does not name.
  const ConfigKey* config = nullptr;
  // Filled in by COACH_PLUGIN; a plugin never sets them.
  std::uint32_t abi_version = 0;
  // A serialized google.protobuf.FileDescriptorSet of the plugin's .proto files with their
  // comments (embedded by coach_add_plugin), or empty.
  const unsigned char* descriptor_set = nullptr;
  std::uint64_t descriptor_set_size = 0;
};

}  // namespace coach
