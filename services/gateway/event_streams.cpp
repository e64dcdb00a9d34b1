// SPDX-License-Identifier: Apache-2.0
#include "event_streams.hpp"

namespace coach::gateway {

EventStreams::EventStreams(boost::asio::io_context& io, std::chrono::milliseconds heartbeat,
                           std::chrono::milliseconds max_age)
    : timer_(io), heartbeat_(heartbeat), max_age_(max_age) {
  tick();
}

bool EventStreams::wants(const Stream& s, const FeedEvent& e) {
  return e.tenant == s.tenant && e.topic.starts_with(s.prefix) && s.viewer.may_see(e.audience);
}

bool EventStreams::send(Open& o, const FeedEvent& e) {
  if (!o.stream.sink->send("id: " + e.id + "\ndata: " + e.json + "\n\n")) return false;
  ++counters_.sent;
  return true;
}

void EventStreams::open(Stream stream, const EventFeed& feed, const std::string& last_id) {
  ++counters_.opened;
  Open o{std::move(stream), std::chrono::steady_clock::now() + max_age_};
  // A browser waits this long before it reconnects after the stream closes.
  bool ok = o.stream.sink->send("retry: 1000\n\n");
  if (!last_id.empty()) {
    std::vector<const FeedEvent*> missed;
    if (!feed.since(last_id, missed)) {
      ok = ok && o.stream.sink->send("event: gap\ndata: {\"message\":\"events after " + last_id +
                                     " are no longer retained; reload what the page shows\"}\n\n");
    }
    for (const auto* e : missed)
      if (ok && wants(o.stream, *e)) ok = send(o, *e);
  }
  if (ok) streams_.push_back(std::move(o));
}

void EventStreams::deliver(const FeedEvent& event) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (wants(it->stream, event) && !send(*it, event)) {
      ++counters_.cut;
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

void EventStreams::tick() {
  timer_.expires_after(heartbeat_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = streams_.begin(); it != streams_.end();) {
      if (it->closes_at <= now) {
        it->stream.sink->close();
        it = streams_.erase(it);
      } else if (!it->stream.sink->send(": keep-alive\n\n")) {
        ++counters_.cut;
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
    tick();
  });
}

}  // namespace coach::gateway
