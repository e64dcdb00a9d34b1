// SPDX-License-Identifier: Apache-2.0
// Helpers for plugins whose texts or questionnaires live in data files an organization can
// replace: a message in the protobuf JSON mapping, from a file named in config or from a built-in
// copy compiled into the plugin (coach_embed_text in CMake).
#pragma once

#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace coach {

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Parses json as Msg; the error names what (a file name) and the parser's reason.
template <typename Msg>
Msg message_from_json(const std::string& json, const std::string& what) {
  Msg msg;
  auto status = google::protobuf::util::JsonStringToMessage(json, &msg);
  if (!status.ok()) throw std::runtime_error(what + ": " + status.ToString());
  return msg;
}

// The message in path, or in builtin_json when path is empty.
template <typename Msg>
Msg load_data_file(const std::string& path, const char* builtin_json, const std::string& name) {
  if (path.empty()) return message_from_json<Msg>(builtin_json, "built-in " + name);
  return message_from_json<Msg>(read_text_file(path), path);
}

}  // namespace coach
