#include "io/safe_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

}  // namespace
}  // namespace teamsrl::io
