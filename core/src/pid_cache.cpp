// SPDX-License-Identifier: Apache-2.0
// A daemon's getpid(): the process id, cached, as glibc itself did until version 2.25. Linked
// into coachd and coach-gateway, whose threads wait on ZeroMQ mailboxes all day.
//
// ZeroMQ calls getpid() on every wait on and every wake-up of a socket's mailbox, to notice a
// fork. Without a cache each call is a system call: a third of the broker's system calls per
// request, and on a virtual machine every one traps to the hypervisor (about 1 us measured on the
// build machine). Defined in the executable, this getpid takes precedence over libc's for every
// library in the process (ELF symbol interposition), the daemon's own and the plugins'.
//
// A child made by fork() refreshes the cache before it runs (pthread_atfork). The one way around
// that is a process made by a raw clone(2) system call, which neither coachd nor its libraries
// use; a vfork() child only calls exec or _exit.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<pid_t> cached_pid{0};

pid_t kernel_pid() { return static_cast<pid_t>(::syscall(SYS_getpid)); }

void refresh_in_child() { cached_pid.store(kernel_pid(), std::memory_order_relaxed); }

[[maybe_unused]] const int registered = ::pthread_atfork(nullptr, nullptr, refresh_in_child);

}  // namespace

extern "C" __attribute__((visibility("default"))) pid_t getpid() noexcept {
  pid_t pid = cached_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = kernel_pid();
    cached_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}
