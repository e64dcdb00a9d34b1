// SPDX-License-Identifier: Apache-2.0
// EventFeed: coachd's events as the gateway's streams replay them. A SUB socket on the HTTP
// thread's io_context receives every event the gateway may see (all tenants with a gateway key,
// bus.tenant's over local ipc); each is decoded once (JSON and whom it is about) and retained,
// the newest `retain` of them, under an id "<boot>-<seq>" a reconnecting client sends back.
#pragma once

#include <google/protobuf/any.pb.h>
#include <boost/asio/io_context.hpp>
#include <zmq.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bus_client.hpp"
#include "event_audience.hpp"
#include "zmq_watch.hpp"

namespace coach::gateway {

struct FeedEvent {
  std::uint64_t seq = 0;
  std::string id;  // "<boot>-<seq>"
  std::string tenant;
  std::string topic;  // "<plugin>.<event>"
  std::string json;   // {"id","tenant","topic","at","data"}: what a stream sends
  core::EventAudience audience;
};

class EventFeed {
 public:
  struct Decoded {
    std::string json;  // the payload as JSON ("null" when its type is unknown)
    core::EventAudience audience;
  };
  using Decode = std::function<Decoded(const google::protobuf::Any& payload)>;
  using Listener = std::function<void(const FeedEvent&)>;

  EventFeed(boost::asio::io_context& io, const core::BusClientOptions& keys, std::size_t retain,
            Decode decode, Listener listener);
  ~EventFeed();

  // Subscribes at coachd's event endpoint; once.
  void connect(const std::string& endpoint);
  bool connected() const { return socket_.has_value(); }

  // Appends the retained events after the one `last_id` names, oldest first, to out. False when
  // last_id is not one this feed could still replay (another run of the gateway, or older than
  // what is retained): events may have been missed.
  bool since(const std::string& last_id, std::vector<const FeedEvent*>& out) const;
  std::uint64_t received() const { return next_seq_ - 1; }
  std::size_t retained() const { return events_.size(); }

 private:
  void drain();

  zmq::context_t zmq_{1};
  core::BusClientOptions keys_;
  std::size_t retain_;
  Decode decode_;
  Listener listener_;
  std::string boot_;
  std::uint64_t next_seq_ = 1;
  std::deque<FeedEvent> events_;
  std::optional<zmq::socket_t> socket_;
  std::optional<ZmqWatch> watch_;  // last: stops watching before the socket closes
  boost::asio::io_context& io_;
};

}  // namespace coach::gateway
