// SPDX-License-Identifier: Apache-2.0
#include "runtime_paths.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

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

namespace {
// The group id of name; -1 (no change) for an empty name.
gid_t group_id(const std::string& name) {
  if (name.empty()) return static_cast<gid_t>(-1);
  struct group* g = ::getgrnam(name.c_str());
  if (!g) throw std::runtime_error("security.ipc_group: no group '" + name + "'");
  return g->gr_gid;
}
}  // namespace

void prepare_ipc_endpoint(const std::string& endpoint, const std::string& group) {
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.rfind(kIpc, 0) != 0) return;
  std::filesystem::path path(endpoint.substr(kIpc.size()));
  if (!path.has_parent_path()) return;
  const auto dir = path.parent_path();
  // Create what is missing, and only what coachd created gets its mode: a directory someone else
  // made (or a shared one such as /tmp) is checked, never changed.
  std::vector<std::filesystem::path> created;
  for (auto p = dir; !p.empty() && !std::filesystem::exists(p); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0 && errno != EEXIST)
      throw std::system_error(errno, std::generic_category(), "cannot create " + it->string());
  }
  if (!created.empty()) {
    const gid_t gid = group_id(group);
    for (const auto& p : created) {
      std::filesystem::permissions(p, std::filesystem::perms(0750));  // whatever the umask
      if (gid != static_cast<gid_t>(-1) && ::chown(p.c_str(), static_cast<uid_t>(-1), gid) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot chgrp " + p.string());
    }
    return;
  }
  check_socket_directory(dir.string());
}

void secure_ipc_socket(const std::string& endpoint, const std::string& group) {
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.rfind(kIpc, 0) != 0) return;
  const std::string path = endpoint.substr(kIpc.size());
  const gid_t gid = group_id(group);
  if (gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot chgrp " + path);
  if (::chmod(path.c_str(), 0660) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot chmod " + path);
}

void check_socket_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot inspect " + dir);
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error(dir + " is not a directory");
  // Another user's directory lets its owner move our socket away and answer in our place.
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    throw std::runtime_error(
        "the socket directory " + dir + " belongs to uid " + std::to_string(st.st_uid) +
        ", not to coachd's uid " + std::to_string(::geteuid()) +
        ": another user could replace the socket; use a directory coachd owns (or let it create "
        "one)");
  }
  // Writable by others without the sticky bit: anyone there can rename or remove our socket.
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
    throw std::runtime_error("the socket directory " + dir +
                             " is writable by other users without the sticky bit: they could "
                             "replace the socket; use a directory coachd owns");
  }
}

}  // namespace coach::core
