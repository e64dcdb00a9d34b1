// SPDX-License-Identifier: Apache-2.0
// RemoteTypes: the messages of every method a running coachd serves, from its GetDescriptors
// reply, for clients with no generated code for them (coachctl, tests, the gateway): JSON in and
// out through protobuf's canonical mapping.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "bus_client.hpp"
#include "coach/v1/admin.pb.h"
#include "coach/v1/envelope.pb.h"
#include "envelope.hpp"
#include "proto_json.hpp"

namespace coach::core {

inline constexpr const char* kTypePrefix = "type.googleapis.com";

// "type.googleapis.com/<full_name>".
inline std::string url_of(const std::string& full_name) {
  return std::string(kTypePrefix) + "/" + full_name;
}

// The daemon refused the descriptors, or a message does not print as JSON.
struct RemoteTypesError : std::runtime_error {
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
      throw RemoteTypesError("cannot read descriptors: " + reply.status().message());
    }
    scratch_.clear();  // these point into the pool they replace
    json_ = ProtoJson();
    factory_.reset();
    resolver_.reset();
    pool_ = std::make_unique<google::protobuf::DescriptorPool>();
    std::set<std::string> seen;
    add_generated(v1::Envelope::descriptor()->file(), seen);
    for (const auto& file : set.files().file()) {
      if (seen.insert(file.name()).second) pool_->BuildFile(file);
    }
    methods_.clear();
    for (const auto& m : set.methods()) methods_[m.name()] = m;
    services_.clear();
    for (const auto& [name, service] : set.services()) services_[name] = service;
    resolver_.reset(
        google::protobuf::util::NewTypeResolverForDescriptorPool(kTypePrefix, pool_.get()));
    factory_ = std::make_unique<google::protobuf::DynamicMessageFactory>(pool_.get());
  }

  const google::protobuf::Descriptor* message(const std::string& full_name) const {
    return pool_ ? pool_->FindMessageTypeByName(full_name) : nullptr;
  }
  const v1::MethodInfo* method(const std::string& service, const std::string& method) const {
    auto it = methods_.find(service + "/" + method);
    return it == methods_.end() ? nullptr : &it->second;
  }
  // Every method, keyed "<service>/<method>", and the pool their types and comments are in.
  const std::map<std::string, v1::MethodInfo>& methods() const { return methods_; }
  const google::protobuf::DescriptorPool* pool() const { return pool_.get(); }
  // The protobuf service (e.g. "coach.v1.echo.Echo") a bus service name serves, or empty.
  std::string proto_service(const std::string& name) const {
    auto it = services_.find(name);
    return it == services_.end() ? std::string() : it->second;
  }

  bool knows(const std::string& full_name) const {
    return pool_ && pool_->FindMessageTypeByName(full_name);
  }

  // binary as a message of the type type_url names (for reflection), or null when the type is
  // unknown or the bytes do not parse. Valid until the next load().
  std::unique_ptr<google::protobuf::Message> parse(const std::string& type_url,
                                                   const std::string& binary) const {
    const auto* type = message(type_url.substr(type_url.rfind('/') + 1));
    if (!type) return nullptr;
    std::unique_ptr<google::protobuf::Message> out(factory_->GetPrototype(type)->New());
    if (!out->ParseFromString(binary)) return nullptr;
    return out;
  }

  // JSON of binary, a message of the type type_url names. ProtoJson where it covers the type,
  // protobuf's converter otherwise (the two agree where both answer). Not thread-safe.
  std::string to_json(const std::string& type_url, const std::string& binary) const {
    if (auto* message = scratch(type_url); message && message->ParseFromString(binary)) {
      std::string out;
      if (json_.print(*message, out)) return out;
    }
    std::string out;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    opts.always_print_primitive_fields = true;
    auto st =
        google::protobuf::util::BinaryToJsonString(resolver_.get(), type_url, binary, &out, opts);
    if (!st.ok()) throw RemoteTypesError("cannot print " + type_url + " as JSON: " + st.ToString());
    return out;
  }
  // json as the binary of a message of type_url; std::invalid_argument naming what is wrong.
  std::string from_json(const std::string& type_url, const std::string& json) const {
    if (auto* message = scratch(type_url)) {
      message->Clear();
      if (json_.parse(json, *message)) return message->SerializeAsString();
    }
    std::string out;
    auto st = google::protobuf::util::JsonToBinaryString(resolver_.get(), type_url, json, &out);
    if (!st.ok())
      throw std::invalid_argument("request JSON does not fit " + type_url + ": " + st.ToString());
    return out;
  }

 private:
  void add_generated(const google::protobuf::FileDescriptor* file, std::set<std::string>& seen) {
    if (seen.count(file->name())) return;
    for (int i = 0; i < file->dependency_count(); ++i) add_generated(file->dependency(i), seen);
    seen.insert(file->name());
    google::protobuf::FileDescriptorProto proto;
    file->CopyTo(&proto);
    pool_->BuildFile(proto);
  }

  // A reusable message of the type type_url names when ProtoJson covers it, else null.
  google::protobuf::Message* scratch(const std::string& type_url) const {
    const auto* type = message(std::string(type_name_of(type_url)));
    if (!type || !json_.covers(type)) return nullptr;
    auto& slot = scratch_[type];
    if (!slot) slot.reset(factory_->GetPrototype(type)->New());
    return slot.get();
  }

  // Declared before the factory, which holds a pointer to it: destroyed after it.
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  mutable ProtoJson json_;
  // Declared after the factory: its messages are destroyed first.
  mutable std::map<const google::protobuf::Descriptor*, std::unique_ptr<google::protobuf::Message>>
      scratch_;
  std::map<std::string, v1::MethodInfo> methods_;
  std::map<std::string, std::string> services_;
};

}  // namespace coach::core
