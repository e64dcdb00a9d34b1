// SPDX-License-Identifier: Apache-2.0
// Test support: a real HTTP server on 127.0.0.1 standing in for an organisation's tool that
// receives webhooks. It answers 200, fails with 503, or hangs without answering, as told; it can
// go down (connection refused) and come back on the same port. Keeps every request it read.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace coach::testing {

class HttpReceiver {
 public:
  enum class Mode { kAnswer200, kFail503, kHang };
  struct Received {
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
  };

  HttpReceiver() { up(); }
  ~HttpReceiver() { down(); }

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set_mode(Mode m) { mode_ = m; }

  // Stops listening: connections are refused until up().
  void down() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
  }
  void up() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 16) != 0)
      throw std::runtime_error("the receiver cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_ = false;
    thread_ = std::thread([this] { serve(); });
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Waits until n requests were read.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received().size() < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      handle(fd);
      ::close(fd);
    }
  }

  void handle(int fd) {
    std::string in;
    char buf[4096];
    std::size_t header_end = std::string::npos, want = 0;
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = in.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        Received r;
        std::size_t line_end = in.find("\r\n");
        const auto first = in.substr(0, line_end);
        r.target = first.substr(first.find(' ') + 1);
        r.target = r.target.substr(0, r.target.find(' '));
        for (std::size_t start = line_end + 2; start < header_end;) {
          const auto end = in.find("\r\n", start);
          const auto line = in.substr(start, end - start);
          start = end + 2;
          const auto colon = line.find(':');
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          auto value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          r.headers[name] = value;
        }
        want = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
        pending_ = std::move(r);
      }
      if (in.size() - header_end - 4 < want) continue;
      pending_.body = in.substr(header_end + 4, want);
      {
        std::lock_guard lock(mutex_);
        received_.push_back(pending_);
      }
      const Mode mode = mode_;
      if (mode == Mode::kHang) {
        while (!stop_ && mode_ == Mode::kHang)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return;  // closes without an answer
      }
      const std::string reply =
          mode == Mode::kAnswer200
              ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
              : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\nConnection: "
                "close\r\n\r\nmaintenance";
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      return;
    }
  }

  int port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::kAnswer200};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  Received pending_;
};

}  // namespace coach::testing
