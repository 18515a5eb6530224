#include "evol/review.h"

#include <gtest/gtest.h>

namespace teamsrl::evol {
namespace {

TEST(ReviewTest, ExactAcceptsOnlyTrimmedNotEqual) {
  EXPECT_TRUE(IsNotEqual("Not Equal", MatchMode::kExact));
  EXPECT_TRUE(IsNotEqual(" Not Equal\n", MatchMode::kExact));
  EXPECT_TRUE(IsNotEqual("\tNot Equal  \r\n", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("Equal", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("not equal.", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("Not Equal.", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("Not equal", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("Not  Equal", MatchMode::kExact));
  EXPECT_FALSE(IsNotEqual("", MatchMode::kExact));
}

TEST(ReviewTest, NormalizedRecoversCaseAndPunctuationNoise) {
  for (const char* reply : {"Not Equal", "not equal.", "Not Equal.", " Not Equal\n", "Not equal",
                            "NOT EQUAL!", "\"Not Equal\"", "Not  \n Equal", "**Not Equal**"}) {
    EXPECT_TRUE(IsNotEqual(reply, MatchMode::kNormalized)) << reply;
  }
  for (const char* reply : {"Equal", "Equal.", "equal", "",
                            "Not Equal - the second prompt adds a "
                            "constraint.",
                            "The answer is Not Equal", "Notequal"}) {
    EXPECT_FALSE(IsNotEqual(reply, MatchMode::kNormalized)) << reply;
  }
}

TEST(ReviewTest, ExactVerdictsAreTheTwoTrimmedForms) {
  for (const char* reply : {"Equal", "Not Equal", "  Not Equal\n", "\tEqual "}) {
    EXPECT_TRUE(IsExactVerdict(reply)) << reply;
  }
  for (const char* reply : {"", "equal", "Not Equal.", "not equal", "Equal - the same", "NOT EQUAL",
                            "Not  Equal", "Unequal"}) {
    EXPECT_FALSE(IsExactVerdict(reply)) << reply;
  }
}

TEST(ReviewTest, ModeNames) {
  EXPECT_EQ(EnumName(MatchMode::kExact), "exact");
  EXPECT_EQ(EnumFromName<MatchMode>("normalized"), MatchMode::kNormalized);
  EXPECT_EQ(EnumFromName<MatchMode>("fuzzy"), std::nullopt);
  EXPECT_EQ(EnumChoices<MatchMode>(), "exact|normalized");
}

TEST(ReviewTest, MalformedRepliesPastShareNeedsAHundredReplies) {
  EXPECT_FALSE(MalformedRepliesPastShare(99, 99, 0.15));   // too few to say
  EXPECT_FALSE(MalformedRepliesPastShare(100, 15, 0.15));  // at the share, not past it
  EXPECT_TRUE(MalformedRepliesPastShare(100, 16, 0.15));
  EXPECT_FALSE(MalformedRepliesPastShare(1000, 1000, 1.0));  // 1 = never
}

}  // namespace
}  // namespace teamsrl::evol
