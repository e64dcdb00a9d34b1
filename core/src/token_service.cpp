// SPDX-License-Identifier: Apache-2.0
#include "token_service.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "clock.hpp"
#include "coach/access.hpp"
#include "coach/signature.hpp"
#include "coach/v1/tokens.pb.h"
#include "names.hpp"
#include "store/plugin_store.hpp"

namespace coach::core {

namespace {

std::string token_key(std::string_view hash) { return "token/" + std::string(hash); }
std::string login_key(std::string_view hash) { return "login/" + std::string(hash); }

// "<prefix>.<tenant>.<64 hex>" with 32 random bytes.
std::string new_secret(std::string_view prefix, std::string_view tenant) {
  return std::string(prefix) + "." + std::string(tenant) + "." + random_hex(32);
}

// The tenant a "<prefix>.<tenant>.<64 hex>" secret names, or "" when it is not one.
std::string secret_tenant(std::string_view prefix, std::string_view secret) {
  if (!secret.starts_with(prefix) || secret.size() <= prefix.size() || secret[prefix.size()] != '.')
    return {};
  secret.remove_prefix(prefix.size() + 1);
  const auto dot = secret.find('.');
  if (dot == std::string_view::npos || secret.size() - dot - 1 != 64) return {};
  const auto tenant = secret.substr(0, dot);
  return is_plugin_name(tenant) ? std::string(tenant) : std::string();
}

constexpr std::int64_t kMinuteMs = 60'000;
// A spent code or ended session is kept this long past its end, so a late use is told why it
// fails (used, expired, revoked) rather than "unknown"; then the store prunes it.
constexpr std::int64_t kKeptAfterEndMs = 24 * 60 * kMinuteMs;

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw Error(v1::STATUS_CODE_INTERNAL, "SHA-256 failed");
  return to_hex(digest, size);
}

std::string token_tenant(std::string_view token) { return secret_tenant("ct", token); }
std::string login_code_tenant(std::string_view code) { return secret_tenant("cl", code); }

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

v1::CreatedToken TokenService::make_token(v1::TokenInfo info) {
  v1::CreatedToken out;
  out.set_token(new_secret("ct", tenant_));
  const std::string hash = sha256_hex(out.token());
  info.set_id(hash.substr(0, 12));
  info.set_tenant(tenant_);
  info.set_created_ms(clock_.now_ms());
  WriteBatch batch;
  batch.put(token_key(hash), info);
  // A session's record goes a day after it ends; a named token stays until revoked and kept.
  if (info.expires_ms() != 0) batch.expiring_at(info.expires_ms() + kKeptAfterEndMs);
  store_->commit(batch);
  *out.mutable_info() = std::move(info);
  return out;
}

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
    v1::TokenInfo info;
    info.set_person(req.person());
    info.set_role(req.role());
    info.set_description(req.description());
    return make_reply(request.message_id(), make_token(std::move(info)));
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
    if (info->expires_ms() != 0 && info->expires_ms() <= clock_.now_ms())
      throw Error(v1::STATUS_CODE_NOT_FOUND, "token expired");
    return make_reply(request.message_id(), *info);
  } else if (method == "CreateLoginLink") {
    access.require(access.admin(), "making sign-in links");
    v1::CreateLoginLinkRequest req;
    request.payload().UnpackTo(&req);
    require_id("person", req.person());
    if (!directory->find(req.person()))
      throw invalid_argument("person", "no person '" + req.person() + "' in the directory");
    const std::uint32_t minutes = req.valid_minutes() == 0 ? 15 : req.valid_minutes();
    if (minutes > 7 * 24 * 60) throw invalid_argument("valid_minutes", "at most a week (10080)");
    v1::LoginLink out;
    out.set_code(new_secret("cl", tenant_));
    out.set_person(req.person());
    out.set_expires_ms(clock_.now_ms() + minutes * kMinuteMs);
    v1::LoginCode stored;
    stored.set_person(req.person());
    stored.set_expires_ms(out.expires_ms());
    store_->commit(WriteBatch()
                       .put(login_key(sha256_hex(out.code())), stored)
                       .expiring_at(out.expires_ms() + kKeptAfterEndMs));
    return make_reply(request.message_id(), out);
  } else if (method == "RedeemLoginLink") {
    access.require(access.has(Role::kGateway) || access.has(Role::kOperator), "sign-in links");
    v1::RedeemLoginLinkRequest req;
    request.payload().UnpackTo(&req);
    if (login_code_tenant(req.code()) != tenant_)
      throw Error(v1::STATUS_CODE_NOT_FOUND, "no such sign-in link in tenant " + tenant_);
    const std::uint32_t hours = req.session_hours() == 0 ? 8 : req.session_hours();
    if (hours > 30 * 24) throw invalid_argument("session_hours", "at most 30 days (720)");
    const std::string key = login_key(sha256_hex(req.code()));
    std::int64_t version = 0;
    auto code = store_->get<v1::LoginCode>(key, &version);
    if (!code) throw Error(v1::STATUS_CODE_NOT_FOUND, "no such sign-in link");
    if (code->used_ms() != 0)
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "this sign-in link was used already");
    if (code->expires_ms() <= clock_.now_ms())
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "this sign-in link has expired");
    if (!directory->find(code->person()))
      throw Error(v1::STATUS_CODE_NOT_FOUND, "'" + code->person() + "' left the directory");
    code->set_used_ms(clock_.now_ms());
    // Once: of two clicks at the same moment, one finds the version moved.
    if (!store_->commit(WriteBatch()
                            .put(key, *code, version)
                            .expiring_at(code->expires_ms() + kKeptAfterEndMs)))
      throw Error(v1::STATUS_CODE_FAILED_PRECONDITION, "this sign-in link was used already");
    v1::TokenInfo info;
    info.set_person(code->person());
    info.set_session(true);
    info.set_description("web session");
    info.set_expires_ms(clock_.now_ms() + static_cast<std::int64_t>(hours) * 60 * kMinuteMs);
    return make_reply(request.message_id(), make_token(std::move(info)));
  } else if (method == "EndSession") {
    access.require(access.has(Role::kGateway) || access.has(Role::kOperator), "ending sessions");
    v1::ResolveTokenRequest req;
    request.payload().UnpackTo(&req);
    const std::string key = token_key(sha256_hex(req.token()));
    auto info =
        token_tenant(req.token()) == tenant_ ? store_->get<v1::TokenInfo>(key) : std::nullopt;
    if (!info || !info->session()) throw Error(v1::STATUS_CODE_NOT_FOUND, "no such session");
    if (info->revoked_ms() == 0) info->set_revoked_ms(clock_.now_ms());
    store_->commit(
        WriteBatch()
            .put(key, *info)
            .expiring_at(std::max(info->expires_ms(), clock_.now_ms()) + kKeptAfterEndMs));
    return make_reply(request.message_id(), *info);
  } else {
    throw Error(v1::STATUS_CODE_UNKNOWN_METHOD, "tokens has no method '" + method + "'");
  }
}

}  // namespace coach::core
