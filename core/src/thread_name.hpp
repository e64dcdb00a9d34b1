// SPDX-License-Identifier: Apache-2.0
// Names the calling thread, so that top -H, perf and gdb tell the broker from a plugin's thread.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace coach::core {

inline void name_this_thread(std::string_view name) {
  // Linux keeps 15 bytes and the terminating NUL; a longer name is refused, not truncated.
  std::string shortened(name.substr(0, 15));
  ::pthread_setname_np(::pthread_self(), shortened.c_str());
}

}  // namespace coach::core
