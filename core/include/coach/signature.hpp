// SPDX-License-Identifier: Apache-2.0
// How coachd signs what it sends to other tools and checks what they send it (webhooks out and
// in): "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" under the shared secret. The
// timestamp (Unix seconds) is signed with the body, so a captured request cannot be replayed
// later. Needs libcrypto (OpenSSL::Crypto).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace coach {

inline std::string hmac_signature(std::string_view secret, std::string_view timestamp,
                                  std::string_view body) {
  std::string text;
  text.reserve(timestamp.size() + 1 + body.size());
  text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

// Compares in constant time: how long it takes says nothing about where they differ.
inline bool signature_matches(std::string_view expected, std::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace coach
