// SPDX-License-Identifier: Apache-2.0
#include "http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <deque>
#include <optional>
#include <type_traits>

namespace coach::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxStreamBacklog = 1 << 20;  // bytes a stream's client may lag behind

// A reply's status line and header fields, through the blank line. Written by hand: Beast's
// response object and serializer cost a fifth of the gateway's instructions per request.
std::string head_of(unsigned status, unsigned version, std::string_view content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::optional<std::size_t> content_length, bool keep_alive) {
  std::string head;
  head.reserve(160);
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  head.append(reason.data(), reason.size());
  auto field = [&head](std::string_view name, std::string_view value) {
    head += name;
    head += ": ";
    for (const char c : value) head += (c == '\r' || c == '\n') ? ' ' : c;  // no header injection
    head += "\r\n";
  };
  head += "\r\n";
  field("Server", "coach-gateway");
  field("Content-Type", content_type);
  for (const auto& [name, value] : headers) field(name, value);
  if (content_length) field("Content-Length", std::to_string(*content_length));
  if (!keep_alive) {
    field("Connection", "close");
  } else if (version == 10) {
    field("Connection", "keep-alive");
  }
  head += "\r\n";
  return head;
}

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, plain or TLS (Stream), read one request at a time.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session>::shared_from_this;
  using std::enable_shared_from_this<Session>::weak_from_this;

 public:
  Session(tcp::socket socket, asio::ssl::context* tls, const ServerLimits& limits, HttpApi& api,
          std::shared_ptr<std::size_t> open)
      : stream_(make_stream(std::move(socket), tls)),
        limits_(limits),
        api_(api),
        open_(std::move(open)) {
    ++*open_;
  }
  ~Session() { --*open_; }

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(limits_.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) {
                                  self->close();  // not TLS, or a certificate the client refused
                                  return;
                                }
                                self->read();
                              });
    } else {
      read();
    }
  }

 private:
  static Stream make_stream(tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body);
    parser_->header_limit(16 * 1024);
    // A new connection's first request must arrive whole within request_timeout (a client that
    // trickles bytes is cut off); a later one within idle_timeout.
    lowest().expires_after(first_ ? limits_.request_timeout : limits_.idle_timeout);
    first_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      HttpReply r = error_reply(v1::STATUS_CODE_OVERSIZED_FRAME,
                                "the body exceeds " + std::to_string(limits_.max_body) + " bytes");
      r.status = 413;
      write(std::move(r), false);
      return;
    }
    if (ec) {
      // A request that does not parse as HTTP gets a 400 before the close.
      if (ec != http::error::end_of_stream &&
          ec.category() == http::make_error_code(http::error::bad_target).category()) {
        write(error_reply(v1::STATUS_CODE_INVALID_ARGUMENT, "bad HTTP: " + ec.message()), false);
        return;
      }
      close();
      return;
    }
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest in{std::string(req.method_string()),
                   std::string(req.target()),
                   std::string(req[http::field::authorization]),
                   std::move(req.body()),
                   std::string(req["X-Coach-Signature"]),
                   std::string(req["X-Coach-Timestamp"]),
                   std::string(req["Last-Event-ID"]),
                   std::string(req[http::field::cookie]),
                   std::string(req["X-CSRF-Token"]),
                   std::string(req[http::field::accept_encoding])};
    lowest().expires_never();  // the API answers within its own timeout
    api_.handle(std::move(in), [self = shared_from_this()](HttpReply reply) {
      self->write(std::move(reply), self->keep_alive_);
    });
  }

  // Queues text on a stream; false (and closed) when the client left or lags too far behind.
  bool enqueue(std::string text) {
    if (closed_) return false;
    backlog_ += text.size();
    if (backlog_ > kMaxStreamBacklog) {
      close();
      return false;
    }
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) write_next();
    return true;
  }

  class Sink : public EventSink {
   public:
    explicit Sink(std::weak_ptr<Session> session) : session_(std::move(session)) {}
    bool send(std::string text) override {
      auto s = session_.lock();
      return s && s->enqueue(std::move(text));
    }
    void close() override {
      if (auto s = session_.lock()) s->close();
    }

   private:
    std::weak_ptr<Session> session_;
  };

  // The response becomes a stream: its header now, then whatever the API sends through the sink
  // until the client closes (a read that completes tells) or lags too far behind.
  void start_stream(HttpReply reply) {
    lowest().expires_never();
    reply.headers.emplace_back("Cache-Control", "no-cache");
    reply.headers.emplace_back("X-Accel-Buffering", "no");
    enqueue(head_of(200, 11, "text/event-stream", reply.headers, std::nullopt, false));
    watch_close();
    reply.stream(std::make_shared<Sink>(weak_from_this()));
  }

  void watch_close() {
    stream_.async_read_some(boost::asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->watch_close();
                            });
  }

  void write_next() {
    boost::asio::async_write(stream_, boost::asio::buffer(outbox_.front()),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                               if (ec) {
                                 self->close();
                                 return;
                               }
                               self->backlog_ -= n;
                               self->outbox_.pop_front();
                               if (!self->outbox_.empty()) self->write_next();
                             });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  void write(HttpReply reply, bool keep_alive) {
    if (reply.stream) {
      start_stream(std::move(reply));
      return;
    }
    auto out = std::make_shared<std::array<std::string, 2>>(std::array<std::string, 2>{
        head_of(reply.status, version_ ? version_ : 11, reply.content_type, reply.headers,
                reply.body.size(), keep_alive),
        std::move(reply.body)});
    lowest().expires_after(limits_.request_timeout);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer((*out)[0]),
                                                    asio::buffer((*out)[1])};
    asio::async_write(
        stream_, buffers,
        [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            self->close();
            return;
          }
          self->read();
        });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const ServerLimits& limits_;
  HttpApi& api_;
  std::shared_ptr<std::size_t> open_;
  bool first_ = true;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  // A stream's state.
  std::deque<std::string> outbox_;
  std::size_t backlog_ = 0;
  bool closed_ = false;
  std::array<char, 256> discard_{};
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& context, ServerLimits l, HttpApi& a)
      : io(context), acceptor(context), limits(l), api(a), open(std::make_shared<std::size_t>(0)) {
    if (!limits.tls_cert.empty()) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(limits.tls_cert);
      tls->use_private_key_file(limits.tls_key, asio::ssl::context::pem);
    }
  }

  void accept() {
    acceptor.async_accept(io, [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (*self->open >= self->limits.max_connections) {
          beast::error_code ignored;
          s.close(ignored);  // bounded: past the limit a connection is closed at once
        } else {
          s.set_option(tcp::no_delay(true));
          if (self->tls)
            std::make_shared<Session<TlsStream>>(std::move(s), &*self->tls, self->limits, self->api,
                                                 self->open)
                ->start();
          else
            std::make_shared<Session<PlainStream>>(std::move(s), nullptr, self->limits, self->api,
                                                   self->open)
                ->start();
        }
      }
      self->accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  ServerLimits limits;
  HttpApi& api;
  std::shared_ptr<std::size_t> open;
  std::optional<asio::ssl::context> tls;
};

HttpServer::HttpServer(asio::io_context& io, const std::string& host, unsigned short port,
                       ServerLimits limits, HttpApi& api)
    : impl_(std::make_shared<Impl>(io, limits, api)) {
  tcp::endpoint endpoint(asio::ip::make_address(host), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
}

HttpServer::~HttpServer() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

unsigned short HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }
std::size_t HttpServer::connections() const { return *impl_->open; }

}  // namespace coach::gateway
