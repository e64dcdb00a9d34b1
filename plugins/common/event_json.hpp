// SPDX-License-Identifier: Apache-2.0
// Another plugin's event payload as JSON, whatever its type: read through the generated pool (the
// type is linked in the process when its plugin is loaded), so a plugin compiles none of the
// other plugins' .proto files and runs without them.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <memory>
#include <string>

namespace coach::common {

// The payload as protobuf's canonical JSON (field names as in the .proto); empty when its type
// is not loaded in this process or the bytes do not parse.
inline std::string event_json(const google::protobuf::Any& any) {
  static const std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool()));
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::BinaryToJsonString(resolver.get(), any.type_url(), any.value(),
                                                  &json, options)
           .ok())
    return {};
  return json;
}

}  // namespace coach::common
