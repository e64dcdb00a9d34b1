// SPDX-License-Identifier: Apache-2.0
// ServiceNotifier: the sd_notify protocol (READY=1, RELOADING=1, STOPPING=1, STATUS=...) without
// linking libsystemd. A no-op when NOTIFY_SOCKET is not set. Used by the broker thread.
#pragma once

#include <string>

namespace coach::core {

class ServiceNotifier {
 public:
  ServiceNotifier();  // reads NOTIFY_SOCKET
  // Sends one datagram; returns false if NOTIFY_SOCKET is set but the send failed.
  bool notify(const std::string& state) const;
  bool enabled() const { return !path_.empty(); }

 private:
  std::string path_;
};

}  // namespace coach::core
