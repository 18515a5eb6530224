#include "core/version.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace teamsrl {
namespace {

// The version comes from `project(teamsrl VERSION x.y.z ...)` in the top CMakeLists.txt;
// read it from there independently of the build's definitions.
TEST(VersionTest, IsTheProjectVersion) {
  std::ifstream in(std::string(TEAMSRL_SOURCE_DIR) + "/CMakeLists.txt");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  const std::string s = text.str();
  ASSERT_TRUE(std::regex_search(s, m, std::regex(R"(project\(teamsrl VERSION ([0-9.]+))")));
  EXPECT_EQ(Version(), m[1].str());
}

TEST(VersionTest, GitDescribeIsNeverEmpty) {
  // "unknown" outside a git tree, else a tag, a commit hash or both, maybe "-dirty".
  EXPECT_FALSE(GitDescribe().empty());
  EXPECT_EQ(GitDescribe().find('\n'), std::string_view::npos);
}

}  // namespace
}  // namespace teamsrl
