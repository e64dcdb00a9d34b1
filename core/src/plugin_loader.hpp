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

#include "coach/plugin.hpp"
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
  std::vector<std::string> config_keys;
  PluginInstance* (*create)() noexcept = nullptr;
};

class PluginLoader {
 public:
  // Resolves config.library against dirs (a name with a '/' is a path), opens and checks it.
  // Throws LoadError with the reason; the caller logs it with the file name.
  PluginLibrary load(const PluginConfig& config, const std::vector<std::string>& dirs);

  // Where config.library resolves to, or empty when it is in none of dirs.
  static std::string resolve(const PluginConfig& config, const std::vector<std::string>& dirs);

  // Checks the manifest's fields and the plugin's config section against it. Throws LoadError.
  static void check_manifest(const PluginManifest& manifest, const PluginConfig& config);

 private:
  // Keyed by canonical path; never erased (see the file comment).
  std::map<std::string, boost::dll::shared_library> libraries_;
};

}  // namespace coach::core
