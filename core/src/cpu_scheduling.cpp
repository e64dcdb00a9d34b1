// SPDX-License-Identifier: Apache-2.0
#include "cpu_scheduling.hpp"

#include <sched.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace coach::core {

void apply_cpu_scheduling(std::string_view policy) {
  int value = 0;
  if (policy == "batch") {
    value = SCHED_BATCH;
  } else if (policy == "normal") {
    value = SCHED_OTHER;
  } else {
    throw std::invalid_argument("unknown cpu_scheduling '" + std::string(policy) + "'");
  }
  sched_param param{};
  if (::sched_setscheduler(0, value, &param) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cpu_scheduling " + std::string(policy));
  }
}

std::string_view cpu_scheduling_of(int tid) {
  switch (::sched_getscheduler(tid)) {
    case SCHED_BATCH:
      return "batch";
    case SCHED_OTHER:
      return "normal";
    default:
      return "other";
  }
}

}  // namespace coach::core
