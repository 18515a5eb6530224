#include "llm/sim/sim_responder.h"

#include <gtest/gtest.h>

#include <string>

#include "core/rng.h"
#include "core/text.h"
#include "llm/sim/sim_actions.h"

namespace teamsrl::llm::sim {
namespace {

std::string WithConstraints(int n) {
  std::string text = "How can beginners bake sourdough bread at home?";
  for (int i = 0; i < n; ++i) {
    Rng rng(i);
    text = AddConstraint(text, rng);
  }
  return text;
}

double RefusalRate(const std::string& instruction, int n = 2000) {
  int refused = 0;
  for (int s = 0; s < n; ++s) {
    const Response r = SimRespond(instruction, s);
    if (r.refused) {
      ++refused;
      EXPECT_TRUE(r.text.starts_with("Sorry")) << r.text;
      EXPECT_LT(WordCount(r.text), 80u);
    }
  }
  return refused / double(n);
}

TEST(SimResponderTest, RefusalsRiseWithConstraints) {
  const double r0 = RefusalRate(WithConstraints(0));
  const double r3 = RefusalRate(WithConstraints(3));
  const double r5 = RefusalRate(WithConstraints(5));
  const double r7 = RefusalRate(WithConstraints(7));
  EXPECT_LT(r0, 0.04);
  EXPECT_LT(r3, 0.04);
  EXPECT_GT(r5, r3 + 0.25);
  EXPECT_GT(r7, r5 + 0.2);
  EXPECT_NEAR(r5, RefusalProbability(ExtractFeatures(WithConstraints(5))), 0.04);
}

TEST(SimResponderTest, LongInstructionsAreRefusedMoreOften) {
  std::string text = "How can beginners bake sourdough bread at home?";
  while (ExtractFeatures(text).words <= kRefusalWords) text += " Explain the crumb and crust.";
  EXPECT_GT(RefusalRate(text), 0.25);
}

TEST(SimResponderTest, AnswerFollowsTheInstruction) {
  uint64_t s = 0;
  Response plain;
  do plain = SimRespond("How can beginners bake sourdough bread at home?", s++);
  while (plain.refused);
  EXPECT_NE(plain.text.find("sourdough"), std::string::npos) << plain.text;

  Rng rng(3);
  const std::string reasoning =
      AddReasoning(WithConstraints(2) +
                       " In particular, examine how time pressure affects "
                       "safety risks.",
                   rng);
  Response rich;
  do rich = SimRespond(reasoning + "\n```python\nprint(1)\n```", s++);
  while (rich.refused);
  EXPECT_NE(rich.text.find("\n1. "), std::string::npos) << rich.text;
  EXPECT_NE(rich.text.find("Requirement 2:"), std::string::npos) << rich.text;
  EXPECT_NE(rich.text.find("Looking deeper (1)"), std::string::npos) << rich.text;
  EXPECT_NE(rich.text.find("```python"), std::string::npos) << rich.text;
  EXPECT_GT(WordCount(rich.text), WordCount(plain.text) + 40);
}

TEST(SimResponderTest, Deterministic) {
  const std::string text = WithConstraints(4);
  for (uint64_t s = 0; s < 20; ++s) EXPECT_EQ(SimRespond(text, s).text, SimRespond(text, s).text);
}

}  // namespace
}  // namespace teamsrl::llm::sim
