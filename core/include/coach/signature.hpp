// SPDX-License-Identifier: Apache-2.0
// How coachd signs what it sends to other tools and checks what they send it (webhooks out and
// in): "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" under the shared secret. The
// timestamp (Unix seconds) is signed with the body, so a captured request cannot be replayed
// later. Also the hex and random secrets those tools are given. Needs libcrypto (OpenSSL::Crypto).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <string>
#include <string_view>

#include "coach/error.hpp"

namespace coach {

// data as lowercase hex, two digits a byte.
inline std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

// bytes from OpenSSL's generator as hex (a secret, a token, an id nobody can guess).
inline std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw Error(v1::STATUS_CODE_INTERNAL, "no random bytes");
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

inline std::string hmac_signature(std::string_view secret, std::string_view timestamp,
                                  std::string_view body) {
  std::string text;
  text.reserve(timestamp.size() + 1 + body.size());
  text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  return "sha256=" + to_hex(mac, size);
}

// Compares in constant time: how long it takes says nothing about where they differ.
inline bool signature_matches(std::string_view expected, std::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace coach
