// SPDX-License-Identifier: Apache-2.0
// SignalWatcher: turns SIGTERM, SIGINT and SIGHUP into a readable fd (signalfd) that the broker
// polls with its sockets. Construct it on the main thread before any other thread starts, so every
// thread inherits the blocked mask and no signal lands on a plugin thread.
#pragma once

#include <optional>

namespace coach::core {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  int fd() const { return fd_; }
  // The next pending signal number, if any; never blocks.
  std::optional<int> take();

 private:
  int fd_ = -1;
};

}  // namespace coach::core
