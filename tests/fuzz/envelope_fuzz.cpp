// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: what coachd's broker does with bytes a client sends. Parses them as an
// Envelope (reusing buffers, as the broker does), routes the request, and checks that whatever
// parsed serializes back to something that parses to the same message. Also the internal frame
// header and request tail decoders. Built with clang by tests/fuzz/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "envelope.hpp"
#include "names.hpp"
#include "request_router.hpp"

namespace {

coach::core::RequestRouter& router() {
  static coach::core::RequestRouter r = [] {
    coach::core::RequestRouter out;
    auto& echo = out.upsert("echo");
    echo.state = coach::core::RouteState::kRunning;
    echo.methods["Echo"] = {coach::v1::Envelope::descriptor(), coach::v1::Envelope::descriptor()};
    out.upsert("off");  // disabled
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static coach::v1::Envelope env;  // reused, as the broker reuses its envelope
  coach::core::clear_keeping_buffers(env);
  if (coach::core::parse_reusing_buffers(env, data, size)) {
    auto decision = router().resolve(env.service(), env.method(), env.payload().type_url());
    (void)decision;
    (void)coach::core::type_name_of(env.payload().type_url());
    (void)coach::core::is_plugin_name(env.service());
    (void)coach::core::is_method_name(env.method());
    (void)coach::core::status_name(env.status().code());
    const std::string again = env.SerializeAsString();
    coach::v1::Envelope round;
    if (!round.ParseFromString(again) || round.SerializeAsString() != again) __builtin_trap();
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t seq = 0;
  std::string_view tail;
  if (coach::core::decode_header(text, seq, tail)) {
    coach::core::RequestTail decoded;
    (void)coach::core::decode_request_tail(tail, decoded);
  }
  return 0;
}
