// SPDX-License-Identifier: Apache-2.0
#include "runtime_paths.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace coach::core {

std::string runtime_dir() {
  if (const char* d = std::getenv("RUNTIME_DIRECTORY"); d && *d) return d;
  if (const char* d = std::getenv("XDG_RUNTIME_DIR"); d && *d) return std::string(d) + "/coachd";
  return "/tmp/coachd-" + std::to_string(::getuid());
}

std::string state_dir() {
  if (const char* d = std::getenv("STATE_DIRECTORY"); d && *d) return d;
  if (const char* d = std::getenv("XDG_STATE_HOME"); d && *d) return std::string(d) + "/coachd";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.local/state/coachd";
  return "/tmp/coachd-" + std::to_string(::getuid()) + "/state";
}

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return exe.parent_path().string();
}

static void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

std::string expand_path_variables(const std::string& text) {
  std::string out = text;
  if (out.find("$ORIGIN") != std::string::npos) replace_all(out, "$ORIGIN", executable_dir());
  if (out.find("$RUNTIME_DIR") != std::string::npos)
    replace_all(out, "$RUNTIME_DIR", runtime_dir());
  if (out.find("$STATE_DIR") != std::string::npos) replace_all(out, "$STATE_DIR", state_dir());
  return out;
}

std::string default_request_endpoint() { return "ipc://" + runtime_dir() + "/requests.sock"; }
std::string default_event_endpoint() { return "ipc://" + runtime_dir() + "/events.sock"; }

void prepare_ipc_endpoint(const std::string& endpoint) {
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.rfind(kIpc, 0) != 0) return;
  std::filesystem::path path(endpoint.substr(kIpc.size()));
  if (!path.has_parent_path()) return;
  std::filesystem::create_directories(path.parent_path());
  std::filesystem::permissions(path.parent_path(), std::filesystem::perms(0750));
}

}  // namespace coach::core
