#include "io/safe_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace teamsrl::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(SafeFileTest, PathOccupiedSeesDanglingLinks) {
  TempDir dir;
  EXPECT_FALSE(PathOccupied(dir.File("x")));
  fs::create_symlink(dir.File("nowhere"), dir.File("x"));
  EXPECT_FALSE(fs::exists(dir.File("x")));  // what the old checks asked
  EXPECT_TRUE(PathOccupied(dir.File("x")));
}

TEST(SafeFileTest, OpenForWritingRefusesLinksAndNeverTruncates) {
  TempDir dir;
  std::ofstream(dir.File("victim")) << "precious";
  fs::create_symlink(dir.File("victim"), dir.File("out"));
  fs::create_symlink(dir.File("created_by_link"), dir.File("dangling"));
  for (const char* name : {"out", "dangling"}) {
    Result<int> fd = OpenForWriting(dir.File(name));
    ASSERT_FALSE(fd.ok()) << name;
    EXPECT_EQ(fd.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(fd.status().message(), HasSubstr("is a symbolic link"));
  }
  EXPECT_EQ(ReadAll(dir.File("victim")), "precious");
  EXPECT_FALSE(fs::exists(dir.File("created_by_link")));

  std::ofstream(dir.File("plain")) << "kept";
  Result<int> fd = OpenForWriting(dir.File("plain"), O_APPEND);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ASSERT_EQ(::write(*fd, "+", 1), 1);
  ::close(*fd);
  EXPECT_EQ(ReadAll(dir.File("plain")), "kept+");
}

TEST(SafeFileTest, RemoveForReplacementRemovesTheLinkNotItsTarget) {
  TempDir dir;
  std::ofstream(dir.File("victim")) << "precious";
  fs::create_symlink(dir.File("victim"), dir.File("out"));
  ASSERT_TRUE(RemoveForReplacement(dir.File("out")).ok());
  EXPECT_FALSE(PathOccupied(dir.File("out")));
  EXPECT_EQ(ReadAll(dir.File("victim")), "precious");
  EXPECT_TRUE(RemoveForReplacement(dir.File("absent")).ok());
  fs::create_directory(dir.File("d"));
  EXPECT_EQ(RemoveForReplacement(dir.File("d")).code(), StatusCode::kFailedPrecondition);
}

TEST(SafeFileTest, AtomicWriteWithoutReplaceRefusesAnythingThere) {
  TempDir dir;
  std::ofstream(dir.File("victim")) << "precious";
  fs::create_symlink(dir.File("victim"), dir.File("link"));
  fs::create_symlink(dir.File("created_by_link"), dir.File("dangling"));
  for (const char* name : {"victim", "link", "dangling"}) {
    Status st = WriteFileAtomically(dir.File(name), "new", /*replace=*/false);
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << name;
    EXPECT_THAT(st.message(), HasSubstr("--overwrite")) << name;
  }
  EXPECT_EQ(ReadAll(dir.File("victim")), "precious");
  EXPECT_FALSE(fs::exists(dir.File("created_by_link")));
  EXPECT_EQ(Entries(dir.path()), 3u);  // no temporary file left behind

  ASSERT_TRUE(WriteFileAtomically(dir.File("fresh"), "new", false).ok());
  EXPECT_EQ(ReadAll(dir.File("fresh")), "new");
}

TEST(SafeFileTest, AtomicWriteWithReplaceReplacesTheLinkItself) {
  TempDir dir;
  std::ofstream(dir.File("victim")) << "precious";
  fs::create_symlink(dir.File("victim"), dir.File("out"));
  ASSERT_TRUE(WriteFileAtomically(dir.File("out"), "new", /*replace=*/true).ok());
  EXPECT_FALSE(fs::is_symlink(dir.File("out")));
  EXPECT_EQ(ReadAll(dir.File("out")), "new");
  EXPECT_EQ(ReadAll(dir.File("victim")), "precious");
}

// The old fixed name `out.tmp`, planted as a link, is not where the bytes go.
TEST(SafeFileTest, TemporaryNamesAreUniqueAndPlantedOnesAreIgnored) {
  TempDir dir;
  std::ofstream(dir.File("victim")) << "precious";
  fs::create_symlink(dir.File("victim"), dir.File("out.tmp"));
  fs::create_symlink(dir.File("victim"), dir.File(".out.tmp-XXXXXX"));
  Result<AtomicFile> a = AtomicFile::Create(dir.File("out"), true);
  Result<AtomicFile> b = AtomicFile::Create(dir.File("out"), true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->temp_path(), b->temp_path());
  EXPECT_EQ(fs::path(a->temp_path()).parent_path(), fs::path(dir.path()));
  ASSERT_TRUE(a->Write("from a").ok());
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_EQ(ReadAll(dir.File("out")), "from a");
  EXPECT_EQ(ReadAll(dir.File("victim")), "precious");
  const std::string b_temp = b->temp_path();
  b = Status(InvalidArgument("dropped"));  // destroying an uncommitted file removes its temp
  EXPECT_FALSE(PathOccupied(b_temp));
}

TEST(SafeFileTest, ModeFollowsTheUmask) {
  TempDir dir;
  const mode_t old = ::umask(027);
  ASSERT_TRUE(WriteFileAtomically(dir.File("out"), "x", false).ok());
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// A forked child that takes DIR's lock, says so through a pipe, then waits for a byte
// from the parent and releases the lock (or, with `kill`, dies by SIGKILL holding it).
class LockHolder {
 public:
  LockHolder(const std::string& dir, bool kill) {
    if (::pipe(to_parent_) != 0 || ::pipe(to_child_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      char c = 0;
      {
        Result<DirectoryLock> lock = DirectoryLock::Acquire(dir);
        c = lock.ok() ? 'y' : 'n';
        if (::write(to_parent_[1], &c, 1) != 1) _exit(2);
        if (::read(to_child_[0], &c, 1) != 1) _exit(3);
        if (kill) ::raise(SIGKILL);
      }  // released here
      _exit(0);
    }
    char c = 0;
    held_ = pid_ > 0 && ::read(to_parent_[0], &c, 1) == 1 && c == 'y';
  }
  ~LockHolder() { Finish(); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  bool held() const { return held_; }
  // Lets the child go on; returns its wait status.
  int Finish() {
    if (pid_ <= 0) return -1;
    const char c = 'x';
    (void)!::write(to_child_[1], &c, 1);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    for (int fd : {to_parent_[0], to_parent_[1], to_child_[0], to_child_[1]}) ::close(fd);
    return status;
  }

 private:
  int to_parent_[2] = {-1, -1}, to_child_[2] = {-1, -1};
  pid_t pid_ = -1;
  bool held_ = false;
};

TEST(DirectoryLockTest, ReleasingRemovesTheLockFile) {
  TempDir dir;
  {
    Result<DirectoryLock> lock = DirectoryLock::Acquire(dir.path());
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    EXPECT_TRUE(PathOccupied(dir.File(".lock")));
    DirectoryLock moved = std::move(*lock);  // the moved-from object releases nothing
    lock = Status(InvalidArgument("dropped"));
    EXPECT_TRUE(PathOccupied(dir.File(".lock")));
  }
  EXPECT_FALSE(PathOccupied(dir.File(".lock")));
  EXPECT_EQ(Entries(dir.path()), 0u);
}

TEST(DirectoryLockTest, AnotherProcessHoldingItIsRefusedUntilItReleases) {
  TempDir dir;
  LockHolder holder(dir.path(), /*kill=*/false);
  ASSERT_TRUE(holder.held());
  Result<DirectoryLock> second = DirectoryLock::Acquire(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("is in use by another running process"));
  EXPECT_TRUE(PathOccupied(dir.File(".lock")));  // the refused attempt removed nothing
  const int status = holder.Finish();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(PathOccupied(dir.File(".lock")));
  Result<DirectoryLock> third = DirectoryLock::Acquire(dir.path());
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST(DirectoryLockTest, AKilledHolderLeavesTheFileButNotTheLock) {
  TempDir dir;
  LockHolder holder(dir.path(), /*kill=*/true);
  ASSERT_TRUE(holder.held());
  const int status = holder.Finish();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(PathOccupied(dir.File(".lock")));
  {
    Result<DirectoryLock> lock = DirectoryLock::Acquire(dir.path());
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  }
  EXPECT_FALSE(PathOccupied(dir.File(".lock")));
}

// Processes taking and releasing the lock as fast as they can: while one holds it, it
// creates DIR/holder exclusively, so two holders at once (a lock taken on a file the
// previous holder had just unlinked) fail the O_EXCL create.
TEST(DirectoryLockTest, ConcurrentAcquireAndReleaseNeverHasTwoHolders) {
  TempDir dir;
  constexpr int kProcesses = 4, kRounds = 150;
  const std::string marker = dir.File("holder");
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int held = 0; held < kRounds;) {
        Result<DirectoryLock> lock = DirectoryLock::Acquire(dir.path());
        if (!lock.ok()) {
          if (lock.status().code() != StatusCode::kFailedPrecondition) _exit(2);
          continue;
        }
        const int fd = ::open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd < 0) _exit(1);  // someone else holds it too
        ::close(fd);
        ::unlink(marker.c_str());
        ++held;
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1 = two processes held the lock at once";
  }
  EXPECT_FALSE(PathOccupied(dir.File(".lock")));
}

}  // namespace
}  // namespace teamsrl::io
