#include "llm/sim/sim_rewriter.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/rng.h"
#include "llm/sim/sim_lexicon.h"

namespace teamsrl::llm::sim {
namespace {

const std::string kSeed = "What are the best ways for people to cook food at home?";

std::string Apply(Action a, std::string_view text, uint64_t seed = 1) {
  Rng rng(seed);
  return ApplyAction(a, text, rng);
}

TEST(SimActionTest, NamesMatchTheCatalogue) {
  EXPECT_EQ(ActionName(Action::kBreadth), "breadth");
  EXPECT_EQ(ActionName(Action::kComplicateInput), "complicate_input");
  for (int i = 0; i < kNumActions; ++i) {
    const auto a = static_cast<Action>(i);
    EXPECT_EQ(*ActionFromName(ActionName(a)), a);
  }
  EXPECT_FALSE(ActionFromName("widening").ok());
}

TEST(SimActionTest, AddConstraintAppendsALimit) {
  const std::string out = Apply(Action::kAddConstraints, kSeed);
  ASSERT_TRUE(out.starts_with(kSeed));
  EXPECT_EQ(ExtractFeatures(out).constraints, 1);
  // Repeating picks a constraint the text does not have yet.
  std::string text = kSeed;
  for (int i = 0; i < 6; ++i) text = Apply(Action::kAddConstraints, text, i);
  EXPECT_EQ(ExtractFeatures(text).constraints, 6) << text;
}

TEST(SimActionTest, DeepenAddsAnExamination) {
  const std::string out = Apply(Action::kDeepening, kSeed);
  ASSERT_TRUE(out.starts_with(kSeed));
  EXPECT_EQ(ExtractFeatures(out).deepening, 1) << out;
  EXPECT_GE(InformationIncrement(kSeed, out).new_content_words, 4) << out;
}

TEST(SimActionTest, ConcretizeSwapsGeneralWordsUntilNoneRemain) {
  const std::string out = Apply(Action::kConcretizing, "How to cook food?");
  EXPECT_EQ(out.find("food"), std::string::npos) << out;
  EXPECT_TRUE(out.starts_with("How to cook ")) << out;
  EXPECT_GE(InformationIncrement("How to cook food?", out).new_content_words, 3) << out;

  std::string text = kSeed;  // ways, people, food
  EXPECT_EQ(ExtractFeatures(text).general_words, 3);
  text = Apply(Action::kConcretizing, text);
  EXPECT_EQ(ExtractFeatures(text).general_words, 1) << text;
  text = Apply(Action::kConcretizing, text);
  EXPECT_EQ(ExtractFeatures(text).general_words, 0) << text;
  EXPECT_EQ(Apply(Action::kConcretizing, text), text);  // nothing left to make specific
  // Capitalisation survives at the start of a sentence.
  EXPECT_TRUE(Apply(Action::kConcretizing, "People like it.").substr(0, 1) != "p");
}

TEST(SimActionTest, ReasoningAndStructuredInput) {
  const std::string r = Apply(Action::kIncreaseReasoning, kSeed);
  EXPECT_NE(r.find("step by step"), std::string::npos);
  std::set<std::string> kinds;
  for (uint64_t s = 0; s < 60; ++s) {
    const std::string c = Apply(Action::kComplicateInput, kSeed, s);
    ASSERT_TRUE(c.starts_with(kSeed));
    EXPECT_EQ(ExtractFeatures(c).blocks, 1) << c;
    for (const char* k : {"```json", "```sql", "```python", "```xml", "```bash", "|---|"}) {
      if (c.find(k) != std::string::npos) kinds.insert(k);
    }
  }
  EXPECT_EQ(kinds.size(), 6u);  // JSON, SQL, Python, XML, shell and a table all occur
}

TEST(SimActionTest, BreadthWritesANewShortInstructionInTheSameDomain) {
  const std::string long_text =
      Apply(Action::kAddConstraints, Apply(Action::kDeepening, "How to cook food?"));
  for (uint64_t s = 0; s < 20; ++s) {
    const std::string out = Apply(Action::kBreadth, long_text, s);
    EXPECT_EQ(DetectDomain(out), DetectDomain("How to cook food?")) << out;
    EXPECT_LT(ExtractFeatures(out).words, 25) << out;
    EXPECT_GE(InformationIncrement(long_text, out).new_content_words, 2) << out;
  }
}

TEST(SimRewriterTest, SuccessProbabilityModel) {
  TextFeatures f;
  f.words = 20;
  f.general_words = 1;
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kAddConstraints, f), kAddConstraintsBase);
  f.constraints = 2;
  EXPECT_NEAR(SuccessProbability(Action::kAddConstraints, f),
              kAddConstraintsBase * kAddConstraintsDecay * kAddConstraintsDecay, 1e-12);
  f.deepening = 1;
  EXPECT_NEAR(SuccessProbability(Action::kDeepening, f), kDeepeningBase * kDeepeningDecay, 1e-12);
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kConcretizing, f), kConcretizingBase);
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kComplicateInput, f), kInputBase);
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kIncreaseReasoning, f), kReasoningBase);
  f.reasoning = 1;
  f.blocks = 1;
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kIncreaseReasoning, f), kOnceRepeated);
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kComplicateInput, f), kOnceRepeated);
  f.general_words = 0;
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kConcretizing, f), 0.0);
  f.deepening = 0;
  f.words = kLongWords + 1;
  EXPECT_NEAR(SuccessProbability(Action::kDeepening, f), kDeepeningBase * kLongFactor, 1e-12);
  EXPECT_DOUBLE_EQ(SuccessProbability(Action::kBreadth, f), kBreadthSuccess);
}

