// SPDX-License-Identifier: Apache-2.0
// Test support: a real coach-gateway child process in front of a DaemonProcess, and a small
// HTTP/1.1 client (Boost.Beast, blocking) to call it.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon_process.hpp"

namespace coach::testing {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

// One request on a new connection; status 0 when the gateway closed it without an answer.
inline HttpResult http_call(int port, const std::string& method, const std::string& target,
                            const std::string& body = {}, const std::string& token = {},
                            const std::map<std::string, std::string>& headers = {}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(port)));
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "localhost");
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  stream.expires_after(std::chrono::seconds(20));
  HttpResult out;
  beast::error_code ec;
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return out;
  auto res = parser.release();
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res)
    out.headers[std::string(field.name_string())] = std::string(field.value());
  return out;
}

// One event of a Server-Sent Events stream.
struct SseEvent {
  std::string id;
  std::string event;  // empty for a plain message
  std::string data;
};

// A client of GET /v1/events on a plain socket: sends the request, then parses what arrives.
class SseClient {
 public:
  SseClient(int port, const std::string& target, const std::string& token = {},
            const std::string& last_event_id = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to the gateway");
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
    req += "\r\n";
    (void)::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~SseClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until the header arrived; the HTTP status (0 when the connection closed first).
  unsigned status(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (status_ == 0 && !closed_ && std::chrono::steady_clock::now() < deadline) read_some();
    return status_;
  }
  // Reads until an event whose data contains needle arrived; that event, or nullopt.
  std::optional<SseEvent> wait_for(const std::string& needle,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const auto& e : events_)
        if (e.data.find(needle) != std::string::npos) return e;
      if (closed_ || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      read_some();
    }
  }
  bool has(const std::string& needle) const {
    for (const auto& e : events_)
      if (e.data.find(needle) != std::string::npos) return true;
    return false;
  }
  const std::vector<SseEvent>& events() const { return events_; }
  const std::string& head() const { return head_; }
  bool closed() const { return closed_; }

 private:
  void read_some() {
    char buf[8192];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) closed_ = true;
    if (n <= 0) return;
    buffer_.append(buf, static_cast<std::size_t>(n));
    if (status_ == 0) {
      const auto end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = buffer_.substr(0, end);
      status_ = static_cast<unsigned>(std::stoi(head_.substr(9, 3)));
      buffer_.erase(0, end + 4);
    }
    for (auto end = buffer_.find("\n\n"); end != std::string::npos; end = buffer_.find("\n\n")) {
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent e;
      std::size_t start = 0;
      while (start < block.size()) {
        auto nl = block.find('\n', start);
        if (nl == std::string::npos) nl = block.size();
        const auto line = block.substr(start, nl - start);
        start = nl + 1;
        if (line.starts_with("id: ")) e.id = line.substr(4);
        if (line.starts_with("event: ")) e.event = line.substr(7);
        if (line.starts_with("data: ")) e.data = line.substr(6);
      }
      if (!e.data.empty()) events_.push_back(std::move(e));
    }
  }

  int fd_ = -1;
  std::string buffer_, head_;
  unsigned status_ = 0;
  bool closed_ = false;
  std::vector<SseEvent> events_;
};

// GET target over HTTPS, trusting only ca_file, checking the name "localhost".
inline HttpResult https_get(int port, const std::string& target, const std::string& ca_file) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace ssl = boost::asio::ssl;
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  HttpResult out;
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                     static_cast<unsigned short>(port)),
      ec);
  if (ec) return out;
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return out;
  http::request<http::string_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "localhost");
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return out;
  out.status = res.result_int();
  out.body = res.body();
  return out;
}

class GatewayProcess {
 public:
  GatewayProcess(const DaemonProcess& daemon, std::vector<std::string> extra = {})
      : port_(free_tcp_port()) {
    args_ = {COACH_GATEWAY_BIN, "--listen", "127.0.0.1:" + std::to_string(port_), "-e",
             daemon.request_endpoint()};
    args_.insert(args_.end(), extra.begin(), extra.end());
    log_ = daemon.dir().file("gateway.log");
  }
  ~GatewayProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args_) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        const auto status = ca_file_.empty() ? http_call(port_, "GET", "/healthz").status
                                             : https_get(port_, "/healthz", ca_file_).status;
        if (status == 200) return;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("coach-gateway did not start: " + read_file(log_));
  }
  // Served over HTTPS with a certificate ca_file vouches for: start() checks it so.
  void expect_tls(std::string ca_file) { ca_file_ = std::move(ca_file); }
  bool alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

 private:
  int port_;
  std::vector<std::string> args_;
  std::string log_;
  std::string ca_file_;
  pid_t pid_ = -1;
};

}  // namespace coach::testing
