// SPDX-License-Identifier: Apache-2.0
// The directory of an ipc socket: created with 0750 when missing, never changed when it exists,
// refused when another user could move the socket away (owned by someone else, or writable by
// others without the sticky bit).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "daemon_process.hpp"
#include "runtime_paths.hpp"

namespace coach::core {
namespace {

using testing::TempDir;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string refusal(const std::string& endpoint) {
  try {
    prepare_ipc_endpoint(endpoint);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(SocketDirectory, AMissingDirectoryIsCreatedWith0750) {
  TempDir dir;
  const auto nested = dir.file("run/coachd");
  EXPECT_EQ(refusal("ipc://" + nested + "/requests.sock"), "");
  EXPECT_EQ(mode_of(nested), 0750u);
}

TEST(SocketDirectory, ASharedStickyDirectoryIsUsedAndLeftAsItWas) {
  TempDir dir;
  const auto shared = dir.file("tmp");  // what /tmp is: 1777
  ASSERT_EQ(::mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  EXPECT_EQ(refusal("ipc://" + shared + "/coachd.sock"), "");
  EXPECT_EQ(mode_of(shared), 01777u) << "a directory coachd did not create was changed";
}

TEST(SocketDirectory, ADirectoryOthersCanWriteWithoutTheStickyBitIsRefused) {
  TempDir dir;
  const auto open = dir.file("open");
  ASSERT_EQ(::mkdir(open.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  const auto why = refusal("ipc://" + open + "/coachd.sock");
  EXPECT_NE(why.find("writable by other users without the sticky bit"), std::string::npos) << why;
  EXPECT_EQ(mode_of(open), 0777u);
}

TEST(SocketDirectory, ADirectoryAnotherUserCreatedFirstIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  TempDir dir;
  const auto theirs = dir.file("theirs");
  ASSERT_EQ(::mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);  // nobody
  const auto why = refusal("ipc://" + theirs + "/requests.sock");
  EXPECT_NE(why.find("belongs to uid 65534"), std::string::npos) << why;
  EXPECT_EQ(mode_of(theirs), 0755u);
}

TEST(SocketDirectory, OtherTransportsAreLeftAlone) {
  EXPECT_EQ(refusal("tcp://127.0.0.1:5555"), "");
}

}  // namespace
}  // namespace coach::core
