// SPDX-License-Identifier: Apache-2.0
#include "curve_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace coach::core {

namespace {

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw KeyFileError("cannot create " + path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) throw KeyFileError("cannot write " + path);
}

}  // namespace

CurveKeyPair generate_curve_key_pair() {
  char pub[41];
  char sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw KeyFileError(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  return {pub, sec};
}

std::pair<std::string, std::string> write_key_files(const std::string& dir, const std::string& name,
                                                    const CurveKeyPair& pair) {
  const std::string base = (dir.empty() ? std::string(".") : dir) + "/" + name;
  const std::string header = "# CURVE key '" + name + "' made by coachctl keygen\n";
  write_file(base + ".key",
             header + "# secret: keep this file readable by its owner only\npublic: " +
                 pair.public_key + "\nsecret: " + pair.secret_key + "\n",
             0600);
  write_file(base + ".pub", header + "public: " + pair.public_key + "\n", 0644);
  return {base + ".key", base + ".pub"};
}

CurveKeyPair read_key_file(const std::string& path, bool need_secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw KeyFileError("key file " + path + ": " + std::strerror(errno));
  std::ifstream in(path);
  if (!in) throw KeyFileError("key file " + path + ": cannot read it");
  CurveKeyPair pair;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    std::string key = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of(" \r") + 1);
    std::string* out = key == "public"   ? &pair.public_key
                       : key == "secret" ? &pair.secret_key
                                         : nullptr;
    if (!out || value.size() != 40) {
      throw KeyFileError("key file " + path + ":" + std::to_string(number) +
                         ": expected 'public: KEY' or 'secret: KEY' with a 40-character Z85 key");
    }
    *out = value;
  }
  if (pair.public_key.empty()) throw KeyFileError("key file " + path + ": no public key");
  if (need_secret) {
    if (pair.secret_key.empty())
      throw KeyFileError("key file " + path + ": no secret key (is this the .pub file?)");
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw KeyFileError("key file " + path + " holds a secret key but its mode is " + mode +
                         ": others can read it; make it readable by its owner only (chmod 600)");
    }
  }
  return pair;
}

}  // namespace coach::core
