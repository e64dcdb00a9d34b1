// SPDX-License-Identifier: Apache-2.0
// TopicInterest: the topic prefixes someone listens to, plugins' subscriptions and external
// subscribers' alike. A plugin's publish() looks here first: an event nobody listens to would
// cost a serialisation and a hop to the broker only to be discarded there (for a plugin that
// publishes once per request, that doubled the broker's work per request).
//
// Delivery is unchanged. A plugin's prefixes are added by its own thread inside start(), before
// it reports ready; external prefixes are added when the XPUB reports them, the moment from
// which the broker forwarded such events before.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace coach::core {

class TopicInterest {
 public:
  // Counted: two plugins (or a plugin and a subscriber) may listen to the same prefix.
  void add(const std::string& prefix) {
    std::lock_guard lock(mutex_);
    ++prefixes_[prefix];
  }
  void remove(const std::string& prefix) {
    std::lock_guard lock(mutex_);
    auto it = prefixes_.find(prefix);
    if (it != prefixes_.end() && --it->second == 0) prefixes_.erase(it);
  }
  bool wants(std::string_view topic) const {
    std::lock_guard lock(mutex_);
    for (const auto& [prefix, count] : prefixes_) {
      if (topic.starts_with(prefix)) return true;
    }
    return false;
  }

  // Events published that nobody listened to; they count as published.
  void count_unwanted() { unwanted_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t unwanted() const { return unwanted_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int, std::less<>> prefixes_;
  std::atomic<std::uint64_t> unwanted_{0};
};

}  // namespace coach::core
