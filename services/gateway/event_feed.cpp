// SPDX-License-Identifier: Apache-2.0
#include "event_feed.hpp"

#include <google/protobuf/util/time_util.h>
#include <zmq_addon.hpp>

#include <chrono>

#include "coach/json_text.hpp"
#include "coach/v1/envelope.pb.h"

namespace coach::gateway {

EventFeed::EventFeed(boost::asio::io_context& io, const core::BusClientOptions& keys,
                     std::size_t retain, Decode decode, Listener listener)
    : keys_(keys),
      retain_(retain),
      decode_(std::move(decode)),
      listener_(std::move(listener)),
      boot_(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count())),
      io_(io) {}

EventFeed::~EventFeed() = default;

void EventFeed::connect(const std::string& endpoint) {
  if (socket_) return;
  socket_.emplace(zmq_, zmq::socket_type::sub);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvhwm, 100000);
  core::use_curve(*socket_, keys_);
  // Everything this connection may see: coachd narrows it to what the key allows.
  socket_->set(zmq::sockopt::subscribe, "");
  socket_->connect(endpoint);
  watch_.emplace(io_, *socket_, [this] { drain(); });
}

void EventFeed::drain() {
  while (socket_->get(zmq::sockopt::events) & ZMQ_POLLIN) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) break;
    if (parts.size() != 2) continue;
    v1::Envelope envelope;
    if (!envelope.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) continue;
    const std::string external = parts[0].to_string();  // "<tenant>/<topic>"
    const auto slash = external.find('/');
    if (slash == std::string::npos) continue;
    FeedEvent e;
    e.seq = next_seq_++;
    e.id = boot_ + "-" + std::to_string(e.seq);
    e.tenant = external.substr(0, slash);
    e.topic = external.substr(slash + 1);
    auto decoded = decode_(envelope.payload());
    e.audience = std::move(decoded.audience);
    e.json = "{\"id\":" + json_text(e.id) + ",\"tenant\":" + json_text(e.tenant) +
             ",\"topic\":" + json_text(e.topic) + ",\"at\":" +
             json_text(google::protobuf::util::TimeUtil::ToString(envelope.sent_at())) +
             ",\"data\":" + decoded.json + "}";
    events_.push_back(std::move(e));
    if (events_.size() > retain_) events_.pop_front();
    listener_(events_.back());
  }
}

bool EventFeed::since(const std::string& last_id, std::vector<const FeedEvent*>& out) const {
  const auto dash = last_id.rfind('-');
  if (dash == std::string::npos || last_id.substr(0, dash) != boot_) return false;
  std::uint64_t seq = 0;
  try {
    seq = std::stoull(last_id.substr(dash + 1));
  } catch (const std::exception&) {
    return false;
  }
  if (seq >= next_seq_) return false;
  const std::uint64_t oldest = events_.empty() ? next_seq_ : events_.front().seq;
  if (seq + 1 < oldest) return false;  // some after it are gone
  for (auto it = events_.begin() + static_cast<std::ptrdiff_t>(seq + 1 - oldest);
       it != events_.end(); ++it)
    out.push_back(&*it);
  return true;
}

}  // namespace coach::gateway
