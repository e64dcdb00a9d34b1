// SPDX-License-Identifier: Apache-2.0
// coachctl: the operator's command line for a running coachd. JSON in, JSON out. Messages of
// plugins coachctl was not built with are encoded with descriptors fetched from the daemon.
#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/people.pb.h"
#include "coach/v1/tokens.pb.h"
#include "envelope.hpp"
#include "remote_types.hpp"
#include "runtime_paths.hpp"

namespace {

namespace pb = google::protobuf;
using coach::core::BusClient;
using namespace coach;

// Exit codes: 0 success, 1 the daemon answered with an error status, 2 usage, 3 no answer.
struct CallFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using core::RemoteTypes;
using core::url_of;

// A request to service.method whose payload is json as the method's request type (no payload when
// the daemon does not know the method: its own error is the clearest answer). Throws
// std::invalid_argument when json does not fit.
v1::Envelope json_request(const RemoteTypes& types, const std::string& service,
                          const std::string& method, const std::string& json) {
  v1::Envelope request;
  request.set_kind(v1::Envelope::KIND_REQUEST);
  request.set_message_id(core::new_message_id());
  request.set_service(service);
  request.set_method(method);
  core::stamp_now(request);
  if (const v1::MethodInfo* info = types.method(service, method)) {
    request.mutable_payload()->set_type_url(url_of(info->request_type()));
    request.mutable_payload()->set_value(types.from_json(url_of(info->request_type()), json));
  }
  return request;
}

// Calls service.method with a JSON request; returns the reply payload as JSON.
std::string call_json(BusClient& client, std::chrono::milliseconds timeout,
                      const std::string& service, const std::string& method,
                      const std::string& json) {
  RemoteTypes types;
  types.load(client, timeout);
  auto request = json_request(types, service, method, json);
  auto reply = client.call(request, timeout);
  if (reply.status().code() != v1::STATUS_CODE_OK) {
    throw CallFailed(core::status_name(reply.status().code()) + ": " + reply.status().message());
  }
  return types.to_json(reply.payload().type_url(), reply.payload().value());
}

// Calls service.method with a typed request; throws CallFailed on a non-OK status.
template <typename Reply>
Reply call_typed(BusClient& client, std::chrono::milliseconds timeout, const std::string& service,
                 const std::string& method, const pb::Message& request) {
  auto reply = client.call(service, method, request, timeout);
  if (reply.status().code() != v1::STATUS_CODE_OK) {
    throw CallFailed(core::status_name(reply.status().code()) + ": " + reply.status().message());
  }
  Reply out;
  if (!reply.payload().UnpackTo(&out)) throw CallFailed("unexpected reply to " + method);
  return out;
}

// The same for a "coachd" admin method.
template <typename Reply>
Reply call_admin(BusClient& client, std::chrono::milliseconds timeout, const std::string& method,
                 const pb::Message& request) {
  return call_typed<Reply>(client, timeout, std::string(core::kAdminService), method, request);
}

void print_json(const pb::Message& message) {
  std::string out;
  pb::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  pb::util::MessageToJsonString(message, &out, opts);
  std::printf("%s\n", out.c_str());
}

std::string iso_time(std::int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void print_store_stats(const v1::StoreStatsReply& s) {
  std::printf("backend  %s (schema %d)\n", s.backend().c_str(), s.schema_version());
  std::printf("writes   %llu in %llu commits, %llu failed, %llu reconnects since start\n",
              static_cast<unsigned long long>(s.writes()),
              static_cast<unsigned long long>(s.commits()),
              static_cast<unsigned long long>(s.write_errors()),
              static_cast<unsigned long long>(s.reconnects()));
  std::string entries;
  for (const char* state : {"pending", "done", "cancelled", "failed"}) {
    auto it = s.schedule_entries().find(state);
    entries += fmt::format("{}{} {}", entries.empty() ? "" : ", ",
                           it == s.schedule_entries().end() ? 0 : it->second, state);
  }
  std::printf("schedule %s\n", entries.c_str());
  std::printf("pruning  finished entries after %u h: %lld waiting\n\n", s.retention_hours(),
              static_cast<long long>(s.prunable_schedule_entries()));
  std::printf("%-20s %-20s %10s %12s %12s %14s\n", "TENANT", "PLUGIN", "KEYS", "BYTES",
              "EXPIRED_KEYS", "EXPIRED_BYTES");
  for (const auto& ns : s.namespaces()) {
    std::printf("%-20s %-20s %10lld %12lld %12lld %14lld\n", ns.tenant().c_str(),
                ns.plugin().c_str(), static_cast<long long>(ns.keys()),
                static_cast<long long>(ns.bytes()), static_cast<long long>(ns.expired_keys()),
                static_cast<long long>(ns.expired_bytes()));
  }
}

void print_schedule(const v1::ListScheduleReply& list) {
  std::printf("node %s, clock %s\n", list.node_id().c_str(), iso_time(list.now_ms()).c_str());
  std::printf("%-8s %-20s %-9s %-16s %-12s %-32s %3s %-12s %s\n", "ID", "DUE", "STATE", "PLUGIN",
              "TENANT", "TOPIC", "TRY", "CLAIMED_BY", "LAST_ERROR");
  for (const auto& e : list.entries()) {
    std::printf("%-8lld %-20s %-9s %-16s %-12s %-32s %3lld %-12s %s\n",
                static_cast<long long>(e.id()), iso_time(e.due_ms()).c_str(), e.state().c_str(),
                e.plugin().c_str(), e.tenant().c_str(), e.topic().c_str(),
                static_cast<long long>(e.attempts()),
                e.claimed_by().empty() ? "-" : e.claimed_by().c_str(), e.last_error().c_str());
  }
}

// "90s", "25h", "4d", "1500ms", or a bare number of milliseconds.
std::int64_t parse_duration_ms(const std::string& text) {
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const std::map<std::string, std::int64_t> units{
      {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  auto it = units.find(unit);
  if (used == 0 || n < 0 || it == units.end()) {
    throw std::invalid_argument("duration '" + text + "': expected e.g. 1500ms, 90s, 30m, 25h, 4d");
  }
  return n * it->second;
}

// The value of a top-level string field in a JSON object printed by protobuf (no escapes in it).
std::optional<std::string> string_field(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const auto at = json.find(key);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + key.size();
  const auto end = json.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  return json.substr(start, end - start);
}

volatile std::sig_atomic_t g_interrupted = 0;

// Imports a JSON lines file. METHOD either takes one line (one request per line) or is a batch
// method: its request has one field, a repeated message, and each line is one element of it;
// its reply has `repeated results`, each with `outcome`, `code` and `message`, one per element.
// Batches are pipelined (several in flight), so the plugin never waits for the client. Bad
// lines are reported with their number and skipped; a batch refused as a whole is sent again.
// Interrupted (Ctrl-C), it stops after the batches in flight; run again to resume: lines
// already applied come back as duplicates.
class Importer {
 public:
  struct Options {
    std::string service, method, file;
    std::size_t batch = 1000;
    std::size_t in_flight = 4;
    std::chrono::milliseconds timeout{5000};
  };

  Importer(BusClient& client, Options options) : client_(client), o_(std::move(options)) {}

  int run() {
    types_.load(client_, o_.timeout);
    const v1::MethodInfo* info = types_.method(o_.service, o_.method);
    if (!info) throw CallFailed("no method " + o_.service + "." + o_.method);
    const pb::Descriptor* request = types_.message(info->request_type());
    if (request && request->field_count() == 1 && request->field(0)->is_repeated() &&
        request->field(0)->message_type()) {
      item_type_ = request->field(0)->message_type()->full_name();
      field_number_ = request->field(0)->number();
    } else {
      o_.batch = 1;  // one request per line
    }
    request_url_ = url_of(info->request_type());
    total_ = count_lines();
    std::ifstream in(o_.file);
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    t0_ = last_report_ = std::chrono::steady_clock::now();
    std::string line;
    std::size_t number = 0;
    Batch batch;
    while (!g_interrupted && std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string bytes;
      try {
        bytes =
            types_.from_json(url_of(item_type_.empty() ? info->request_type() : item_type_), line);
      } catch (const std::invalid_argument& e) {
        skip(number, e.what());
        continue;
      }
      batch.lines.push_back(number);
      batch.items.push_back(std::move(bytes));
      if (batch.lines.size() >= o_.batch) {
        send(std::move(batch));
        batch = {};
      }
    }
    if (!batch.lines.empty() && !g_interrupted) send(std::move(batch));
    while (!flight_.empty()) receive();
    report(true);
    std::string summary;
    for (const auto& [outcome, count] : outcomes_)
      summary += fmt::format(", {} {}", count, outcome);
    const double secs = seconds();
    std::printf("imported %s: %zu lines, %zu sent%s, %zu skipped, in %.1f s (%.0f lines/s)\n",
                o_.file.c_str(), total_, sent_, summary.c_str(), bad_, secs,
                static_cast<double>(sent_) / std::max(secs, 1e-3));
    if (g_interrupted) {
      std::printf(
          "interrupted after line %zu: run the same command again to resume (lines "
          "already applied come back as duplicates)\n",
          last_line_done_);
      return 130;
    }
    return bad_ == 0 ? 0 : 1;
  }

 private:
  struct Batch {
    std::vector<std::size_t> lines;
    std::vector<std::string> items;
    int attempts = 0;
  };

  std::size_t count_lines() const {
    std::ifstream in(o_.file, std::ios::binary);
    std::size_t n = 0;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      n += static_cast<std::size_t>(std::count(buf, buf + in.gcount(), '\n'));
      if (!in) break;
    }
    return n;
  }

  // Sends batch, first waiting for a reply when the window is full.
  void send(Batch batch) {
    while (flight_.size() >= o_.in_flight) receive();
    v1::Envelope request;
    request.set_kind(v1::Envelope::KIND_REQUEST);
    request.set_message_id(core::new_message_id());
    request.set_service(o_.service);
    request.set_method(o_.method);
    core::stamp_now(request);
    request.mutable_payload()->set_type_url(request_url_);
    request.mutable_payload()->set_value(encode(batch));
    const std::string id = request.message_id();
    client_.send(std::move(request));
    flight_.emplace(id, std::move(batch));
  }

  // The request's bytes: the line itself, or each line as one element of the repeated field.
  std::string encode(const Batch& batch) const {
    if (item_type_.empty()) return batch.items.front();
    std::string out;
    for (const auto& item : batch.items) {
      varint(out, static_cast<std::uint64_t>(field_number_) << 3 | 2);
      varint(out, item.size());
      out += item;
    }
    return out;
  }
  static void varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
      out += static_cast<char>(v | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
  }

  void receive() {
    auto raw = client_.recv_raw(o_.timeout);
    if (!raw) {
      // No reply in time: everything in flight is sent again (lines are idempotent).
      auto lost = std::move(flight_);
      flight_.clear();
      for (auto& [id, batch] : lost) retry(std::move(batch), "no reply within the timeout");
      return;
    }
    v1::Envelope reply;
    if (!reply.ParseFromString(*raw)) throw CallFailed("undecodable reply");
    auto it = flight_.find(reply.correlation_id());
    if (it == flight_.end()) return;  // a late reply to a batch already sent again
    Batch batch = std::move(it->second);
    flight_.erase(it);
    if (reply.status().code() != v1::STATUS_CODE_OK) {
      const std::string why =
          core::status_name(reply.status().code()) + ": " + reply.status().message();
      // A single line's refusal is final; a batch refused as a whole may be sent again.
      if (item_type_.empty() || reply.status().code() == v1::STATUS_CODE_INVALID_ARGUMENT) {
        sent_ += batch.lines.size();
        for (auto line : batch.lines) skip(line, why);
      } else {
        retry(std::move(batch), why);
      }
      return;
    }
    sent_ += batch.lines.size();
    last_line_done_ = std::max(last_line_done_, batch.lines.back());
    if (item_type_.empty()) {
      const auto json = types_.to_json(reply.payload().type_url(), reply.payload().value());
      ++outcomes_[string_field(json, "outcome").value_or("ok")];
    } else {
      tally(batch, reply.payload());
    }
    report(false);
  }

  void retry(Batch batch, const std::string& why) {
    if (++batch.attempts >= 3) {
      for (auto line : batch.lines) skip(line, why + " (sent 3 times)");
      return;
    }
    std::fprintf(stderr, "import: lines %zu-%zu sent again: %s\n", batch.lines.front(),
                 batch.lines.back(), why.c_str());
    send(std::move(batch));
  }

  // Reads the batch reply's results by reflection (the reply type comes from the daemon).
  void tally(const Batch& batch, const pb::Any& payload) {
    const pb::Descriptor* type =
        types_.message(std::string(core::type_name_of(payload.type_url())));
    const pb::FieldDescriptor* results = type ? type->FindFieldByName("results") : nullptr;
    if (!results || !results->message_type()) throw CallFailed("batch reply has no results");
    std::unique_ptr<pb::Message> reply(factory_.GetPrototype(type)->New());
    reply->ParseFromString(payload.value());
    const auto* reflection = reply->GetReflection();
    const int n = reflection->FieldSize(*reply, results);
    const auto* r_type = results->message_type();
    const auto* outcome = r_type->FindFieldByName("outcome");
    const auto* code = r_type->FindFieldByName("code");
    const auto* message = r_type->FindFieldByName("message");
    for (std::size_t i = 0; i < batch.lines.size(); ++i) {
      if (static_cast<int>(i) >= n) {
        skip(batch.lines[i], "no result for this line");
        continue;
      }
      const auto& result = reflection->GetRepeatedMessage(*reply, results, static_cast<int>(i));
      const auto* rr = result.GetReflection();
      const int status = code ? rr->GetInt32(result, code) : 0;
      if (status != 0) {
        skip(batch.lines[i], core::status_name(static_cast<v1::StatusCode>(status)) + ": " +
                                 (message ? rr->GetString(result, message) : std::string()));
      } else {
        ++outcomes_[outcome ? rr->GetString(result, outcome) : "ok"];
      }
    }
  }

  void skip(std::size_t line, const std::string& why) {
    std::fprintf(stderr, "%s:%zu: skipped: %s\n", o_.file.c_str(), line, why.c_str());
    ++bad_;
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  // Progress on stderr about once a second: lines done, rate, and the time left.
  void report(bool last) {
    const auto now = std::chrono::steady_clock::now();
    if (!last && now - last_report_ < std::chrono::seconds(1)) return;
    if (last && last_report_ == t0_) return;  // a short import needs no progress line
    last_report_ = now;
    const double secs = seconds();
    const double rate = static_cast<double>(last_line_done_) / std::max(secs, 1e-3);
    const double left =
        rate > 0 ? static_cast<double>(total_ - std::min(total_, last_line_done_)) / rate : 0;
    std::fprintf(stderr,
                 "import: %zu/%zu lines (%.0f%%), %.0f lines/s, %.1f s, about %.0f s left\n",
                 last_line_done_, total_,
                 100.0 * static_cast<double>(last_line_done_) /
                     static_cast<double>(std::max<std::size_t>(total_, 1)),
                 rate, secs, left);
  }

  BusClient& client_;
  Options o_;
  RemoteTypes types_;
  pb::DynamicMessageFactory factory_;
  std::string item_type_;  // empty: one request per line
  int field_number_ = 0;
  std::string request_url_;
  std::map<std::string, Batch> flight_;  // by request message id
  std::map<std::string, std::size_t> outcomes_;
  std::size_t total_ = 0, sent_ = 0, bad_ = 0, last_line_done_ = 0;
  std::chrono::steady_clock::time_point t0_, last_report_;
};

// The comment above a declaration in its .proto, as indented lines (empty when it has none).
template <typename Descriptor>
std::string comment_of(const Descriptor* d, const std::string& indent) {
  pb::SourceLocation where;
  if (!d || !d->GetSourceLocation(&where)) return {};
  std::string text = where.leading_comments, out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto line = text.substr(start, end - start);
    if (!line.empty() && line.front() == ' ') line.erase(0, 1);
    out += indent + line + "\n";
    start = end + 1;
  }
  return out;
}

// coachctl describe: a service's methods with their request and reply types and the comments of
// its .proto, and the events it has published so far.
int describe(BusClient& client, std::chrono::milliseconds timeout, const std::string& service) {
  v1::GetDescriptorsRequest req;
  req.set_service(service);
  auto reply = client.call(std::string(core::kAdminService), "GetDescriptors", req, timeout);
  v1::GetDescriptorsReply set;
  if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&set))
    throw CallFailed(reply.status().message());
  pb::DescriptorPool pool;
  for (const auto& file : set.files().file()) pool.BuildFile(file);
  const auto it = set.services().find(service);
  const auto* svc = it == set.services().end() ? nullptr : pool.FindServiceByName(it->second);
  std::printf("%s", service.c_str());
  if (svc) std::printf(" (%s)", svc->full_name().c_str());
  std::printf("\n%s\n", comment_of(svc, "  ").c_str());
  std::vector<v1::MethodInfo> methods(set.methods().begin(), set.methods().end());
  auto order = [&](const v1::MethodInfo& m) {  // as the .proto declares them
    const auto* rpc =
        svc ? svc->FindMethodByName(m.name().substr(m.name().find('/') + 1)) : nullptr;
    return rpc ? rpc->index() : 0;
  };
  std::stable_sort(methods.begin(), methods.end(),
                   [&](const auto& a, const auto& b) { return order(a) < order(b); });
  for (const auto& m : methods) {
    const std::string name = m.name().substr(m.name().find('/') + 1);
    std::printf("  %s(%s) returns (%s)\n", name.c_str(), m.request_type().c_str(),
                m.response_type().c_str());
    const auto* rpc = svc ? svc->FindMethodByName(name) : nullptr;
    std::printf("%s\n", comment_of(rpc, "      ").c_str());
  }
  if (!set.event_types().empty()) std::printf("Events published so far:\n");
  for (const auto& [topic, type] : set.event_types()) {
    std::printf("  %s: %s\n%s", topic.c_str(), type.c_str(),
                comment_of(pool.FindMessageTypeByName(type), "      ").c_str());
  }
  return 0;
}

int follow(const std::string& endpoint, BusClient& client, std::chrono::milliseconds timeout,
           const std::string& prefix, const core::BusClientOptions& keys) {
  RemoteTypes types;
  types.load(client, timeout);
  // External topics are "<tenant>/<topic>", and coachd lets a subscriber see its own tenant only.
  const auto me = call_admin<v1::WhoAmIReply>(client, timeout, "WhoAmI", v1::WhoAmIRequest());
  const std::string wire_prefix = me.tenant() + "/" + prefix;
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  core::use_curve(sub, keys);
  sub.set(zmq::sockopt::subscribe, wire_prefix);
  sub.connect(endpoint);
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  std::fprintf(stderr, "coachctl: following '%s' on %s (Ctrl-C to stop)\n", wire_prefix.c_str(),
               endpoint.c_str());
  while (!g_interrupted) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) == 0) continue;
    } catch (const zmq::error_t&) {
      continue;  // EINTR
    }
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(sub, std::back_inserter(parts), zmq::recv_flags::dontwait) ||
        parts.size() != 2)
      continue;
    v1::Envelope env;
    if (!env.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) {
      std::fprintf(stderr, "coachctl: undecodable event on %s\n", parts[0].to_string().c_str());
      continue;
    }
    auto type = std::string(core::type_name_of(env.payload().type_url()));
    if (!types.knows(type)) types.load(client, timeout);  // a topic first seen after we started
    std::string line;
    try {
      line = types.to_json(url_of("coach.v1.Envelope"), parts[1].to_string());
    } catch (const CallFailed& e) {
      std::fprintf(stderr, "coachctl: %s\n", e.what());
      continue;
    }
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
  }
  return 0;
}

