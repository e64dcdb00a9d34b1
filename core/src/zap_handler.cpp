// SPDX-License-Identifier: Apache-2.0
#include "zap_handler.hpp"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include "thread_name.hpp"

namespace coach::core {

ZapHandler::ZapHandler(zmq::context_t& zmq)
    : socket_(zmq, zmq::socket_type::rep), log_(make_logger("auth")) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] {
    name_this_thread("coach-zap");
    run();
  });
}

ZapHandler::~ZapHandler() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::set_clients(const std::vector<ClientKeyConfig>& clients) {
  std::map<std::string, std::string, std::less<>> next;
  for (const auto& c : clients) {
    std::string binary(32, '\0');
    if (zmq_z85_decode(reinterpret_cast<std::uint8_t*>(binary.data()), c.public_key.c_str()))
      next.emplace(std::move(binary), c.name);
  }
  std::lock_guard lock(mutex_);
  names_by_key_ = std::move(next);
}

std::string ZapHandler::lookup(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = names_by_key_.find(key);
  return it == names_by_key_.end() ? std::string() : it->second;
}

void ZapHandler::run() {
  try {
    while (!stopping_) {
      std::array<zmq::pollitem_t, 1> items{{{socket_.handle(), 0, ZMQ_POLLIN, 0}}};
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      // version, request id, domain, address, routing id, mechanism, credentials...
      std::vector<zmq::message_t> req;
      if (!zmq::recv_multipart(socket_, std::back_inserter(req), zmq::recv_flags::dontwait))
        continue;
      std::string status = "400";
      std::string text = "refused";
      std::string user;
      if (req.size() >= 6 && req[0].to_string_view() == "1.0") {
        const auto address = req[3].to_string_view();
        const auto mechanism = req[5].to_string_view();
        if (mechanism == "CURVE" && req.size() == 7 && req[6].size() == 32) {
          user = lookup(req[6].to_string_view());
          if (!user.empty()) {
            status = "200";
            text = "OK";
          } else {
            char z85[41] = {};
            zmq_z85_encode(z85, req[6].data<std::uint8_t>(), 32);
            ++refused_;
            std::uint64_t suppressed = 0;
            if (log_limit_.allow(suppressed)) {
              if (suppressed) log_->warn("{} more refused clients were not logged", suppressed);
              log_->warn("refused a client from {}: its key {} is not listed", address, z85);
            }
          }
        } else {
          ++refused_;
          std::uint64_t suppressed = 0;
          if (log_limit_.allow(suppressed))
            log_->warn("refused a client from {}: mechanism {} is not CURVE", address, mechanism);
        }
      }
      std::array<zmq::const_buffer, 6> reply{
          zmq::buffer(std::string_view("1.0")),
          zmq::buffer(req.size() > 1 ? req[1].data() : nullptr, req.size() > 1 ? req[1].size() : 0),
          zmq::buffer(status),
          zmq::buffer(text),
          zmq::buffer(user),
          zmq::const_buffer(nullptr, 0)};
      zmq::send_multipart(socket_, reply);
    }
  } catch (const std::exception& e) {
    // Without the handler, new CURVE handshakes fail (libzmq refuses when the handler is gone).
    log_->critical("ZAP handler ended by an error: {}; new tcp clients are refused", e.what());
  }
}

}  // namespace coach::core
