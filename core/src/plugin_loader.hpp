// SPDX-License-Identifier: Apache-2.0
// PluginLoader: finds a plugin library, opens it with Boost.DLL and checks the ABI version and
// the manifest before anything in it is constructed. Libraries stay loaded until the process exits
// (they are pinned with RTLD_NODELETE): unloading one while any object, std::function, type_info or
// protobuf descriptor from it lives is unsafe. Owners still destroy plugin instances before the
// loader. Used by one thread at a time.
#pragma once

#include <boost/dll/shared_library.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "coach/abi.hpp"
#include "coach/detail/host.hpp"
#include "config.hpp"

namespace coach::core {

class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A checked plugin library: its manifest, copied out, and its factory.
struct PluginLibrary {
  std::string path;
  std::string name;
  std::string version;
  std::string description;
  // The rpc service it serves ("" when none) and its .proto files with their comments.
  std::string service;
  std::string descriptor_set;
  // The config schema; its strings live in the library, which stays loaded (see above).
  std::vector<ConfigKey> config_schema;
  // The plugin's config section checked against the schema, defaults filled in.
  std::map<std::string, std::string> config;
  detail::PluginInstance* (*create)() noexcept = nullptr;
};

class PluginLoader {
 public:
  // Resolves config.library against dirs (a name with a '/' is a path), opens and checks it.
  // Throws LoadError with the reason; the caller logs it with the file name.
  PluginLibrary load(const PluginConfig& config, const std::vector<std::string>& dirs);

  // Where config.library resolves to, or empty when it is in none of dirs.
  static std::string resolve(const PluginConfig& config, const std::vector<std::string>& dirs);

  // Checks the manifest's fields and the plugin's config section against its schema; returns the
  // section with defaults filled in. Throws LoadError.
  static std::map<std::string, std::string> check_manifest(const PluginManifest& manifest,
                                                           const PluginConfig& config);

 private:
  // Keyed by canonical path; never erased (see the file comment).
  std::map<std::string, boost::dll::shared_library> libraries_;
};

}  // namespace coach::core
