// SPDX-License-Identifier: Apache-2.0
#include "bus_client.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "envelope.hpp"

namespace coach::core {

void use_curve(zmq::socket_t& socket, const BusClientOptions& keys) {
  if (!keys.client_key) return;
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.client_key->public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.client_key->secret_key);
}

BusClient::BusClient(const std::string& endpoint, BusClientOptions options)
    : socket_(context_, zmq::socket_type::dealer), options_(std::move(options)) {
  socket_.set(zmq::sockopt::linger, 0);
  use_curve(socket_, options_);
  socket_.set(zmq::sockopt::sndhwm, 100000);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  socket_.connect(endpoint);
}

void BusClient::send_raw(const std::string& bytes) {
  socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
}

std::optional<std::string> BusClient::recv_raw(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  zmq::message_t msg;
  if (!socket_.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
  return msg.to_string();
}

void BusClient::send(v1::Envelope request) {
  if (!options_.tenant.empty()) request.set_tenant(options_.tenant);
  if (!options_.person.empty()) request.set_person(options_.person);
  send_raw(request.SerializeAsString());
}

v1::Envelope BusClient::call(const v1::Envelope& request, std::chrono::milliseconds timeout) {
  send(request);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto bytes = recv_raw(left);
    if (!bytes) break;
    v1::Envelope reply;
    if (!reply.ParseFromString(*bytes))
      throw std::runtime_error("reply is not a coach.v1.Envelope");
    // An empty correlation id means the daemon could not read our request at all.
    if (reply.correlation_id() == request.message_id() || reply.correlation_id().empty())
      return reply;
  }
  throw std::runtime_error(fmt::format("no reply from coachd within {} ms ({}.{})", timeout.count(),
                                       request.service(), request.method()));
}

v1::Envelope BusClient::call(const std::string& service, const std::string& method,
                             const google::protobuf::Message& payload,
                             std::chrono::milliseconds timeout) {
  return call(make_request(service, method, payload), timeout);
}

}  // namespace coach::core
