// SPDX-License-Identifier: Apache-2.0
// EventStreams: the open GET /v1/events streams (Server-Sent Events). Each belongs to a tenant,
// sees what its principal may see (core::Viewer, asked of coachd when it opened) and asks for a
// topic prefix. A stream first gets the retained events after the id it resumes from, then the
// live ones. Every `heartbeat` a comment line keeps proxies from closing a quiet stream and finds
// clients that left; after `max_age` a stream is closed so the browser reconnects (EventSource
// does, sending its last id) and who may see what is asked again.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "event_feed.hpp"
#include "http_types.hpp"

namespace coach::gateway {

class EventStreams {
 public:
  struct Stream {
    std::shared_ptr<EventSink> sink;
    std::string tenant;
    std::string prefix;
    core::Viewer viewer;
  };
  struct Counters {
    std::uint64_t opened = 0;
    std::uint64_t sent = 0;  // events written to streams
    std::uint64_t cut = 0;   // streams closed because their client lagged or left
  };

  EventStreams(boost::asio::io_context& io, std::chrono::milliseconds heartbeat,
               std::chrono::milliseconds max_age);

  // Starts stream: the retained events after last_id that it may see (a "gap" event first when
  // some may be missing), then the live ones.
  void open(Stream stream, const EventFeed& feed, const std::string& last_id);
  // A new event, to every stream that may see it.
  void deliver(const FeedEvent& event);

  std::size_t open_streams() const { return streams_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  struct Open {
    Stream stream;
    std::chrono::steady_clock::time_point closes_at;
  };
  static bool wants(const Stream& s, const FeedEvent& e);
  bool send(Open& o, const FeedEvent& e);
  void tick();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds heartbeat_;
  std::chrono::milliseconds max_age_;
  std::list<Open> streams_;
  Counters counters_;
};

}  // namespace coach::gateway
