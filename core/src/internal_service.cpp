// SPDX-License-Identifier: Apache-2.0
#include "internal_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <zmq_addon.hpp>

#include "logging.hpp"
#include "store/sql_connection.hpp"
#include "thread_name.hpp"

namespace coach::core {

InternalService::InternalService(zmq::context_t& zmq, std::string backend_endpoint,
                                 std::string identity, std::string service, Handler handler)
    : zmq_(zmq),
      endpoint_(std::move(backend_endpoint)),
      identity_(std::move(identity)),
      service_(std::move(service)),
      handler_(std::move(handler)),
      log_(make_logger(identity_.substr(1))) {
  thread_ = std::thread([this] {
    name_this_thread("coach-" + identity_.substr(1));
    run();
  });
}

InternalService::~InternalService() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void InternalService::run() {
  try {
    zmq::socket_t socket(zmq_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::routing_id, identity_);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint_);
    while (!stopping_) {
      std::array<zmq::pollitem_t, 1> items{{{socket.handle(), 0, ZMQ_POLLIN, 0}}};
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait))
        continue;
      std::uint64_t seq = 0;
      std::string_view tail;
      RequestTail principal;
      if (parts.size() != 2 || !decode_header(parts[0].to_string_view(), seq, tail) ||
          !decode_request_tail(tail, principal))
        continue;
      v1::Envelope request;
      v1::Envelope reply;
      if (!request.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) {
        reply = make_error_reply("", v1::STATUS_CODE_MALFORMED_FRAME, "request does not parse");
      } else {
        v1::Status status;
        capture_status(
            status,
            [&] {
              try {
                reply = handler_(request, principal);
              } catch (const StoreError& e) {
                throw Error(e.code(), e.what());
              }
            },
            v1::STATUS_CODE_INTERNAL);
        if (status.code() != v1::STATUS_CODE_OK) {
          reply = make_error_reply(
              request.message_id(), status.code(),
              fmt::format("{} {}: {}", service_, request.method(), status.message()));
        }
      }
      const auto header = encode_header(frame::kReply, seq,
                                        std::to_string(static_cast<int>(reply.status().code())));
      const std::string bytes = reply.SerializeAsString();
      zmq::send_multipart(
          socket, std::array<zmq::const_buffer, 2>{zmq::buffer(header), zmq::buffer(bytes)});
    }
  } catch (const std::exception& e) {
    log_->critical("{} thread ended by an error: {}", identity_, e.what());
  }
}

}  // namespace coach::core
