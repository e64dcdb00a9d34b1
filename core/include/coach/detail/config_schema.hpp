// SPDX-License-Identifier: Apache-2.0
// A plugin's config section checked against the schema in its manifest, with defaults filled in;
// and the schema written out as YAML and as a Markdown table. One implementation for coachd's
// loader, coach/testing.hpp and the docs, so they cannot disagree. Not for plugin authors.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "coach/abi.hpp"
#include "coach/error.hpp"

namespace coach::detail {

inline const char* config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kString:
      return "string";
    case ConfigType::kInt:
      return "integer";
    case ConfigType::kNumber:
      return "number";
    case ConfigType::kBool:
      return "boolean";
    case ConfigType::kStringList:
      return "list of strings";
  }
  return "?";
}

inline std::vector<std::string> split_config_list(std::string_view text, std::string_view sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(sep, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + sep.size();
  }
}

inline std::string format_bound(double v) {
  std::ostringstream s;
  s.precision(12);
  s << v;
  return s.str();
}

// "1 .. 100", "at least 0", "one of a, b", or empty.
inline std::string config_constraint(const ConfigKey& key) {
  if (key.one_of) {
    std::string out = "one of ";
    auto values = split_config_list(key.one_of, "|");
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
    return out;
  }
  const bool has_min = std::isfinite(key.min), has_max = std::isfinite(key.max);
  if (has_min && has_max) return format_bound(key.min) + " .. " + format_bound(key.max);
  if (has_min) return "at least " + format_bound(key.min);
  if (has_max) return "at most " + format_bound(key.max);
  return {};
}

// Checks values (the section flattened to dotted keys, list items as "key.0", with the line of
// each in lines) against schema and returns them with every default filled in. Throws
// coach::Error INVALID_ARGUMENT naming the full path, the line and what is wrong.
inline std::map<std::string, std::string> apply_config_schema(
    const ConfigKey* schema, const std::string& plugin,
    const std::map<std::string, std::string>& values, const std::map<std::string, int>& lines) {
  const std::string root = "plugins." + plugin + ".config.";
  auto fail = [&](const std::string& key, const std::string& why) -> Error {
    auto line = lines.find(key);
    return Error(v1::STATUS_CODE_INVALID_ARGUMENT,
                 root + key +
                     (line != lines.end() && line->second > 0
                          ? " (line " + std::to_string(line->second) + ")"
                          : std::string()) +
                     ": " + why);
  };
  auto accepted = [&] {
    std::string out;
    for (auto k = schema; k && k->path; ++k)
      out += (out.empty() ? "" : ", ") + std::string(k->path);
    return out.empty() ? std::string("no keys") : out;
  };
  auto check_value = [&](const ConfigKey& k, const std::string& key, const std::string& v) {
    const char* const b = v.data();
    const char* const e = v.data() + v.size();
    double number = 0;
    switch (k.type) {
      case ConfigType::kInt: {
        long long i = 0;
        auto [p, ec] = std::from_chars(b, e, i);
        if (ec != std::errc() || p != e) throw fail(key, "expected an integer, got '" + v + "'");
        number = static_cast<double>(i);
        break;
      }
      case ConfigType::kNumber: {
        char* end = nullptr;
        number = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(number))
          throw fail(key, "expected a number, got '" + v + "'");
        break;
      }
      case ConfigType::kBool:
        if (v != "true" && v != "false" && v != "yes" && v != "no" && v != "on" && v != "off")
          throw fail(key, "expected true or false, got '" + v + "'");
        return;
      case ConfigType::kString:
      case ConfigType::kStringList:
        if (k.one_of) {
          for (const auto& allowed : split_config_list(k.one_of, "|"))
            if (allowed == v) return;
          throw fail(key, "'" + v + "' is not " + config_constraint(k));
        }
        return;
    }
    if (number < k.min || number > k.max)
      throw fail(key, v + " is out of range (" + config_constraint(k) + ")");
  };

  for (const auto& [key, value] : values) {
    const ConfigKey* match = nullptr;
    for (auto k = schema; k && k->path && !match; ++k) {
      const std::string_view path = k->path;
      if (key == path) {
        if (k->type == ConfigType::kStringList) throw fail(key, "expected a list, e.g. [a, b]");
        match = k;
      } else if (key.size() > path.size() && key.starts_with(path) && key[path.size()] == '.') {
        const std::string_view rest = std::string_view(key).substr(path.size() + 1);
        const bool index = rest.find_first_not_of("0123456789") == std::string_view::npos;
        if (k->type != ConfigType::kStringList || !index)
          throw fail(std::string(path), std::string("expected a single ") +
                                            config_type_name(k->type) + ", not a list or map");
        match = k;
      }
    }
    if (!match)
      throw fail(key, "not a config key of plugin " + plugin + "; it accepts: " + accepted());
    check_value(*match, key, value);
  }

  std::map<std::string, std::string> out = values;
  for (auto k = schema; k && k->path; ++k) {
    const std::string path = k->path;
    const std::string def = k->default_value ? k->default_value : "";
    if (k->type == ConfigType::kStringList) {
      if (out.count(path + ".0")) continue;
      auto items = split_config_list(def, ", ");
      for (std::size_t i = 0; i < items.size(); ++i) out[path + "." + std::to_string(i)] = items[i];
      continue;
    }
    if (out.count(path)) continue;
    if (def.empty() && (k->type == ConfigType::kInt || k->type == ConfigType::kNumber ||
                        k->type == ConfigType::kBool))
      throw fail(path, "required (" + std::string(config_type_name(k->type)) + ")");
    out[path] = def;
  }
  return out;
}

// The schema as the YAML body of a plugin's config: section, nested keys as nested maps, each
// key with its default and a comment; indent is the column of the top keys.
inline std::string config_schema_yaml(const ConfigKey* schema, int indent) {
  std::string out;
  std::vector<std::string> open;  // the map path currently written
  for (auto k = schema; k && k->path; ++k) {
    auto parts = split_config_list(k->path, ".");
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    open.resize(common);
    for (std::size_t i = common; i + 1 < parts.size(); ++i) {
      out += std::string(static_cast<std::size_t>(indent) + 2 * i, ' ') + parts[i] + ":\n";
      open.push_back(parts[i]);
    }
    std::string value = k->default_value ? k->default_value : "";
    if (k->type == ConfigType::kStringList) {
      value = "[" + value + "]";
    } else if (k->type == ConfigType::kString) {
      value = "\"" + value + "\"";
    }
    std::string comment = k->description ? k->description : "";
    if (auto c = config_constraint(*k); !c.empty()) comment += " (" + c + ")";
    out += std::string(static_cast<std::size_t>(indent) + 2 * (parts.size() - 1), ' ') +
           parts.back() + ": " + value + (comment.empty() ? "" : "  # " + comment) + "\n";
  }
  return out;
}

// The schema as a Markdown table for the plugin's README.
inline std::string config_schema_markdown(const ConfigKey* schema) {
  std::string out = "| Key | Type | Default | Allowed | Description |\n|---|---|---|---|---|\n";
  for (auto k = schema; k && k->path; ++k) {
    const std::string def = k->default_value && *k->default_value ? k->default_value : "";
    out += "| `" + std::string(k->path) + "` | " + config_type_name(k->type) + " | " +
           (def.empty() ? std::string("(none)") : "`" + def + "`") + " | " + config_constraint(*k) +
           " | " + (k->description ? k->description : "") + " |\n";
  }
  return out;
}

}  // namespace coach::detail
