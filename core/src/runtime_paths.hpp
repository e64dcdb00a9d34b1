// SPDX-License-Identifier: Apache-2.0
// Where coachd puts its sockets and finds its plugins, shared by the daemon and its clients.
#pragma once

#include <string>

namespace coach::core {

// $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/coachd, else /tmp/coachd-<uid>.
std::string runtime_dir();
// $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/coachd, else ~/.local/state/coachd.
std::string state_dir();
// Directory of the running executable.
std::string executable_dir();
// Replaces $ORIGIN (executable dir), $RUNTIME_DIR and $STATE_DIR in text.
std::string expand_path_variables(const std::string& text);
// The request and event endpoints of the embedded default config.
std::string default_request_endpoint();
std::string default_event_endpoint();
// Makes the directory of an ipc:// endpoint safe to bind in. Missing directories are created with
// mode 0750 (and group, when named); an existing one is never changed, only checked
// (check_socket_directory). No-op for other transports. Throws with a sentence naming the
// directory.
void prepare_ipc_endpoint(const std::string& endpoint, const std::string& group = {});
// After the bind: the socket file gets mode 0660 and group (when named), so only coachd's user
// and that group's members (the tenant's local operators) can connect. No-op for other transports.
void secure_ipc_socket(const std::string& endpoint, const std::string& group);
// Refuses a directory owned by another user (root's shared ones such as /tmp excepted) or
// writable by others without the sticky bit: there another user could move the socket away and
// answer in coachd's place.
void check_socket_directory(const std::string& dir);

}  // namespace coach::core
