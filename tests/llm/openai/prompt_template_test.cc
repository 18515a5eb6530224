// Rendering chat messages into a base model's prompt (api: completions).
#include "llm/openai/prompt_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace teamsrl::llm {
namespace {

using ::testing::HasSubstr;

constexpr char kVicunaLike[] = "{system}\nUSER: {user}\nASSISTANT:";

TEST(PromptTemplateTest, RendersSystemAndUser) {
  EXPECT_EQ(RenderPrompt(kVicunaLike, {{"system", "Be brief."}, {"user", "Hi"}}),
            "Be brief.\nUSER: Hi\nASSISTANT:");
}

TEST(PromptTemplateTest, NoSystemMessageDropsItsLine) {
  EXPECT_EQ(RenderPrompt(kVicunaLike, {{"user", "Hi"}}), "USER: Hi\nASSISTANT:");
  EXPECT_EQ(RenderPrompt("A\n  {system} \nB {user}\n{system}", {{"user", "x"}}), "A\nB x\n");
  // {system} inside a line with other text stays a (now empty) part of that line.
  EXPECT_EQ(RenderPrompt("[{system}] {user}", {{"user", "x"}}), "[] x");
}

TEST(PromptTemplateTest, MessagesAreJoinedAndNeverReExpanded) {
  EXPECT_EQ(RenderPrompt(kVicunaLike, {{"system", "S1"},
                                       {"user", "say {system} and {user}"},
                                       {"system", "S2"},
                                       {"user", "again"}}),
            "S1\n\nS2\nUSER: say {system} and {user}\n\nagain\nASSISTANT:");
}

class PromptTemplateFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    // One file per test and process: ctest runs this file's tests in parallel, and two
    // tests writing one path made ErrorsNameTheFile read the other's template.
    const std::string path = ::testing::TempDir() + "/prompt_template_test_" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                             std::to_string(getpid()) + ".txt";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

TEST_F(PromptTemplateFileTest, TrailingWhitespaceIsDropped) {
  Result<std::string> t = ReadPromptTemplate(Write("{system}\nUSER: {user}\nASSISTANT:\n\n"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, kVicunaLike);
}

TEST_F(PromptTemplateFileTest, ErrorsNameTheFile) {
  const std::string no_user = Write("{system} and nothing else");
  EXPECT_THAT(ReadPromptTemplate(no_user).status().message(),
              HasSubstr(no_user + " has no {user} placeholder"));
  EXPECT_THAT(ReadPromptTemplate(Write(" \n")).status().message(), HasSubstr("is empty"));
  EXPECT_EQ(ReadPromptTemplate("/nonexistent/t.txt").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace teamsrl::llm
