// SPDX-License-Identifier: Apache-2.0
// AfterCommit: what a change does beyond its commit (events to publish, scheduled entries to
// cancel), queued while the change is worked out and run only once its commit succeeded, so a
// failed or refused change announces nothing.
#pragma once

#include <coach/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace coach::service_followup {

class AfterCommit {
 public:
  template <typename Msg>
  void publish(std::string topic, const Msg& event) {
    effects_.push_back({0, std::move(topic), std::make_unique<Msg>(event)});
  }
  void cancel(const std::vector<std::int64_t>& entries) {
    for (auto id : entries) effects_.push_back({id, {}, nullptr});
  }

  // How many are queued, and dropping those queued after a mark (a refused import line's).
  std::size_t size() const { return effects_.size(); }
  void drop_after(std::size_t mark) { effects_.resize(mark); }
  void clear() { effects_.clear(); }

  // Runs everything queued, oldest first, and empties the queue.
  void run(PluginContext& ctx) {
    auto effects = std::move(effects_);
    effects_.clear();
    for (const auto& e : effects) {
      if (e.cancel_entry) ctx.cancel(e.cancel_entry);
      if (e.event) ctx.publish(e.topic, *e.event);
    }
  }

 private:
  struct Effect {
    std::int64_t cancel_entry = 0;
    std::string topic;
    std::unique_ptr<google::protobuf::Message> event;
  };
  std::vector<Effect> effects_;
};

}  // namespace coach::service_followup
