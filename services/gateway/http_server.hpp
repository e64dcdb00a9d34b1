// SPDX-License-Identifier: Apache-2.0
// HttpServer: HTTP/1.1 with keep-alive on one thread (Boost.Beast over Asio). Each connection
// reads one request at a time, with a body limit (413 beyond it), a deadline for the whole
// request (a slow client is cut off) and an idle limit between requests; past max_connections
// a new connection is closed at once. With a certificate and key it speaks TLS (1.2 and up) only.
// Answers come from HttpApi.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "http_api.hpp"

namespace coach::gateway {

struct ServerLimits {
  std::size_t max_body = 1 << 20;
  std::chrono::milliseconds request_timeout{10'000};  // to read one whole request
  std::chrono::milliseconds idle_timeout{60'000};     // between requests on a connection
  std::size_t max_connections = 10'000;
  // HTTPS when set: PEM certificate chain and private key files.
  std::string tls_cert;
  std::string tls_key;
};

class HttpServer {
 public:
  // Binds host:port (port 0: any free one) on io.
  HttpServer(boost::asio::io_context& io, const std::string& host, unsigned short port,
             ServerLimits limits, HttpApi& api);
  ~HttpServer();
  unsigned short port() const;
  std::size_t connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace coach::gateway