TEST(SimRewriterTest, PureFunctionOfActionInputAndSeed) {
  for (uint64_t s = 0; s < 50; ++s) {
    for (int a = 0; a < kNumActions; ++a) {
      const RewriteResult x = SimRewrite(static_cast<Action>(a), kSeed, s);
      const RewriteResult y = SimRewrite(static_cast<Action>(a), kSeed, s);
      EXPECT_EQ(x.text, y.text);
      EXPECT_EQ(x.outcome, y.outcome);
    }
  }
}

TEST(SimRewriterTest, FailureModesOccurWithPlausibleRates) {
  std::array<int, 6> outcomes{};
  const int n = 4000;
  const std::string input = Apply(Action::kIncreaseReasoning, kSeed);
  for (int s = 0; s < n; ++s) {
    const RewriteResult r = SimRewrite(Action::kIncreaseReasoning, input, s);
    ++outcomes[static_cast<int>(r.outcome)];
    switch (r.outcome) {
      case RewriteOutcome::kLeakedMarker:
        EXPECT_TRUE(r.text.starts_with(kRewriteMarker));
        break;
      case RewriteOutcome::kRambling:
        EXPECT_GT(r.text.size(), 2 * input.size());
        break;
      case RewriteOutcome::kNearIdentical:
        EXPECT_LE(InformationIncrement(input, r.text).new_content_words, 1);
        break;
      case RewriteOutcome::kUnchanged:
        EXPECT_EQ(r.text, input);
        break;
      default:
        break;
    }
  }
  // Reasoning already present: kOnceRepeated applied; of the failures 35/35/20/10 %.
  const double fail = 1.0 - kOnceRepeated;
  EXPECT_NEAR(outcomes[0] / double(n), kOnceRepeated, 0.02);
  EXPECT_NEAR(outcomes[1] / double(n), fail * 0.35, 0.03);
  EXPECT_NEAR(outcomes[2] / double(n), fail * 0.35, 0.03);
  EXPECT_NEAR(outcomes[3] / double(n), fail * 0.20, 0.03);
  EXPECT_NEAR(outcomes[4] / double(n), fail * 0.10, 0.02);
}

TEST(SimRewriterTest, BreadthFailureIsTooSimilarButStillShort) {
  std::string text = kSeed;
  for (int i = 0; i < 4; ++i) text = Apply(Action::kAddConstraints, text, i);
  int too_similar = 0;
  for (uint64_t s = 0; s < 400; ++s) {
    const RewriteResult r = SimRewrite(Action::kBreadth, text, s);
    EXPECT_LT(ExtractFeatures(r.text).words, 25);
    if (r.outcome == RewriteOutcome::kTooSimilar) {
      ++too_similar;
      EXPECT_LE(InformationIncrement(text, r.text).new_content_words, 1) << r.text;
    }
  }
  EXPECT_NEAR(too_similar / 400.0, 1 - kBreadthSuccess, 0.08);
}

TEST(SimRewriterTest, EmptyAndOddInputsAreHandled) {
  for (const char* input : {"", " ", "\n\n", "?", "```", "|---|", "#Rewritten Prompt#:"}) {
    for (int a = 0; a < kNumActions; ++a) {
      for (uint64_t s = 0; s < 20; ++s) {
        const RewriteResult r = SimRewrite(static_cast<Action>(a), input, s);
        EXPECT_GE(r.success_probability, 0.0);
      }
    }
  }
}

TEST(SimRewriterTest, LeakedMarkersAreStrippedFromTheInput) {
  const std::string leaked = std::string(kRewriteMarker) + "\nHow to cook food?";
  for (uint64_t s = 0; s < 100; ++s) {
    const RewriteResult r = SimRewrite(Action::kAddConstraints, leaked, s);
    if (r.outcome == RewriteOutcome::kApplied) {
      EXPECT_TRUE(r.text.starts_with("How to cook food?") ||
                  r.text.starts_with(std::string(kRewriteMarker) + "\nHow"));
    }
  }
}

}  // namespace
}  // namespace teamsrl::llm::sim
