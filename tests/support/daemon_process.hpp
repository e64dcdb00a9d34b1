// SPDX-License-Identifier: Apache-2.0
// Test support: a real coachd child process on a config written to a temporary directory, with
// a NOTIFY_SOCKET the test reads to know when the daemon is ready, reloading or stopping.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace coach::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("coach-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// A loopback tcp port nobody listens on right now.
inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs argv to completion, capturing its output (in output_file, or a temporary file).
inline RunResult run_command(const std::vector<std::string>& argv, std::string output_file = {}) {
  std::optional<TempDir> scratch;
  if (output_file.empty()) output_file = scratch.emplace().file("output");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_file(output_file)};
}

class DaemonProcess {
 public:
  // plugins_yaml is the text under "plugins:" (indented two spaces); bus_extra lines go under
  // "bus:".
  DaemonProcess(const std::string& plugins_yaml, const std::string& bus_extra = "",
                std::string log_level = "debug")
      : log_level_(std::move(log_level)) {
    request_endpoint_ = "ipc://" + dir_.file("req.sock");
    event_endpoint_ = "ipc://" + dir_.file("ev.sock");
    write_config(plugins_yaml, bus_extra);
    notify_path_ = dir_.file("notify.sock");
    notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify_path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind notify socket");
    }
  }
  ~DaemonProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(notify_fd_);
  }

  // Top-level sections besides log, bus, plugin_dirs and plugins (store, scheduler, deployment).
  // The default keeps the SQLite store in this daemon's temporary directory.
  void set_sections(std::string yaml) {
    sections_ = std::move(yaml);
    write_config(plugins_yaml_, bus_extra_);
  }
  std::string default_sections() const {
    return "store:\n  sqlite:\n    path: " + dir_.file("coachd.db") + "\n";
  }

  void write_config(const std::string& plugins_yaml, const std::string& bus_extra = "") {
    plugins_yaml_ = plugins_yaml;
    bus_extra_ = bus_extra;
    if (!sections_) sections_ = default_sections();
    std::string text = *sections_ + "log:\n  level: " + log_level_ +
                       "\nbus:\n  request_endpoint: " + request_endpoint_ +
                       "\n  event_endpoint: " + event_endpoint_ + "\n" + bus_extra +
                       "plugin_dirs:\n  - " COACH_FIXTURE_DIR "\n  - " COACH_PLUGIN_DIR
                       "\nplugins:\n" +
                       plugins_yaml;
    write_file(config_path(), text);
  }

  std::string config_path() const { return dir_.file("coachd.yaml"); }
  std::string log_path() const { return dir_.file("coachd.log"); }
  std::string log() const { return read_file(log_path()); }
  const std::string& request_endpoint() const { return request_endpoint_; }
  const std::string& event_endpoint() const { return event_endpoint_; }
  const TempDir& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

  // Starts coachd and waits for READY=1.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      ::setenv("NOTIFY_SOCKET", notify_path_.c_str(), 1);
      ::execl(COACHD_BIN, COACHD_BIN, "--config", config_path().c_str(), nullptr);
      ::_exit(127);
    }
    if (!wait_notify("READY=1", timeout)) {
      throw std::runtime_error("coachd did not report READY; log:\n" + log());
    }
  }

  // Waits for a notify datagram containing state; earlier datagrams are consumed.
  bool wait_notify(const std::string& state, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{notify_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        char buf[512];
        auto n = ::recv(notify_fd_, buf, sizeof buf, 0);
        if (n > 0 && std::string(buf, static_cast<std::size_t>(n)).find(state) != std::string::npos)
          return true;
      }
    }
    return false;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  // Waits for the process to end; returns its exit code (128+signal when killed), nullopt on
  // timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

 private:
  std::string log_level_;
  TempDir dir_;
  std::string plugins_yaml_;
  std::string bus_extra_;
  std::optional<std::string> sections_;
  std::string request_endpoint_;
  std::string event_endpoint_;
  std::string notify_path_;
  int notify_fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace coach::testing
