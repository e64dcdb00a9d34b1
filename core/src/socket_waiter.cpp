// SPDX-License-Identifier: Apache-2.0
#include "socket_waiter.hpp"

#include <cerrno>
#include <system_error>

namespace coach::core {

std::size_t SocketWaiter::add(zmq::socket_t& socket) {
  items_.push_back({&socket});
  fds_.push_back({socket.get(zmq::sockopt::fd), POLLIN, 0});
  return items_.size() - 1;
}

std::size_t SocketWaiter::add_fd(int fd) {
  items_.push_back({nullptr, false});
  fds_.push_back({fd, POLLIN, 0});
  return items_.size() - 1;
}

void SocketWaiter::handled(std::size_t item, bool drained) {
  Item& it = items_[item];
  it.ready = !drained;
  if (drained) it.sent_since_drained = false;
}

void SocketWaiter::wait(std::optional<std::chrono::milliseconds> timeout) {
  bool any_ready = false;
  for (Item& it : items_) {
    if (it.socket && !it.ready && it.sent_since_drained) {
      // Re-arms the descriptor: processes the socket's commands and reports what it holds.
      it.ready = (it.socket->get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
      it.sent_since_drained = false;
    }
    any_ready |= it.ready;
  }
  // Something is ready: still look at the others (signals must not wait behind a busy socket),
  // without sleeping.
  const int ms = any_ready ? 0 : timeout ? static_cast<int>(timeout->count()) : -1;
  int n = ::poll(fds_.data(), fds_.size(), ms);
  if (n < 0) {
    if (errno == EINTR) return;
    throw std::system_error(errno, std::generic_category(), "poll");
  }
  for (std::size_t i = 0; i < items_.size() && n > 0; ++i) {
    if (fds_[i].revents == 0) continue;
    --n;
    items_[i].ready = true;
  }
}

}  // namespace coach::core
