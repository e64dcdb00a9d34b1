// SPDX-License-Identifier: Apache-2.0
#include "plugin_docs.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <vector>

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

PluginConfig entry_of(const DaemonConfig& config, const std::string& plugin) {
  if (const PluginConfig* entry = config.find_plugin(plugin)) return *entry;
  PluginConfig bare;
  bare.name = plugin;
  bare.library = plugin + ".so";
  return bare;
}

// A .proto comment as one Markdown table cell.
std::string one_line(const std::string& comment) {
  std::string out;
  for (char c : comment) {
    if (c == '\n') c = ' ';
    if (c == '|') out += '\\';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ".coach.v1.echo.EchoRequest" -> "EchoRequest".
std::string short_type(const std::string& full) { return full.substr(full.rfind('.') + 1); }

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
  PluginLoader loader;
  auto library = load_manifest(loader, config, entry_of(config, plugin));
  library.config_schema.push_back({});
  return detail::config_schema_markdown(library.config_schema.data());
}

std::string plugin_method_table(const DaemonConfig& config, const std::string& plugin) {
  PluginLoader loader;
  const auto library = load_manifest(loader, config, entry_of(config, plugin));
  google::protobuf::FileDescriptorSet files;
  if (library.service.empty()) return "The plugin serves no methods.\n";
  if (!files.ParseFromString(library.descriptor_set))
    throw LoadError("the plugin's embedded .proto files do not parse");
  // Read from the FileDescriptorProtos themselves: their comments are in source_code_info, by
  // path (6 = service, 2 = method).
  for (const auto& file : files.file()) {
    for (int si = 0; si < file.service_size(); ++si) {
      const auto& service = file.service(si);
      if ((file.package().empty() ? "" : file.package() + ".") + service.name() != library.service)
        continue;
      auto comment = [&](std::vector<int> path) {
        for (const auto& loc : file.source_code_info().location()) {
          if (std::equal(loc.path().begin(), loc.path().end(), path.begin(), path.end()))
            return one_line(loc.leading_comments());
        }
        return std::string();
      };
      std::string out = "`" + library.service + "`: " + comment({6, si}) + "\n\n" +
                        "| Method | Request | Reply | What |\n|---|---|---|---|\n";
      for (int mi = 0; mi < service.method_size(); ++mi) {
        const auto& m = service.method(mi);
        out += "| `" + m.name() + "` | `" + short_type(m.input_type()) + "` | `" +
               short_type(m.output_type()) + "` | " + comment({6, si, 2, mi}) + " |\n";
      }
      return out;
    }
  }
  throw LoadError("service " + library.service + " is not in the plugin's embedded .proto files");
}

}  // namespace coach::core
