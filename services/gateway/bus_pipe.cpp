// SPDX-License-Identifier: Apache-2.0
#include "bus_pipe.hpp"

#include <zmq_addon.hpp>

#include "envelope.hpp"

namespace coach::gateway {

namespace {
constexpr const char* kHandOver = "inproc://gateway.requests";
}

BusPipe::BusPipe(const std::string& endpoint, const core::BusClientOptions& keys,
                 std::chrono::milliseconds timeout)
    : push_(zmq_, zmq::socket_type::push), timeout_(timeout) {
  zmq::socket_t pull(zmq_, zmq::socket_type::pull);
  pull.bind(kHandOver);
  push_.set(zmq::sockopt::linger, 0);
  push_.set(zmq::sockopt::sndhwm, 0);  // the gateway bounds what is in flight itself
  push_.connect(kHandOver);
  zmq::socket_t dealer(zmq_, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndhwm, 100000);
  dealer.set(zmq::sockopt::rcvhwm, 100000);
  if (keys.client_key) {
    dealer.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
    dealer.set(zmq::sockopt::curve_publickey, keys.client_key->public_key);
    dealer.set(zmq::sockopt::curve_secretkey, keys.client_key->secret_key);
  }
  dealer.connect(endpoint);
  thread_ = std::thread([this, d = std::move(dealer), p = std::move(pull)]() mutable {
    run(std::move(d), std::move(p));
  });
}

BusPipe::~BusPipe() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void BusPipe::send(const v1::Envelope& request, Callback done) {
  {
    std::lock_guard lock(mutex_);
    pending_[request.message_id()] = {std::move(done), std::chrono::steady_clock::now() + timeout_};
  }
  ++in_flight_;
  push_.send(core::to_message(request), zmq::send_flags::none);
}

void BusPipe::run(zmq::socket_t dealer, zmq::socket_t pull) {
  auto complete = [&](const std::string& id, v1::Envelope reply) {
    Callback done;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;  // timed out already
      done = std::move(it->second.done);
      pending_.erase(it);
    }
    --in_flight_;
    done(std::move(reply));
  };
  while (!stopping_) {
    std::array<zmq::pollitem_t, 2> items{
        {{dealer.handle(), 0, ZMQ_POLLIN, 0}, {pull.handle(), 0, ZMQ_POLLIN, 0}}};
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(50));
    zmq::message_t msg;
    for (int i = 0; i < 256 && pull.recv(msg, zmq::recv_flags::dontwait); ++i)
      dealer.send(msg, zmq::send_flags::none);
    for (int i = 0; i < 256 && dealer.recv(msg, zmq::recv_flags::dontwait); ++i) {
      v1::Envelope reply;
      if (!reply.ParseFromArray(msg.data(), static_cast<int>(msg.size()))) continue;
      const std::string id = reply.correlation_id();
      complete(id, std::move(reply));
    }
    std::vector<std::string> expired;
    {
      const auto now = std::chrono::steady_clock::now();
      std::lock_guard lock(mutex_);
      for (const auto& [id, p] : pending_)
        if (p.deadline <= now) expired.push_back(id);
    }
    for (const auto& id : expired) {
      complete(id, core::make_error_reply(id, v1::STATUS_CODE_UNAVAILABLE,
                                          "coachd did not answer in time"));
    }
  }
}

}  // namespace coach::gateway
