// SPDX-License-Identifier: Apache-2.0
// The daemon's CPU scheduling policy (config key cpu_scheduling).
//
// A request crosses four threads: ZeroMQ's I/O thread, the broker, the plugin's thread and back.
// Under the default policy each hand-off wakes the next thread, and the kernel lets the woken
// thread preempt the one that woke it, in the middle of its batch. SCHED_BATCH turns that
// wake-up preemption off for the daemon's threads (sched(7): "without interactivity causing
// extra preemptions between the workload's tasks"); a woken thread still starts at once on an
// idle CPU. It needs no privilege.
#pragma once

#include <string_view>

namespace coach::core {

// Sets the calling thread's policy: "batch" (SCHED_BATCH) or "normal" (SCHED_OTHER). Threads it
// creates afterwards inherit it, so this runs before the daemon starts any. Throws
// std::system_error when the kernel refuses, std::invalid_argument for another name.
void apply_cpu_scheduling(std::string_view policy);

// The policy of thread tid (0: the caller) by the same names; "other" for any other.
std::string_view cpu_scheduling_of(int tid = 0);

}  // namespace coach::core
