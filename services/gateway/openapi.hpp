// SPDX-License-Identifier: Apache-2.0
// The OpenAPI 3 document of the gateway: one POST path per method coachd serves, request and
// reply schemas from the message descriptors (protobuf's canonical JSON mapping, proto field
// names), summaries and descriptions from the .proto comments.
#pragma once

#include <string>

#include "remote_types.hpp"

namespace coach::gateway {

std::string openapi_document(const core::RemoteTypes& types, const std::string& version);

}  // namespace coach::gateway
