// SPDX-License-Identifier: Apache-2.0
// What the gateway's HTTP server and its API exchange: a request, a reply (or a stream), and how
// coachd's status codes read in HTTP.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "coach/v1/envelope.pb.h"

namespace coach::gateway {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query
  std::string authorization;
  std::string body;
  std::string signature;      // X-Coach-Signature (webhooks in)
  std::string timestamp;      // X-Coach-Timestamp (webhooks in)
  std::string last_event_id;  // Last-Event-ID (a reconnecting event stream)
  std::string cookie;
  std::string csrf_token;  // X-CSRF-Token (a web session's POSTs)
  std::string accept_encoding;
};

// Where a streamed response (Server-Sent Events) writes once its header went out.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Queues text for the client; false once the client left or fell too far behind (then the
  // connection is closed).
  virtual bool send(std::string text) = 0;
  // Ends the stream (the client may reconnect).
  virtual void close() = 0;
};

struct HttpReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a stream: the server sends the header (text/event-stream), then hands this the sink
  // the stream is written to until the client leaves.
  std::function<void(std::shared_ptr<EventSink>)> stream;
};

// A reply with body, of content_type.
inline HttpReply reply_of(std::string body, unsigned status = 200,
                          std::string content_type = "application/json") {
  HttpReply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

// coachd's status code as an HTTP status.
unsigned http_status(v1::StatusCode code);
// {"code":"PERMISSION_DENIED","status":19,"message":"..."}.
HttpReply error_reply(v1::StatusCode code, const std::string& message);

}  // namespace coach::gateway
