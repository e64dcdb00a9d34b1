// SPDX-License-Identifier: Apache-2.0
// coachctl against a real daemon: JSON in, JSON out, for a plugin coachctl was not built with.
#include <gtest/gtest.h>

#include "daemon_process.hpp"

namespace coach::testing {

using namespace std::chrono_literals;

class CoachctlTest : public ::testing::Test {
 protected:
  void SetUp() override { daemon_.start(); }
  RunResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv{COACHCTL_BIN, "--endpoint", daemon_.request_endpoint()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, daemon_.dir().file("ctl.out"));
  }
  DaemonProcess daemon_{"  echo:\n    config:\n      greeting: hello\n  good: {}\n"};
};

TEST_F(CoachctlTest, CallsPluginWithDescriptorsFromTheDaemon) {
  auto r = ctl({"call", "echo", "Echo", R"({"text":"world"})"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(R"("text":"hello: world")"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(R"("tenant":"default")"), std::string::npos) << r.output;
}

TEST_F(CoachctlTest, DescribeListsMethodsWithTheirTypesAndProtoComments) {
  auto echo = ctl({"describe", "echo"});
  ASSERT_EQ(echo.exit_code, 0) << echo.output;
  EXPECT_NE(echo.output.find("echo (coach.v1.echo.Echo)"), std::string::npos) << echo.output;
  EXPECT_NE(echo.output.find("Echo(coach.v1.echo.EchoRequest) returns (coach.v1.echo.EchoReply)\n"
                             "      Returns the text after the configured greeting"),
            std::string::npos)
      << echo.output;
  auto admin = ctl({"describe", "coachd"});
  EXPECT_NE(admin.output.find("Health(coach.v1.HealthRequest) returns (coach.v1.HealthReply)\n"
                              "      Whether the daemon serves"),
            std::string::npos)
      << admin.output;
  // A fixture built without coach_add_plugin has no comments to show, only its methods.
  EXPECT_NE(ctl({"describe", "good"}).output.find("Echo(google.protobuf.StringValue)"),
            std::string::npos);
  auto unknown = ctl({"describe", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("no plugin serves 'nobody'"), std::string::npos) << unknown.output;
}

TEST_F(CoachctlTest, HealthAndPluginsPrintJson) {
  auto h = ctl({"health"});
  EXPECT_EQ(h.exit_code, 0) << h.output;
  EXPECT_NE(h.output.find(R"("state":"serving")"), std::string::npos) << h.output;
  auto p = ctl({"plugins"});
  EXPECT_EQ(p.exit_code, 0) << p.output;
  EXPECT_NE(p.output.find(R"("request_type":"coach.v1.echo.EchoRequest")"), std::string::npos)
      << p.output;
}

TEST_F(CoachctlTest, FailuresExitNonZeroWithOneLine) {
  auto r = ctl({"call", "nobody", "Echo", "{}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "coachctl: UNKNOWN_SERVICE: no plugin serves 'nobody'\n");
  r = ctl({"call", "echo", "Echo", R"({"nofield":1})"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("nofield"), std::string::npos);
  r = ctl({"call", "echo", "Echo", R"({"text":")" + std::string(5000, 'x') + "\"}"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("INVALID_ARGUMENT: plugin 'echo' method 'Echo': text: longer than 4096"),
            std::string::npos)
      << r.output;
  auto dead = run_command(
      {COACHCTL_BIN, "--endpoint", "ipc:///nonexistent/x.sock", "--timeout", "300", "health"},
      daemon_.dir().file("dead.out"));
  EXPECT_EQ(dead.exit_code, 3);
  EXPECT_NE(dead.output.find("no reply from coachd within 300 ms"), std::string::npos)
      << dead.output;
}

TEST_F(CoachctlTest, FollowPrintsEventsAsJsonLines) {
  std::string out = daemon_.dir().file("follow.out");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::execl(COACHCTL_BIN, COACHCTL_BIN, "--endpoint", daemon_.request_endpoint().c_str(), "follow",
            "echo.", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(700ms);
  ASSERT_EQ(ctl({"call", "echo", "Echo", R"({"text":"evt"})"}).exit_code, 0);
  std::string text;
  for (int i = 0; i < 50 && text.find("echo.echoed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    text = read_file(out);
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_NE(text.find(R"("topic":"echo.echoed")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("text":"evt")"), std::string::npos) << text;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace coach::testing
