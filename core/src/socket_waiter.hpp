// SPDX-License-Identifier: Apache-2.0
// SocketWaiter: the broker's sleep. It waits on the ZeroMQ sockets' own descriptors (ZMQ_FD) and
// on plain descriptors with one poll(2), where zmq_poll spends two more system calls per socket on
// every call to look at its mailbox. System calls are the broker's main cost per request (on
// virtual machines each one is a trap to the hypervisor), so the loop pays them once per sleep.
//
// ZMQ_FD is edge-triggered: it becomes readable when a command reaches the socket's mailbox, and
// any recv or send on that socket may consume the command. So a socket counts as quiet only when
// its last operation was a recv that found nothing; a socket sent on since then is looked at
// (ZMQ_EVENTS) before the waiter sleeps.
#pragma once

#include <poll.h>
#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <vector>

namespace coach::core {

class SocketWaiter {
 public:
  // Returns the item's index, for ready(), sent() and received().
  std::size_t add(zmq::socket_t& socket);
  std::size_t add_fd(int fd);

  // Sleeps until an item is ready or the timeout passes (nullopt: no timeout). Returns at once
  // when an item is still ready from before (a socket not drained) or ready on a second look.
  void wait(std::optional<std::chrono::milliseconds> timeout);

  bool ready(std::size_t item) const { return items_[item].ready; }
  // The caller sent on the socket: a wake-up meant for it may have been consumed.
  void sent(std::size_t item) { items_[item].sent_since_drained = true; }
  // The caller handled a ready item; drained: it received until nothing was left.
  void handled(std::size_t item, bool drained);

 private:
  struct Item {
    zmq::socket_t* socket = nullptr;  // nullptr: a plain descriptor
    bool ready = true;                // sockets start unknown: look at them once
    bool sent_since_drained = false;
  };
  std::vector<Item> items_;
  std::vector<pollfd> fds_;
};

}  // namespace coach::core
