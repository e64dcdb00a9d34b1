// SPDX-License-Identifier: Apache-2.0
#include "token_service.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "clock.hpp"
#include "coach/access.hpp"
#include "coach/v1/tokens.pb.h"
#include "names.hpp"
#include "store/plugin_store.hpp"

namespace coach::core {

namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string token_key(std::string_view hash) { return "token/" + std::string(hash); }

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw Error(v1::STATUS_CODE_INTERNAL, "SHA-256 failed");
  return hex(digest, size);
}

std::string token_tenant(std::string_view token) {
  if (!token.starts_with("ct.")) return {};
  token.remove_prefix(3);
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() - dot - 1 != 64) return {};
  const auto tenant = token.substr(0, dot);
  return is_plugin_name(tenant) ? std::string(tenant) : std::string();
}

TokenService::TokenService(zmq::context_t& zmq, std::string backend_endpoint, StoreService& store,
                           const PeopleDirectories& people, const Clock& clock)
    : people_(people),
      clock_(clock),
      store_(std::make_unique<PluginStore>(store, std::string(kTokenService), &tenant_)),
      service_(zmq, std::move(backend_endpoint), std::string(kTokenIdentity),
               std::string(kTokenService),
               [this](const v1::Envelope& request, const RequestTail& principal) {
                 return handle(request, principal);
               }) {}

v1::Envelope TokenService::handle(const v1::Envelope& request, const RequestTail& principal) {
  tenant_.assign(principal.tenant);
  const auto directory = people_.get(tenant_);
  const RequestContext rc = request_context(request, principal);
  const Access access(rc, *directory);
  const auto& method = request.method();
  if (method == "CreateToken") {
    access.require(access.admin(), "making tokens");
    v1::CreateTokenRequest req;
    request.payload().UnpackTo(&req);
    require_id("person", req.person());
    const Person* p = directory->find(req.person());
    if (!p) throw invalid_argument("person", "no person '" + req.person() + "' in the directory");
    const auto role = role_from_name(req.role());
    if (!role || !p->roles.has(*role)) {
      throw invalid_argument("role", "'" + req.person() + "' holds " +
                                         (p->roles.any() ? role_names(p->roles) : "no role") +
                                         ", not '" + req.role() + "'");
    }
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) != 1)
      throw Error(v1::STATUS_CODE_INTERNAL, "no random bytes");
    v1::CreatedToken out;
    out.set_token("ct." + tenant_ + "." + hex(secret, sizeof secret));
    const std::string hash = sha256_hex(out.token());
    auto* info = out.mutable_info();
    info->set_id(hash.substr(0, 12));
    info->set_tenant(tenant_);
    info->set_person(req.person());
    info->set_role(req.role());
    info->set_description(req.description());
    info->set_created_ms(clock_.now_ms());
    store_->put(token_key(hash), *info);
    return make_reply(request.message_id(), out);
  } else if (method == "ListTokens") {
    access.require(access.admin(), "the tokens");
    v1::TokenList list;
    for (const auto& item : store_->scan_all("token/"))
      *list.add_tokens() = Store::parse<v1::TokenInfo>(item);
    std::sort(list.mutable_tokens()->begin(), list.mutable_tokens()->end(),
              [](const auto& a, const auto& b) { return a.created_ms() > b.created_ms(); });
    return make_reply(request.message_id(), list);
  } else if (method == "RevokeToken") {
    access.require(access.admin(), "revoking tokens");
    v1::RevokeTokenRequest req;
    request.payload().UnpackTo(&req);
    if (req.id().size() != 12 || req.id().find('/') != std::string::npos)
      throw invalid_argument("id", "expected the 12-character id ListTokens shows");
    // The id is the start of the hash the token is stored under.
    const auto found = store_->scan_all(token_key(req.id()));
    if (found.empty()) throw Error(v1::STATUS_CODE_NOT_FOUND, "id: no token " + req.id());
    auto info = Store::parse<v1::TokenInfo>(found.front());
    if (info.revoked_ms() == 0) info.set_revoked_ms(clock_.now_ms());
    store_->put(found.front().key, info);
    return make_reply(request.message_id(), info);
  } else if (method == "ResolveToken") {
    access.require(access.has(Role::kGateway) || access.has(Role::kOperator), "resolving tokens");
    v1::ResolveTokenRequest req;
    request.payload().UnpackTo(&req);
    if (token_tenant(req.token()) != tenant_)
      throw Error(v1::STATUS_CODE_NOT_FOUND, "no such token in tenant " + tenant_);
    auto info = store_->get<v1::TokenInfo>(token_key(sha256_hex(req.token())));
    if (!info || info->revoked_ms() != 0)
      throw Error(v1::STATUS_CODE_NOT_FOUND, info ? "token revoked" : "no such token");
    return make_reply(request.message_id(), *info);
  } else {
    throw Error(v1::STATUS_CODE_UNKNOWN_METHOD, "tokens has no method '" + method + "'");
  }
}

}  // namespace coach::core
