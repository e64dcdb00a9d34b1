// SPDX-License-Identifier: Apache-2.0
// ConfigSection: a plugin's own section of coachd.yaml, checked against the schema in its manifest
// with every default filled in, flattened to dotted keys ("names.tells_controls" -> "Driver"; list
// items as "keys.0", "keys.1"). Read-only and immutable once handed to a plugin, so any thread may
// read it. Read a key the schema declares with get_string("key"), get_int, get_double, get_bool or
// get_list; the default lives in the schema, never at the call.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coach/error.hpp"

namespace coach {

class ConfigSection {
 public:
  ConfigSection() = default;
  ConfigSection(std::string owner, std::map<std::string, std::string> values)
      : owner_(std::move(owner)), values_(std::move(values)) {}

  bool has(const std::string& key) const { return values_.count(key) != 0 || is_list(key); }

  // Returns the value at key, or fallback when absent. Throws coach::Error naming the key when
  // the value is present but not of the asked type.
  std::string get_string(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    std::int64_t v = 0;
    const auto& s = it->second;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) throw bad_type(key, "an integer");
    return v;
  }
  double get_double(const std::string& key, double fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
      std::size_t used = 0;
      double v = std::stod(it->second, &used);
      if (used != it->second.size()) throw bad_type(key, "a number");
      return v;
    } catch (const std::logic_error&) {
      throw bad_type(key, "a number");
    }
  }
  bool get_bool(const std::string& key, bool fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    if (it->second == "true" || it->second == "yes" || it->second == "on") return true;
    if (it->second == "false" || it->second == "no" || it->second == "off") return false;
    throw bad_type(key, "true or false");
  }
  // Items of a YAML sequence at key, in order; empty when absent.
  std::vector<std::string> get_list(const std::string& key) const {
    std::vector<std::string> out;
    for (std::size_t i = 0;; ++i) {
      auto it = values_.find(key + "." + std::to_string(i));
      if (it == values_.end()) break;
      out.push_back(it->second);
    }
    return out;
  }

  // The value at key, which the manifest's schema declares (so the loader filled in its default).
  // Throws coach::Error when key is not in the section: a key missing from the schema.
  std::string get_string(const std::string& key) const { return get_string(key, required(key)); }
  std::int64_t get_int(const std::string& key) const {
    required(key);
    return get_int(key, 0);
  }
  double get_double(const std::string& key) const {
    required(key);
    return get_double(key, 0);
  }
  bool get_bool(const std::string& key) const {
    required(key);
    return get_bool(key, false);
  }

  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  bool is_list(const std::string& key) const { return values_.count(key + ".0") != 0; }
  const std::string& required(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) {
      throw Error(v1::STATUS_CODE_INTERNAL,
                  "config key " + key + " of plugin " + owner_ + " is not in its schema");
    }
    return it->second;
  }
  Error bad_type(const std::string& key, const char* expected) const {
    return Error(v1::STATUS_CODE_INVALID_ARGUMENT,
                 "config plugins." + owner_ + ".config." + key + ": expected " + expected);
  }

  std::string owner_;
  std::map<std::string, std::string> values_;
};

}  // namespace coach
