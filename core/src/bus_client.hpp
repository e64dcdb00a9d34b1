// SPDX-License-Identifier: Apache-2.0
// BusClient: a DEALER connection to coachd's request endpoint, for coachctl, tests and
// benchmarks. One thread at a time.
#pragma once

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "coach/v1/envelope.pb.h"
#include "curve_keys.hpp"

namespace coach::core {

struct BusClientOptions {
  // For a tcp (CURVE) endpoint: this client's key pair and the daemon's public key.
  std::optional<CurveKeyPair> client_key;
  std::string server_public_key;
  // Stated on every request sent with send() or call(): coachd honours a tenant and person from a
  // gateway's key, and a person from a local operator (narrowing its rights); from others, nothing.
  std::string tenant;
  std::string person;
};

// Makes socket a CURVE client with keys' key pair and server key (no-op without a client key).
// Before connect.
void use_curve(zmq::socket_t& socket, const BusClientOptions& keys);

class BusClient {
 public:
  explicit BusClient(const std::string& endpoint, BusClientOptions options = {});

  // Sends request with the stated principal, without waiting for the reply.
  void send(v1::Envelope request);

  // Sends request and waits up to timeout for the reply with its correlation id. Throws
  // std::runtime_error on timeout or an unparsable reply.
  v1::Envelope call(const v1::Envelope& request, std::chrono::milliseconds timeout);
  // Calls service.method with payload; a non-OK status comes back in the envelope.
  v1::Envelope call(const std::string& service, const std::string& method,
                    const google::protobuf::Message& payload, std::chrono::milliseconds timeout);

  // Raw frames, for tests of malformed input and for pipelined benchmarks.
  void send_raw(const std::string& bytes);
  std::optional<std::string> recv_raw(std::chrono::milliseconds timeout);

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  BusClientOptions options_;
};

}  // namespace coach::core
