// SPDX-License-Identifier: Apache-2.0
// Test support: a real coach-gateway child process in front of a DaemonProcess, and a small
// HTTP/1.1 client (Boost.Beast, blocking) to call it.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>
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
        if (http_call(port_, "GET", "/healthz").status == 200) return;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("coach-gateway did not start: " + read_file(log_));
  }
  bool alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

 private:
  int port_;
  std::vector<std::string> args_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace coach::testing
