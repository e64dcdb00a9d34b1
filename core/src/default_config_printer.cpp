// SPDX-License-Identifier: Apache-2.0
#include "default_config_printer.hpp"

#include "coach/detail/config_schema.hpp"
#include "plugin_loader.hpp"

namespace coach::core {

namespace {

// The plugin's entry with its config left out: only the manifest is wanted.
PluginLibrary load_manifest(PluginLoader& loader, const DaemonConfig& config,
                            const PluginConfig& plugin) {
  PluginConfig bare = plugin;
  bare.values.clear();
  bare.lines.clear();
  return loader.load(bare, config.plugin_dirs);
}

}  // namespace

std::string print_default_config(const DaemonConfig& config) {
  const std::string& text = default_config_text();
  auto cut = text.find("\nplugins:");
  std::string out = text.substr(0, cut == std::string::npos ? text.size() : cut + 1);
  out +=
      "plugins:\n"
      "  # Each plugin's keys with their defaults, from the schema in its manifest.\n";
  PluginLoader loader;
  for (const auto& plugin : config.plugins) {
    out += "  " + plugin.name + ":\n    enabled: " + (plugin.enabled ? "true" : "false") + "\n";
    try {
      auto library = load_manifest(loader, config, plugin);
      library.config_schema.push_back({});
      if (library.config_schema.size() > 1) {
        out += "    config:\n" + detail::config_schema_yaml(library.config_schema.data(), 6);
      }
    } catch (const LoadError& e) {
      out += "    # not loadable here: " + std::string(e.what()) + "\n";
    }
  }
  return out;
}

std::string plugin_config_table(const DaemonConfig& config, const std::string& plugin) {
  const PluginConfig* entry = config.find_plugin(plugin);
  PluginConfig bare;
  if (entry) {
    bare = *entry;
  } else {
    bare.name = plugin;
    bare.library = plugin + ".so";
  }
  PluginLoader loader;
  auto library = load_manifest(loader, config, bare);
  library.config_schema.push_back({});
  return detail::config_schema_markdown(library.config_schema.data());
}

}  // namespace coach::core
