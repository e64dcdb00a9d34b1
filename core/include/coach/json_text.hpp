// SPDX-License-Identifier: Apache-2.0
// text as a JSON string literal, quotes included (for JSON put together by hand around JSON
// that protobuf printed).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace coach {

inline std::string json_text(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace coach
