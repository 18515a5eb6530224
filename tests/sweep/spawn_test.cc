#include "sweep/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace teamsrl::sweep {
namespace {

TEST(SpawnTest, CapturesStdoutAndStderrAndTheExitCode) {
  const Captured c = RunCaptured({"sh", "-c", "echo out; echo err >&2; read x; exit 3"});
  EXPECT_EQ(c.exit_code, 3);  // `read` met the end of /dev/null at once
  EXPECT_EQ(c.text, "out\nerr\n");
}

TEST(SpawnTest, AProgramThatIsNotThereIsReportedByName) {
  const Captured c = RunCaptured({"teamsrl-no-such-program"});
  EXPECT_EQ(c.exit_code, -1);
  EXPECT_EQ(c.text, "teamsrl-no-such-program: cannot run it (not installed or not on PATH?)");
}

TEST(SpawnTest, OutputGoesToTheGivenDescriptor) {
  const std::string path = ::testing::TempDir() + "/spawn_test.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const pid_t pid = SpawnWithOutput({"sh", "-c", "echo one; echo two >&2"}, fd);
  ::close(fd);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), "one\ntwo\n");
}

}  // namespace
}  // namespace teamsrl::sweep
