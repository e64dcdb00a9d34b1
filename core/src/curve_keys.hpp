// SPDX-License-Identifier: Apache-2.0
// CURVE key pairs as files: what `coachctl keygen NAME` writes and coachd, coachctl and test
// clients read. NAME.key holds the pair and must be readable by its owner only; NAME.pub holds
// the public key, to hand to whoever must know it (coachd's clients: list; a client's copy of the
// server key).
//
//   # comment lines
//   public: <40 Z85 characters>
//   secret: <40 Z85 characters>     (NAME.key only)
#pragma once

#include <stdexcept>
#include <string>

namespace coach::core {

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85; empty when read from a .pub file
};

class KeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

CurveKeyPair generate_curve_key_pair();

// Writes dir/name.key (0600) and dir/name.pub (0644); refuses to overwrite either.
// Returns the paths written, .key first.
std::pair<std::string, std::string> write_key_files(const std::string& dir, const std::string& name,
                                                    const CurveKeyPair& pair);

// Reads a key file. With need_secret, the file must hold the secret key and be readable by its
// owner only (a secret key file readable by group or others is refused: anyone who reads it can
// be the daemon or the client it names).
CurveKeyPair read_key_file(const std::string& path, bool need_secret);

}  // namespace coach::core
