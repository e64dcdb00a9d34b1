// SPDX-License-Identifier: Apache-2.0
// The cached getpid() (core/src/pid_cache.cpp), linked into this test binary as into coachd.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace {

pid_t kernel_pid() { return static_cast<pid_t>(::syscall(SYS_getpid)); }

}  // namespace

TEST(PidCache, TheProcessUsesTheCachedGetpidNotLibcs) {
  Dl_info info{};
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(&::getpid), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_EQ(std::string(info.dli_fname).find("libc.so"), std::string::npos) << info.dli_fname;
  // libc's own callers (and ZeroMQ's) resolve to it too.
  void* resolved = ::dlsym(RTLD_DEFAULT, "getpid");
  EXPECT_EQ(resolved, reinterpret_cast<void*>(&::getpid));
}

TEST(PidCache, MatchesTheKernelAndAForkedChildSeesItsOwnPid) {
  const pid_t parent = ::getpid();
  EXPECT_EQ(parent, kernel_pid());
  EXPECT_EQ(::getpid(), parent);  // cached from here on

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const pid_t seen = ::getpid();
    const char ok = (seen == kernel_pid() && seen != parent) ? 1 : 0;
    (void)!::write(fds[1], &ok, 1);
    ::_exit(0);
  }
  ::close(fds[1]);
  char ok = 0;
  EXPECT_EQ(::read(fds[0], &ok, 1), 1);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(ok, 1) << "the child saw its parent's pid";
  EXPECT_EQ(::getpid(), parent);
}
