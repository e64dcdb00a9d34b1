// SPDX-License-Identifier: Apache-2.0
// coach::Error: how plugin code reports a failure with a status code. Thrown and caught on
// the plugin's side of the boundary; the SDK turns it into the reply's Status.
#pragma once

#include <stdexcept>
#include <string>

#include "coach/v1/envelope.pb.h"

namespace coach {

using StatusCode = v1::StatusCode;

class Error : public std::runtime_error {
 public:
  Error(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

  StatusCode code() const noexcept { return code_; }

 private:
  StatusCode code_;
};

// Convenience constructors for the codes handlers use most.
inline Error invalid_argument(const std::string& field, const std::string& why) {
  return Error(v1::STATUS_CODE_INVALID_ARGUMENT, field + ": " + why);
}
inline Error not_found(const std::string& what) {
  return Error(v1::STATUS_CODE_NOT_FOUND, what + " not found");
}

// Runs fn and records its outcome in status: OK when it returns, the thrown Error's code, or
// otherwise_code for any other exception. How the SDK keeps exceptions on the plugin's side of
// the boundary.
template <typename Fn>
void capture_status(v1::Status& status, Fn&& fn,
                    StatusCode otherwise_code = v1::STATUS_CODE_HANDLER_FAILED) noexcept {
  try {
    fn();
    status.set_code(v1::STATUS_CODE_OK);
  } catch (const Error& e) {
    status.set_code(e.code());
    status.set_message(e.what());
  } catch (const std::exception& e) {
    status.set_code(otherwise_code);
    status.set_message(e.what());
  } catch (...) {
    status.set_code(otherwise_code);
    status.set_message("unknown exception");
  }
}

// Checks an id that becomes a segment of a store key ("person/<id>"): present, at most max_bytes,
// no '/'. Throws INVALID_ARGUMENT naming field.
inline void require_id(const std::string& field, const std::string& value,
                       std::size_t max_bytes = 128) {
  if (value.empty()) throw invalid_argument(field, "required");
  if (value.size() > max_bytes)
    throw invalid_argument(field, "longer than " + std::to_string(max_bytes) + " bytes");
  if (value.find('/') != std::string::npos) throw invalid_argument(field, "must not contain '/'");
}

}  // namespace coach
