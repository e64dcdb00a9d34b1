// SPDX-License-Identifier: Apache-2.0
#include "plugin_loader.hpp"

#include "names.hpp"

#include "coach/detail/config_schema.hpp"

#include <fmt/format.h>
#include <boost/dll/shared_library_load_mode.hpp>

#include <dlfcn.h>

#include <cstring>
#include <filesystem>

namespace coach::core {

namespace fs = std::filesystem;

std::string PluginLoader::resolve(const PluginConfig& config,
                                  const std::vector<std::string>& dirs) {
  if (config.library.find('/') != std::string::npos) {
    return fs::exists(config.library) ? fs::canonical(config.library).string() : std::string();
  }
  for (const auto& dir : dirs) {
    fs::path candidate = fs::path(dir) / config.library;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return fs::canonical(candidate).string();
  }
  return {};
}

std::map<std::string, std::string> PluginLoader::check_manifest(const PluginManifest& m,
                                                                const PluginConfig& config) {
  if (m.name == nullptr || !is_plugin_name(m.name)) {
    throw LoadError("manifest name is missing or not [a-z][a-z0-9_]*");
  }
  if (m.version == nullptr || *m.version == '\0') throw LoadError("manifest has no version");
  if (config.name != m.name) {
    throw LoadError(fmt::format("library declares plugin '{}' but the config entry is '{}'", m.name,
                                config.name));
  }
  for (auto k = m.config; k && k->path; ++k) {
    if (*k->path == '\0') throw LoadError("config schema has a key with an empty path");
  }
  try {
    return detail::apply_config_schema(m.config, config.name, config.values, config.lines);
  } catch (const Error& e) {
    throw LoadError(e.what());
  }
}

PluginLibrary PluginLoader::load(const PluginConfig& config, const std::vector<std::string>& dirs) {
  std::string path = resolve(config, dirs);
  if (path.empty()) {
    std::string searched;
    for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    throw LoadError(fmt::format("library {} not found (searched: {})", config.library,
                                searched.empty() ? "no plugin_dirs configured" : searched));
  }

  auto it = libraries_.find(path);
  if (it == libraries_.end()) {
    boost::dll::shared_library lib;
    boost::dll::fs::error_code ec;
    lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
      // Boost.DLL clears dlerror(); a second dlopen fails the same way and says why.
      std::string why = ec.message();
      if (void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        ::dlclose(h);
      } else if (const char* e = ::dlerror()) {
        why = e;
      }
      throw LoadError(fmt::format("cannot load: {}", why));
    }
    // Pin the library for the life of the process: even after the loader is gone, protobuf's
    // shutdown and static destructors may still reach into it.
    if (void* pinned = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
      ::dlclose(pinned);
    it = libraries_.emplace(path, std::move(lib)).first;
  }
  const auto& lib = it->second;

  for (const char* symbol :
       {"coach_plugin_abi_version", "coach_plugin_manifest", "coach_plugin_create"}) {
    if (!lib.has(symbol)) {
      throw LoadError(fmt::format(
          "missing symbol {}: not a coachd plugin (built without COACH_PLUGIN?)", symbol));
    }
  }
  auto& abi_fn = lib.get_alias<std::uint32_t() noexcept>("coach_plugin_abi_version");
  const std::uint32_t abi = abi_fn();
  if (abi != kAbiVersion) {
    throw LoadError(
        fmt::format("built for plugin ABI version {}, this coachd speaks version {}; "
                    "rebuild the plugin against this SDK",
                    abi, kAbiVersion));
  }
  auto& manifest_fn = lib.get_alias<const PluginManifest*() noexcept>("coach_plugin_manifest");
  const PluginManifest* manifest = manifest_fn();
  if (manifest == nullptr) throw LoadError("manifest is null");
  if (manifest->abi_version != kAbiVersion) {
    throw LoadError(fmt::format("manifest declares ABI version {}, expected {}",
                                manifest->abi_version, kAbiVersion));
  }
  auto values = check_manifest(*manifest, config);

  PluginLibrary out;
  out.path = path;
  out.name = manifest->name;
  out.version = manifest->version;
  out.description = manifest->description ? manifest->description : "";
  out.service = manifest->service ? manifest->service : "";
  if (manifest->descriptor_set && manifest->descriptor_set_size) {
    out.descriptor_set.assign(reinterpret_cast<const char*>(manifest->descriptor_set),
                              manifest->descriptor_set_size);
  }
  for (auto k = manifest->config; k && k->path; ++k) out.config_schema.push_back(*k);
  out.config = std::move(values);
  out.create = &lib.get_alias<detail::PluginInstance*() noexcept>("coach_plugin_create");
  return out;
}

}  // namespace coach::core
