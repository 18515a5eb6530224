#include "evol/elimination.h"

#include <gtest/gtest.h>

#include <string>

namespace teamsrl::evol {
namespace {

TEST(EliminationTest, ReasonNamesFollowTheEnum) {
  const std::vector<std::string>& names = EliminationReasonNames();
  ASSERT_EQ(names.size(), static_cast<size_t>(kNumEliminationReasons));
  EXPECT_EQ(names[0], "none");
  EXPECT_EQ(EliminationReasonName(EliminationReason::kEqual), "equal");
  EXPECT_EQ(EliminationReasonName(EliminationReason::kSorry), "sorry");
  EXPECT_EQ(EliminationReasonName(EliminationReason::kStopwords), "stopwords");
  EXPECT_EQ(EliminationReasonName(EliminationReason::kPromptLeak), "prompt_leak");
  EXPECT_EQ(EliminationReasonName(EliminationReason::kFailedCall), "failed_call");
  for (int i = 0; i < kNumEliminationReasons; ++i) {
    EXPECT_EQ(names[i], EliminationReasonName(static_cast<EliminationReason>(i)));
  }
}

TEST(EliminationTest, RulesFromNames) {
  Result<EliminationRules> none = EliminationRules::FromNames({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, EliminationRules{});
  Result<EliminationRules> all =
      EliminationRules::FromNames({"equal", "sorry", "stopwords", "prompt_leak"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, EliminationRules::All());
  Result<EliminationRules> some = EliminationRules::FromNames({"sorry"});
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->sorry);
  EXPECT_FALSE(some->equal || some->stopwords || some->prompt_leak);
  Result<EliminationRules> bad = EliminationRules::FromNames({"sory"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sory"), std::string::npos);
}

TEST(EliminationTest, ShortApology) {
  EXPECT_TRUE(IsShortApology("Sorry, I cannot help with that."));
  EXPECT_TRUE(IsShortApology("I am SORRY but no."));
  EXPECT_FALSE(IsShortApology("Here is a recipe: boil water, add pasta."));
  std::string long_answer = "Sorry for the wait.";
  for (int i = 0; i < 80; ++i) long_answer += " word";
  EXPECT_FALSE(IsShortApology(long_answer));  // 84 words: long, so kept
  std::string edge = "sorry";
  for (int i = 0; i < 78; ++i) edge += " w";
  EXPECT_TRUE(IsShortApology(edge));  // 79 words
  edge += " w";
  EXPECT_FALSE(IsShortApology(edge));  // 80 words
}

TEST(EliminationTest, OnlyStopWords) {
  EXPECT_TRUE(IsOnlyStopWords(""));
  EXPECT_TRUE(IsOnlyStopWords("...!?"));
  EXPECT_TRUE(IsOnlyStopWords("It is what it is, and that's that."));
  EXPECT_FALSE(IsOnlyStopWords("It is raining."));
  EXPECT_FALSE(IsOnlyStopWords("42"));
}

TEST(EliminationTest, PromptLeak) {
  EXPECT_TRUE(LeaksPromptWords("#Rewritten Prompt#: How do I cook rice?"));
  EXPECT_TRUE(LeaksPromptWords("Rewrite the given prompt so that it is harder."));
  EXPECT_TRUE(LeaksPromptWords("#GIVEN PROMPT# cook rice"));
  EXPECT_TRUE(LeaksPromptWords("#Created Prompt#: Bake bread."));
  EXPECT_FALSE(LeaksPromptWords("Write a prompt for an image generator."));
}

TEST(EliminationTest, FirstRuleInOrderWins) {
  const EliminationRules all = EliminationRules::All();
  EXPECT_EQ(Eliminate(all, "Cook rice.", "Boil it in water.", true), EliminationReason::kNone);
  EXPECT_EQ(Eliminate(all, "Cook rice.", "Boil it in water.", false), EliminationReason::kEqual);
  EXPECT_EQ(Eliminate(all, "#Given Prompt# x", "Sorry.", false), EliminationReason::kEqual);
  EXPECT_EQ(Eliminate(all, "#Given Prompt# x", "Sorry.", true), EliminationReason::kSorry);
  EXPECT_EQ(Eliminate(all, "#Given Prompt# x", "it is.", true), EliminationReason::kStopwords);
  EXPECT_EQ(Eliminate(all, "#Given Prompt# x", "Rice.", true), EliminationReason::kPromptLeak);
  // Without a review the equal rule cannot fire.
  EXPECT_EQ(Eliminate(all, "Cook rice.", "Boil it.", std::nullopt), EliminationReason::kNone);
}

TEST(EliminationTest, SwitchedOffRulesDoNotFire) {
  const EliminationRules none;
  EXPECT_EQ(Eliminate(none, "#Given Prompt# x", "Sorry.", false), EliminationReason::kNone);
  EliminationRules only_leak;
  only_leak.prompt_leak = true;
  EXPECT_EQ(Eliminate(only_leak, "#Given Prompt# x", "Sorry.", false),
            EliminationReason::kPromptLeak);
}

}  // namespace
}  // namespace teamsrl::evol
