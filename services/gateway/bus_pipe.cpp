// SPDX-License-Identifier: Apache-2.0
#include "bus_pipe.hpp"

#include "envelope.hpp"

namespace coach::gateway {

BusPipe::BusPipe(boost::asio::io_context& io, const std::string& endpoint,
                 const core::BusClientOptions& keys, std::chrono::milliseconds timeout)
    : dealer_(zmq_, zmq::socket_type::dealer), timer_(io), timeout_(timeout) {
  dealer_.set(zmq::sockopt::linger, 0);
  dealer_.set(zmq::sockopt::sndhwm, 100000);
  dealer_.set(zmq::sockopt::rcvhwm, 100000);
  core::use_curve(dealer_, keys);
  dealer_.connect(endpoint);
  watch_.emplace(io, dealer_, [this] { drain(); });
  tick();
}

BusPipe::~BusPipe() = default;

void BusPipe::send(const v1::Envelope& request, Callback done) {
  pending_[request.message_id()] = {std::move(done), std::chrono::steady_clock::now() + timeout_};
  dealer_.send(core::to_message(request), zmq::send_flags::none);
  drain();  // the send may have taken the edge a reply raised
}

void BusPipe::drain() {
  zmq::message_t msg;
  while (dealer_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
    if (!dealer_.recv(msg, zmq::recv_flags::dontwait)) break;
    v1::Envelope reply;
    if (!reply.ParseFromArray(msg.data(), static_cast<int>(msg.size()))) continue;
    const std::string id = reply.correlation_id();
    complete(id, std::move(reply));
  }
}

void BusPipe::tick() {
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> expired;
    for (const auto& [id, p] : pending_)
      if (p.deadline <= now) expired.push_back(id);
    for (const auto& id : expired) {
      complete(id, core::make_error_reply(id, v1::STATUS_CODE_UNAVAILABLE,
                                          "coachd did not answer in time"));
    }
    tick();
  });
}

void BusPipe::complete(const std::string& id, v1::Envelope reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // timed out already
  Callback done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(reply));
}

}  // namespace coach::gateway
