// SPDX-License-Identifier: Apache-2.0
#include "webhook_sender.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace webhooks {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Starts the exchange on stream (plain or TLS, connected); everything it uses outlives the run.
template <typename Stream>
void exchange(Stream& stream, http::request<http::string_body>& req, beast::flat_buffer& buffer,
              http::response<http::string_body>& res, beast::error_code& out) {
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      out = ec;
      return;
    }
    http::async_read(stream, buffer, res, [&](beast::error_code ec2, std::size_t) { out = ec2; });
  });
}

}  // namespace

SendResult WebhookSender::post(const Url& url, const Headers& headers,
                               const std::string& body) const {
  SendResult result;
  try {
    asio::io_context io;
    http::request<http::string_body> req(http::verb::post, url.target, 11);
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "coachd-webhooks");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    beast::error_code ec;

    tcp::resolver resolver(io);
    std::optional<beast::tcp_stream> plain;
    std::optional<asio::ssl::context> tls_context;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::tcp_stream* socket = nullptr;
    if (url.tls) {
      tls_context.emplace(asio::ssl::context::tls_client);
      tls_context->set_default_verify_paths();
      tls_context->set_verify_mode(asio::ssl::verify_peer);
      tls.emplace(io, *tls_context);
      tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
      SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str());
      socket = &beast::get_lowest_layer(*tls);
    } else {
      plain.emplace(io);
      socket = &*plain;
    }
    // One deadline for all of it: resolving, connecting, the handshake, writing and reading.
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    socket->expires_at(deadline);
    resolver.async_resolve(
        url.host, url.port, [&](beast::error_code rec, const tcp::resolver::results_type& found) {
          if (rec) {
            ec = rec;
            return;
          }
          socket->async_connect(found, [&](beast::error_code cec, const tcp::endpoint&) {
            if (cec) {
              ec = cec;
              return;
            }
            if (!tls) {
              exchange(*plain, req, buffer, res, ec);
              return;
            }
            tls->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hec) {
              if (hec) {
                ec = hec;
                return;
              }
              exchange(*tls, req, buffer, res, ec);
            });
          });
        });
    // The stream's own timer ends a slow exchange at the deadline; a slow name lookup has none.
    io.run_until(deadline + std::chrono::milliseconds(100));
    if (!io.stopped()) {
      result.error = "no answer within " + std::to_string(timeout_.count()) + " ms";
      return result;
    }
    if (ec) {
      result.error = ec == beast::error::timeout
                         ? "no answer within " + std::to_string(timeout_.count()) + " ms"
                         : ec.message();
      return result;
    }
    result.http_status = static_cast<int>(res.result_int());
    if (!succeeded(result.http_status)) {
      result.error = "HTTP " + std::to_string(result.http_status);
      std::string excerpt = res.body().substr(0, 200);
      if (!excerpt.empty()) result.error += ": " + excerpt;
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace webhooks
