// SPDX-License-Identifier: Apache-2.0
// TokenService: bearer tokens for coach-gateway, served by coachd as "tokens" (coach.v1.Tokens)
// on its own thread (an InternalService under "@tokens"), and the one-time sign-in links that
// become web sessions (tokens that expire and act with all of a person's roles). A token names its
// tenant
// ("ct.<tenant>.<64 hex>"); coachd keeps only its SHA-256, in the tenant's "tokens" namespace.
#pragma once

#include <zmq.hpp>

#include <memory>
#include <string>

#include "clock.hpp"
#include "coach/store.hpp"
#include "coach/v1/tokens.pb.h"
#include "internal_service.hpp"
#include "people_directories.hpp"
#include "store/store_service.hpp"

namespace coach::core {

inline constexpr std::string_view kTokenService = "tokens";
inline constexpr std::string_view kTokenIdentity = "@tokens";

// SHA-256 of text as 64 lowercase hex digits.
std::string sha256_hex(std::string_view text);
// The tenant a token names, or empty when it is not shaped like one.
std::string token_tenant(std::string_view token);
// The tenant a sign-in code ("cl.<tenant>.<64 hex>") names, or empty.
std::string login_code_tenant(std::string_view code);

class TokenService {
 public:
  TokenService(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
               const PeopleDirectories& people, const Clock& clock);

 private:
  v1::Envelope handle(const v1::Envelope& request, const RequestTail& principal);
  // A new token for info's person in the request's tenant; info gets its id, tenant and time.
  v1::CreatedToken make_token(v1::TokenInfo info);

  const PeopleDirectories& people_;
  const Clock& clock_;
  std::string tenant_;  // of the request being served; the store's scope
  std::unique_ptr<Store> store_;
  InternalService service_;  // last: its thread calls handle() until it is destroyed
};

}  // namespace coach::core
