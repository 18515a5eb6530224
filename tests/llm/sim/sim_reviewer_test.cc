#include "llm/sim/sim_reviewer.h"

#include <gtest/gtest.h>

#include <string>

#include "core/text.h"

namespace teamsrl::llm::sim {
namespace {

const std::string kBefore = "How to cook food?";
const std::string kWithConstraint =
    "How to cook food? Your answer must stay under 150 words and avoid technical jargon.";

bool NormalizedNotEqual(const std::string& reply) { return NormalizeText(reply) == "not equal"; }

TEST(SimReviewerTest, IdenticalTextsAreEqual) {
  int not_equal = 0;
  for (uint64_t s = 0; s < 1000; ++s) {
    const ReviewResult r = SimReview(kBefore, kBefore, s);
    EXPECT_FALSE(r.adds_information);
    not_equal += r.says_not_equal;
  }
  EXPECT_LE(not_equal, 60);  // only the ~3 % wrong judgements
  EXPECT_EQ(SimReview(kBefore, kBefore, 7).increment.new_content_words, 0);
}

TEST(SimReviewerTest, NewConstraintIsNotEqual) {
  int not_equal = 0;
  for (uint64_t s = 0; s < 1000; ++s) {
    const ReviewResult r = SimReview(kBefore, kWithConstraint, s);
    EXPECT_TRUE(r.adds_information);
    not_equal += r.says_not_equal;
  }
  EXPECT_GE(not_equal, 940);
}

TEST(SimReviewerTest, SmallChangesAndLeakedMarkersAreEqual) {
  for (const char* after :
       {"How to cook food.", "how to cook food?", "#Rewritten Prompt#:\nHow to cook food?",
        "How to prepare food?",  // one new word is below the threshold
        "How to cook food? To restate the request once more: How to cook "
        "food? How to cook food?"}) {
    EXPECT_FALSE(SimReview(kBefore, after, 1).adds_information) << after;
  }
  // A new block alone counts.
  EXPECT_TRUE(SimReview(kBefore, kBefore + "\n```sql\nSELECT 1;\n```", 1).adds_information);
}

TEST(SimReviewerTest, ErrorAndNoiseRatesAsDesigned) {
  const int n = 20000;
  int wrong = 0, noisy = 0, exact_lost = 0, normalized_lost = 0, truly_not_equal = 0;
  for (int s = 0; s < n; ++s) {
    const ReviewResult r = SimReview(kBefore, kWithConstraint, s);
    wrong += r.says_not_equal != r.adds_information;
    noisy += r.noisy;
    if (!r.says_not_equal) continue;
    ++truly_not_equal;
    // The reply always states the verdict; only its form varies.
    EXPECT_NE(ToLower(r.reply).find("equal"), std::string::npos);
    exact_lost += Trim(r.reply) != "Not Equal";
    normalized_lost += !NormalizedNotEqual(r.reply);
  }
  EXPECT_NEAR(wrong / double(n), kReviewerErrorRate, 0.006);
  EXPECT_NEAR(noisy / double(n), kReplyNoiseRate, 0.01);
  // Exact parsing loses 4 of the 5 noisy Not-Equal forms, normalized only the one with
  // extra words.
  EXPECT_NEAR(exact_lost / double(truly_not_equal), kReplyNoiseRate * 0.8, 0.01);
  EXPECT_NEAR(normalized_lost / double(truly_not_equal), kReplyNoiseRate * 0.2, 0.006);
  EXPECT_LT(normalized_lost, exact_lost);
}

TEST(SimReviewerTest, NoisyEqualNeverParsesAsNotEqual) {
  for (int s = 0; s < 5000; ++s) {
    const ReviewResult r = SimReview(kBefore, kBefore, s);
    if (!r.says_not_equal) {
      EXPECT_FALSE(NormalizedNotEqual(r.reply)) << r.reply;
    }
  }
}

}  // namespace
}  // namespace teamsrl::llm::sim
