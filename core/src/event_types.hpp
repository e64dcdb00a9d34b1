// SPDX-License-Identifier: Apache-2.0
// EventTypes: the payload type of each topic seen so far, so clients can decode events of
// plugins they were not compiled with. Written by plugin threads, read by the broker: locked.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <mutex>
#include <string>

namespace coach::core {

class EventTypes {
 public:
  void record(const std::string& topic, const google::protobuf::Descriptor* type) {
    std::lock_guard lock(mutex_);
    types_.try_emplace(topic, type);
  }
  std::map<std::string, const google::protobuf::Descriptor*> snapshot() const {
    std::lock_guard lock(mutex_);
    return types_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, const google::protobuf::Descriptor*> types_;
};

}  // namespace coach::core
