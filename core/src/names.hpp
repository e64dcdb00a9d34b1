// SPDX-License-Identifier: Apache-2.0
// The shapes of names on the bus, checked in one place: plugin and tenant names, method names
// and event topics.
#pragma once

#include <string_view>

namespace coach::core {

inline bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// [a-z][a-z0-9_]*: plugin (service) and tenant names.
inline bool is_plugin_name(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!is_lower_alnum(c)) return false;
  }
  return true;
}

// [A-Za-z][A-Za-z0-9_]*: method names.
inline bool is_method_name(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

// Two or more dot-separated [a-z0-9_]+ parts: event topics ("plugin.event").
inline bool is_topic(std::string_view s) {
  int parts = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (i == start) return false;
      ++parts;
      start = i + 1;
    } else if (!is_lower_alnum(s[i])) {
      return false;
    }
  }
  return parts >= 2;
}

}  // namespace coach::core
