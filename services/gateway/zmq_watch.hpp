// SPDX-License-Identifier: Apache-2.0
// ZmqWatch: runs a callback on an io_context's thread whenever a ZeroMQ socket may have input.
// ZeroMQ's descriptor signals edges, not levels: the callback must drain every message the
// socket holds (and a send on the socket may take the edge a receive raised: drain after it).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <zmq.hpp>

#include <functional>

namespace coach::gateway {

class ZmqWatch {
 public:
  ZmqWatch(boost::asio::io_context& io, zmq::socket_t& socket, std::function<void()> drain)
      : fd_(io), drain_(std::move(drain)) {
    fd_.assign(socket.get(zmq::sockopt::fd));
    watch();
  }
  ~ZmqWatch() {
    fd_.cancel();
    fd_.release();  // the descriptor is ZeroMQ's, not ours to close
  }
  ZmqWatch(const ZmqWatch&) = delete;
  ZmqWatch& operator=(const ZmqWatch&) = delete;

 private:
  void watch() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                     if (ec) return;
                     drain_();
                     watch();
                   });
  }

  boost::asio::posix::stream_descriptor fd_;
  std::function<void()> drain_;
};

}  // namespace coach::gateway
