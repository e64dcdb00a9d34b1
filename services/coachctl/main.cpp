// SPDX-License-Identifier: Apache-2.0
// coachctl: the operator's command line for a running coachd. JSON in, JSON out. Messages of
// plugins coachctl was not built with are encoded with descriptors fetched from the daemon.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "envelope.hpp"
#include "runtime_paths.hpp"

namespace {

namespace pb = google::protobuf;
using coach::core::BusClient;
using namespace coach;

constexpr const char* kTypePrefix = "type.googleapis.com";

// Exit codes: 0 success, 1 the daemon answered with an error status, 2 usage, 3 no answer.
struct CallFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A descriptor pool built from what the daemon serves (GetDescriptors), plus the envelope.
class RemoteTypes {
 public:
  void load(BusClient& client, std::chrono::milliseconds timeout) {
    v1::GetDescriptorsRequest req;
    auto reply = client.call(std::string(core::kAdminService), "GetDescriptors", req, timeout);
    v1::GetDescriptorsReply set;
    if (reply.status().code() != v1::STATUS_CODE_OK || !reply.payload().UnpackTo(&set)) {
      throw CallFailed("cannot read descriptors: " + reply.status().message());
    }
    pool_ = std::make_unique<pb::DescriptorPool>();
    std::set<std::string> seen;
    add_generated(v1::Envelope::descriptor()->file(), seen);
    for (const auto& file : set.files().file()) {
      if (seen.insert(file.name()).second) pool_->BuildFile(file);
    }
    methods_.clear();
    for (const auto& m : set.methods()) methods_[m.name()] = m;
    resolver_.reset(pb::util::NewTypeResolverForDescriptorPool(kTypePrefix, pool_.get()));
  }

  const v1::MethodInfo* method(const std::string& service, const std::string& method) const {
    auto it = methods_.find(service + "/" + method);
    return it == methods_.end() ? nullptr : &it->second;
  }
  bool knows(const std::string& full_name) const {
    return pool_ && pool_->FindMessageTypeByName(full_name);
  }

  std::string to_json(const std::string& type_url, const std::string& binary) const {
    std::string out;
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    opts.always_print_primitive_fields = true;
    auto st = pb::util::BinaryToJsonString(resolver_.get(), type_url, binary, &out, opts);
    if (!st.ok()) throw CallFailed("cannot print " + type_url + " as JSON: " + st.ToString());
    return out;
  }
  std::string from_json(const std::string& type_url, const std::string& json) const {
    std::string out;
    auto st = pb::util::JsonToBinaryString(resolver_.get(), type_url, json, &out);
    if (!st.ok())
      throw std::invalid_argument("request JSON does not fit " + type_url + ": " + st.ToString());
    return out;
  }

 private:
  void add_generated(const pb::FileDescriptor* file, std::set<std::string>& seen) {
    if (seen.count(file->name())) return;
    for (int i = 0; i < file->dependency_count(); ++i) add_generated(file->dependency(i), seen);
    seen.insert(file->name());
    pb::FileDescriptorProto proto;
    file->CopyTo(&proto);
    pool_->BuildFile(proto);
  }

  std::unique_ptr<pb::DescriptorPool> pool_;
  std::unique_ptr<pb::util::TypeResolver> resolver_;
  std::map<std::string, v1::MethodInfo> methods_;
};

std::string url_of(const std::string& full_name) {
  return std::string(kTypePrefix) + "/" + full_name;
}

// Calls service.method with a JSON request; returns the reply payload as JSON.
std::string call_json(BusClient& client, std::chrono::milliseconds timeout,
                      const std::string& service, const std::string& method,
                      const std::string& json) {
  RemoteTypes types;
  types.load(client, timeout);
  const v1::MethodInfo* info = types.method(service, method);
  v1::Envelope request;
  request.set_kind(v1::Envelope::KIND_REQUEST);
  request.set_message_id(core::new_message_id());
  request.set_service(service);
  request.set_method(method);
  core::stamp_now(request);
  if (info) {
    request.mutable_payload()->set_type_url(url_of(info->request_type()));
    request.mutable_payload()->set_value(types.from_json(url_of(info->request_type()), json));
  }
  // Without a known method the daemon's own error (unknown service/method) is the clearest answer.
  auto reply = client.call(request, timeout);
  if (reply.status().code() != v1::STATUS_CODE_OK) {
    throw CallFailed(core::status_name(reply.status().code()) + ": " + reply.status().message());
  }
  return types.to_json(reply.payload().type_url(), reply.payload().value());
}

volatile std::sig_atomic_t g_interrupted = 0;

int follow(const std::string& endpoint, BusClient& client, std::chrono::milliseconds timeout,
           const std::string& prefix) {
  RemoteTypes types;
  types.load(client, timeout);
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, prefix);
  sub.connect(endpoint);
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  std::fprintf(stderr, "coachctl: following '%s' on %s (Ctrl-C to stop)\n", prefix.c_str(),
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

  auto* health = app.add_subcommand("health", "Show the daemon's health and counters (JSON)");
  auto* plugins = app.add_subcommand("plugins", "List plugins, their state and methods (JSON)");
  auto* call =
      app.add_subcommand("call", "Call SERVICE METHOD with a JSON request; print the JSON reply");
  std::string service, method, json = "{}";
  call->add_option("service", service, "Plugin (service) name")->required();
  call->add_option("method", method, "Method name")->required();
  call->add_option("json", json, "Request as JSON (protobuf JSON mapping); default {}");
  auto* follow_cmd =
      app.add_subcommand("follow", "Print events whose topic starts with PREFIX as JSON lines");
  std::string prefix;
  follow_cmd->add_option("prefix", prefix, "Topic prefix, e.g. service_followup. (empty: all)");
  follow_cmd->add_option("--events", events_endpoint,
                         "Event endpoint (default: asked from the daemon)");
  CLI11_PARSE(app, argc, argv);

  auto timeout = std::chrono::milliseconds(timeout_ms);
  try {
    BusClient client(endpoint);
    if (health->parsed()) {
      std::printf("%s\n", call_json(client, timeout, "coachd", "Health", "{}").c_str());
    } else if (plugins->parsed()) {
      std::printf("%s\n", call_json(client, timeout, "coachd", "ListPlugins", "{}").c_str());
    } else if (call->parsed()) {
      std::printf("%s\n", call_json(client, timeout, service, method, json).c_str());
    } else if (follow_cmd->parsed()) {
      if (events_endpoint.empty()) {
        v1::HealthReply h;
        auto reply = client.call("coachd", "Health", v1::HealthRequest(), timeout);
        reply.payload().UnpackTo(&h);
        events_endpoint = h.event_endpoint();
      }
      return follow(events_endpoint, client, timeout, prefix);
    }
    return 0;
  } catch (const CallFailed& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "coachctl: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coachctl: %s (endpoint %s)\n", e.what(), endpoint.c_str());
    return 3;
  }
}