// Sends an HR export to the people directory in chunks; prints refused lines as FILE:LINE and a
// summary. Exit 0 when every line was applied, 1 when some were refused.
int import_people(BusClient& client, std::chrono::milliseconds timeout, const std::string& file,
                  std::string format) {
  constexpr std::size_t kChunkLines = 1000;
  if (format.empty()) format = file.ends_with(".csv") ? "csv" : "jsonl";
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot read " + file);
  const auto t0 = std::chrono::steady_clock::now();
  v1::ImportPeopleReply total;
  std::string line;
  std::uint32_t number = 0;
  std::string header;
  v1::ImportPeopleRequest req;
  req.set_format(format);
  auto flush = [&] {
    if (req.text().empty()) return;
    const auto r =
        call_typed<v1::ImportPeopleReply>(client, timeout, "people", "ImportPeople", req);
    for (const auto& e : r.errors())
      std::fprintf(stderr, "%s:%u: %s\n", file.c_str(), e.line(), e.message().c_str());
    total.set_lines(total.lines() + r.lines());
    total.set_added(total.added() + r.added());
    total.set_updated(total.updated() + r.updated());
    total.set_unchanged(total.unchanged() + r.unchanged());
    total.set_people(r.people());
    for (const auto& e : r.errors()) *total.add_errors() = e;
    std::fprintf(stderr, "coachctl: %u lines sent\n", number);
    req.clear_text();
  };
  std::size_t chunk = 0;
  while (std::getline(in, line)) {
    ++number;
    if (format == "csv" && header.empty() && line.find_first_not_of(" \t\r") != std::string::npos) {
      header = line;
      continue;
    }
    if (req.text().empty()) {
      req.set_first_line(number);
      req.set_csv_header(header);
    }
    *req.mutable_text() += line + "\n";
    if (++chunk == kChunkLines) {
      flush();
      chunk = 0;
    }
  }
  flush();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "imported %s: %u people lines, %u added, %u updated, %u unchanged, %d refused, in %.2f s; "
      "%u people in the directory\n",
      file.c_str(), total.lines(), total.added(), total.updated(), total.unchanged(),
      total.errors_size(), secs, total.people());
  return total.errors_size() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coachctl: talk to a running coachd"};
  app.require_subcommand(1);
  std::string endpoint = coach::core::default_request_endpoint();
  std::string events_endpoint;
  int timeout_ms = 5000;
  app.add_option("-e,--endpoint", endpoint, "coachd request endpoint")->capture_default_str();
  app.add_option("-t,--timeout", timeout_ms, "Milliseconds to wait for a reply")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.set_version_flag("--version", std::string("coachctl ") + PROJECT_VERSION);
  std::string key_file, server_key_file;
  core::BusClientOptions bus_options;
  app.add_option("--key", key_file,
                 "This client's key pair (NAME.key from coachctl keygen), for a tcp endpoint")
      ->check(CLI::ExistingFile);
  app.add_option("--server-key", server_key_file, "coachd's public key file (its .pub)")
      ->check(CLI::ExistingFile);
  app.add_option("--as", bus_options.person,
                 "Act as this person of the tenant (a local operator or a gateway key)");
  app.add_option("--tenant", bus_options.tenant, "The tenant a gateway key acts in");
  auto* keygen = app.add_subcommand(
      "keygen", "Make a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub");
  std::string key_name, key_dir = ".";
  keygen->add_option("name", key_name, "Key name, e.g. coachd, gateway or crm")->required();
  keygen->add_option("--dir", key_dir, "Where to write the files")->capture_default_str();

  auto* health = app.add_subcommand("health", "Show the daemon's health and counters (JSON)");
  auto* plugins = app.add_subcommand("plugins", "List plugins, their state and methods (JSON)");
  auto* call =
      app.add_subcommand("call", "Call SERVICE METHOD with a JSON request; print the JSON reply");
  std::string service, method, json = "{}";
  call->add_option("service", service, "Plugin (service) name")->required();
  call->add_option("method", method, "Method name")->required();
  call->add_option("json", json, "Request as JSON (protobuf JSON mapping); default {}");
  auto* describe_cmd = app.add_subcommand(
      "describe", "List SERVICE's methods with request and reply types and their .proto comments");
  describe_cmd->add_option("service", service, "Plugin (service) name, or coachd")->required();
  auto* follow_cmd =
      app.add_subcommand("follow", "Print events whose topic starts with PREFIX as JSON lines");
  std::string prefix;
  follow_cmd->add_option("prefix", prefix, "Topic prefix, e.g. service_followup. (empty: all)");
  follow_cmd->add_option("--events", events_endpoint,
                         "Event endpoint (default: asked from the daemon)");

  auto* import_cmd = app.add_subcommand(
      "import",
      "Send each line of a JSON lines FILE to SERVICE METHOD (a batch method takes many lines per "
      "request, pipelined); report bad lines with their number, progress, and a summary");
  std::string import_file;
  std::size_t import_batch = 1000, import_in_flight = 4;
  import_cmd->add_option("service", service, "Plugin (service) name")->required();
  import_cmd->add_option("method", method, "Method taking one line (Import) or many (ImportBatch)")
      ->required();
  import_cmd->add_option("file", import_file, "JSON lines, one line per event")
      ->required()
      ->check(CLI::ExistingFile);
  import_cmd->add_option("--batch", import_batch, "Lines per request of a batch method")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  import_cmd->add_option("--in-flight", import_in_flight, "Requests sent before waiting for one")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));

  auto* people_cmd = app.add_subcommand("people", "The tenant's people directory");
  people_cmd->require_subcommand(1);
  auto* people_import = people_cmd->add_subcommand(
      "import", "Add or update people from an HR export (JSON lines or CSV with a header row)");
  std::string people_file, people_format;
  people_import->add_option("file", people_file, "The export; .csv is read as CSV")
      ->required()
      ->check(CLI::ExistingFile);
  people_import->add_option("--format", people_format, "jsonl or csv (default: by extension)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  auto* people_list = people_cmd->add_subcommand("list", "People as JSON lines, in id order");
  std::string people_team;
  people_list->add_option("--team", people_team, "Only this team's members");
  auto* people_get = people_cmd->add_subcommand("get", "One person as JSON");
  std::string person_id;
  people_get->add_option("id", person_id, "The person's id")->required();

  auto* token_cmd = app.add_subcommand("token", "Bearer tokens for coach-gateway");
  token_cmd->require_subcommand(1);
  auto* token_create =
      token_cmd->add_subcommand("create", "Make a token for a person acting in one of their roles");
  v1::CreateTokenRequest token_request;
  std::string token_tenant;
  token_create->add_option("--tenant", token_tenant, "The tenant (default: the caller's)");
  token_create->add_option("--person", *token_request.mutable_person(), "Who the token is")
      ->required();
  token_create->add_option("--role", *token_request.mutable_role(), "One of their roles")
      ->required();
  token_create->add_option("--description", *token_request.mutable_description(), "What it is for");
  auto* token_list = token_cmd->add_subcommand("list", "The tenant's tokens (JSON lines)");
  auto* login_link = app.add_subcommand(
      "login-link", "A one-time sign-in link to the web app for a person (no password to manage)");
  v1::CreateLoginLinkRequest login_request;
  std::string login_base = "http://127.0.0.1:8080";
  login_link->add_option("--person", *login_request.mutable_person(), "Who signs in")->required();
  std::uint32_t login_minutes = 15;
  login_link
      ->add_option("--minutes", login_minutes, "How long the link may be used (at most 10080)")
      ->capture_default_str();
  login_link->add_option("--base-url", login_base, "Where coach-gateway serves the web app")
      ->capture_default_str();
  auto* token_revoke = token_cmd->add_subcommand("revoke", "Revoke a token by its id");
  std::string token_id;
  token_revoke->add_option("id", token_id, "The 12-character id token list shows")->required();

  auto* store_cmd = app.add_subcommand("store", "The daemon's store");
  store_cmd->require_subcommand(1);
  auto* store_stats = store_cmd->add_subcommand("stats", "Keys and bytes per tenant and plugin");
  bool json_out = false;
  store_stats->add_flag("--json", json_out, "Print JSON instead of a table");
  auto* schedule_cmd = app.add_subcommand("schedule", "The durable scheduler");
  schedule_cmd->require_subcommand(1);
  auto* schedule_list = schedule_cmd->add_subcommand("list", "Scheduled entries, soonest first");
  v1::ListScheduleRequest list_request;
  std::uint32_t limit = 100;
  schedule_list->add_option("--plugin", *list_request.mutable_plugin(), "Only this plugin");
  schedule_list->add_option("--tenant", *list_request.mutable_tenant(), "Only this tenant");
  schedule_list->add_option("--state", *list_request.mutable_state(), "Only this state")
      ->check(CLI::IsMember({"pending", "done", "cancelled", "failed"}));
  schedule_list->add_option("--limit", limit, "At most this many")->capture_default_str();
  schedule_list->add_flag("--json", json_out, "Print JSON instead of a table");
  auto* clock_cmd = app.add_subcommand("clock", "The daemon's clock (test deployments)");
  clock_cmd->require_subcommand(1);
  auto* clock_advance =
      clock_cmd->add_subcommand("advance", "Move a test clock forward by DURATION");
  std::string duration;
  clock_advance->add_option("duration", duration, "e.g. 90s, 25h, 4d")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0; usage errors exit 2
  }

  auto timeout = std::chrono::milliseconds(timeout_ms);
  try {
    if (keygen->parsed()) {
      const auto pair = core::generate_curve_key_pair();
      const auto [secret, pub] = core::write_key_files(key_dir, key_name, pair);
      std::printf(
          "wrote %s (secret, mode 0600) and %s\npublic key: %s\n"
          "list it in coachd.yaml under security.curve.clients, e.g.\n"
          "  - {name: %s, public_key: \"%s\", tenant: TENANT, person: PERSON}\n",
          secret.c_str(), pub.c_str(), pair.public_key.c_str(), key_name.c_str(),
          pair.public_key.c_str());
      return 0;
    }
    if (!key_file.empty()) {
      if (server_key_file.empty()) throw std::invalid_argument("--key needs --server-key");
      bus_options.client_key = core::read_key_file(key_file, true);
      bus_options.server_public_key = core::read_key_file(server_key_file, false).public_key;
    }
    BusClient client(endpoint, bus_options);
    if (health->parsed()) {
      std::printf("%s\n", call_json(client, timeout, "coachd", "Health", "{}").c_str());
    } else if (plugins->parsed()) {
      std::printf("%s\n", call_json(client, timeout, "coachd", "ListPlugins", "{}").c_str());
    } else if (call->parsed()) {
      std::printf("%s\n", call_json(client, timeout, service, method, json).c_str());
    } else if (describe_cmd->parsed()) {
      return describe(client, timeout, service);
    } else if (store_stats->parsed()) {
      auto stats =
          call_admin<v1::StoreStatsReply>(client, timeout, "StoreStats", v1::StoreStatsRequest());
      if (json_out) {
        print_json(stats);
      } else {
        print_store_stats(stats);
      }
    } else if (schedule_list->parsed()) {
      list_request.set_limit(limit);
      auto list = call_admin<v1::ListScheduleReply>(client, timeout, "ListSchedule", list_request);
      if (json_out) {
        print_json(list);
      } else {
        print_schedule(list);
      }
    } else if (clock_advance->parsed()) {
      v1::AdvanceClockRequest req;
      req.set_by_ms(parse_duration_ms(duration));
      auto now = call_admin<v1::AdvanceClockReply>(client, timeout, "AdvanceClock", req);
      std::printf("clock now %s (%lld)\n", iso_time(now.now_ms()).c_str(),
                  static_cast<long long>(now.now_ms()));
    } else if (people_import->parsed()) {
      return import_people(client, timeout, people_file, people_format);
    } else if (people_list->parsed()) {
      v1::ListPeopleRequest req;
      req.set_team(people_team);
      do {
        const auto page = call_typed<v1::PersonList>(client, timeout, "people", "ListPeople", req);
        for (const auto& p : page.people()) print_json(p);
        req.set_after(page.next_after());
      } while (!req.after().empty());
    } else if (people_get->parsed()) {
      v1::GetPersonRequest req;
      req.set_id(person_id);
      print_json(call_typed<v1::Person>(client, timeout, "people", "GetPerson", req));
    } else if (token_create->parsed()) {
      const auto me = call_admin<v1::WhoAmIReply>(client, timeout, "WhoAmI", v1::WhoAmIRequest());
      if (!token_tenant.empty() && token_tenant != me.tenant()) {
        throw std::invalid_argument("this caller acts in tenant '" + me.tenant() +
                                    "'; make tokens for '" + token_tenant +
                                    "' with an operator key of that tenant");
      }
      const auto made =
          call_typed<v1::CreatedToken>(client, timeout, "tokens", "CreateToken", token_request);
      std::printf("%s\n", made.token().c_str());
      std::fprintf(stderr, "coachctl: token %s for %s as %s in tenant %s; shown this once\n",
                   made.info().id().c_str(), made.info().person().c_str(),
                   made.info().role().c_str(), made.info().tenant().c_str());
    } else if (login_link->parsed()) {
      login_request.set_valid_minutes(login_minutes);
      const auto link =
          call_typed<v1::LoginLink>(client, timeout, "tokens", "CreateLoginLink", login_request);
      while (!login_base.empty() && login_base.back() == '/') login_base.pop_back();
      std::printf("%s/login?code=%s\n", login_base.c_str(), link.code().c_str());
      std::fprintf(stderr, "coachctl: sign-in link for %s, once, until %s\n", link.person().c_str(),
                   google::protobuf::util::TimeUtil::ToString(
                       google::protobuf::util::TimeUtil::MillisecondsToTimestamp(link.expires_ms()))
                       .c_str());
    } else if (token_list->parsed()) {
      const auto list = call_typed<v1::TokenList>(client, timeout, "tokens", "ListTokens",
                                                  v1::ListTokensRequest());
      for (const auto& t : list.tokens()) print_json(t);
    } else if (token_revoke->parsed()) {
      v1::RevokeTokenRequest req;
      req.set_id(token_id);
      print_json(call_typed<v1::TokenInfo>(client, timeout, "tokens", "RevokeToken", req));
    } else if (import_cmd->parsed()) {
      return Importer(client,
                      {service, method, import_file, import_batch, import_in_flight, timeout})
          .run();
    } else if (follow_cmd->parsed()) {
      if (events_endpoint.empty()) {
        v1::HealthReply h;
        auto reply = client.call("coachd", "Health", v1::HealthRequest(), timeout);
        reply.payload().UnpackTo(&h);
        // A CURVE client follows the CURVE publisher; a local one the ipc one.
        events_endpoint = bus_options.client_key && !h.curve_event_endpoint().empty()
                              ? h.curve_event_endpoint()
                              : h.event_endpoint();
      }
      return follow(events_endpoint, client, timeout, prefix, bus_options);
    }
    return 0;
  } catch (const CallFailed& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 1;
  } catch (const core::RemoteTypesError& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 2;
  } catch (const core::KeyFileError& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coachctl: %s (endpoint %s)\n", e.what(), endpoint.c_str());
    return 3;
  }
}
