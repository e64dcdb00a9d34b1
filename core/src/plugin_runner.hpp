// SPDX-License-Identifier: Apache-2.0
// PluginRunner: one plugin on its own thread with its own DEALER socket to the broker. The
// thread constructs the plugin, runs start(), says hello, then serves requests and events one at
// a time until the broker sends stop; it then runs stop(), destroys the plugin, says bye and
// ends. The owner (the broker thread) calls start() and join(); nothing else is shared except
// EventTypes, which is locked.
#pragma once

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "config.hpp"
#include "event_types.hpp"
#include "people_directories.hpp"
#include "plugin_loader.hpp"
#include "request_router.hpp"
#include "store/store_service.hpp"
#include "topic_interest.hpp"

namespace coach::core {

class PluginRunner {
 public:
  struct Options {
    zmq::context_t* zmq = nullptr;
    std::string backend_endpoint;
    PluginLibrary library;
    PluginConfig config;
    std::string default_tenant;
    std::uint32_t hwm = 10000;
    std::uint32_t linger_ms = 200;
    EventTypes* event_types = nullptr;
    TopicInterest* interest = nullptr;  // the plugin's subscriptions are added to it
    StoreService* store = nullptr;
    const Clock* clock = nullptr;
    const PeopleDirectories* people = nullptr;  // PluginContext::people()
    // Called after an entry was scheduled, so the scheduler looks again. Any thread.
    std::function<void()> on_scheduled;
  };

  explicit PluginRunner(Options options);
  // Joins the thread if it has ended; a thread stuck in plugin code is detached (it owns its
  // state).
  ~PluginRunner();
  PluginRunner(const PluginRunner&) = delete;
  PluginRunner& operator=(const PluginRunner&) = delete;

  // Starts the thread and waits up to timeout for the plugin's start(). Returns the reason on
  // failure (the thread then ends on its own), empty on success.
  std::string start(std::chrono::milliseconds timeout);

  // What start() registered. REQUIRES: start() succeeded.
  std::map<std::string, MethodRoute, std::less<>> methods() const;
  std::vector<std::string> subscriptions() const;

  // Waits for the thread to end. REQUIRES: the broker sent stop, or start() failed.
  void join();

  const std::string& name() const { return name_; }

 private:
  struct State;
  std::string name_;
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace coach::core
