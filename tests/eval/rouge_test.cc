#include "eval/rouge.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace teamsrl::eval {
namespace {

using Strings = std::vector<std::string>;

std::vector<std::vector<int32_t>> Docs(const Strings& texts) {
  TokenVocabulary vocabulary;
  std::vector<std::vector<int32_t>> docs;
  for (const std::string& t : texts) docs.push_back(vocabulary.Ids(RougeTokens(t)));
  return docs;
}

TEST(RougeTest, TokenisesLikeRougeScore) {
  EXPECT_EQ(RougeTokens("The cat sat on the mat."),
            (Strings{"the", "cat", "sat", "on", "the", "mat"}));
  // Apostrophes, dashes and every non-ASCII byte separate tokens, as [^a-z0-9]+ does.
  EXPECT_EQ(RougeTokens("Don't stop\xE2\x80\x94NOW! x_2"),
            (Strings{"don", "t", "stop", "now", "x", "2"}));
  EXPECT_EQ(RougeTokens("Caf\xC3\xA9 au lait"), (Strings{"caf", "au", "lait"}));
  EXPECT_TRUE(RougeTokens("\xE4\xBD\xA0\xE5\xA5\xBD ...").empty());
}

TEST(RougeTest, LcsOnHandExamples) {
  auto lcs = [](const std::string& a, const std::string& b) {
    TokenVocabulary v;
    return LcsLength(v.Ids(RougeTokens(a)), v.Ids(RougeTokens(b)));
  };
  EXPECT_EQ(lcs("a b c d", "b d"), 2);
  EXPECT_EQ(lcs("a b c d", "d c b a"), 1);
  EXPECT_EQ(lcs("a b c b d a b", "b d c a b a"), 4);  // CLRS's example: b c b a
  EXPECT_EQ(lcs("", "a"), 0);
  std::string long_a, long_b;  // longer than the on-stack row
  for (int i = 0; i < 300; ++i) {
    long_a += "w" + std::to_string(i) + " ";
    if (i % 3 == 0) long_b += "w" + std::to_string(i) + " x ";
  }
  EXPECT_EQ(lcs(long_a, long_b), 100);
  EXPECT_EQ(lcs(long_b, long_a), 100);
}

TEST(RougeTest, RougeLFMeasureOnHandExamples) {
  // [the cat sat on the mat] vs [the cat is on a mat]: LCS = the cat on mat = 4,
  // P = R = 4/6, F = 2 * 4 / (6 + 6) = 2/3.
  EXPECT_DOUBLE_EQ(RougeLF("The cat sat on the mat.", "the cat is on a mat"), 2.0 / 3.0);
  // [a b c d] vs [b d]: LCS 2, P = 2/2, R = 2/4, F = 2 * 1 * 0.5 / 1.5 = 2/3.
  EXPECT_DOUBLE_EQ(RougeLF("a b c d", "b d"), 2.0 / 3.0);
  // [write a poem] vs [write a short poem]: LCS 3, F = 6/7.
  EXPECT_DOUBLE_EQ(RougeLF("Write a poem.", "write a SHORT poem"), 6.0 / 7.0);
  EXPECT_DOUBLE_EQ(RougeLF("same words", "Same, words!"), 1.0);
  EXPECT_DOUBLE_EQ(RougeLF("", "anything"), 0.0);
  EXPECT_DOUBLE_EQ(RougeLF("x y", "z"), 0.0);
}

TEST(RougeTest, ExactNearestNeighbourOnHandExample) {
  // d0, d1 share 5 of 6 tokens in order: F = 10/12; d2 shares nothing with either.
  auto docs =
      Docs({"Write a poem about the sea.", "Write a poem about the moon.", "How do I bake bread?"});
  NeighbourOptions exact;
  exact.mode = NeighbourMode::kExact;
  NeighbourScores s = NearestNeighbourRougeL(docs, exact);
  EXPECT_FALSE(s.approximate);
  ASSERT_EQ(s.best.size(), 3u);
  EXPECT_DOUBLE_EQ(s.best[0], 10.0 / 12.0);
  EXPECT_DOUBLE_EQ(s.best[1], 10.0 / 12.0);
  EXPECT_DOUBLE_EQ(s.best[2], 0.0);
  EXPECT_EQ(NearestNeighbourRougeL(Docs({"alone"}), exact).best, std::vector<double>{0.0});
  EXPECT_TRUE(NearestNeighbourRougeL({}, exact).best.empty());
}

// A synthetic set: random instructions over a Zipf-like vocabulary plus planted
// near-duplicates (one token replaced). Deterministic: a fixed LCG, no std::random.
std::vector<std::vector<int32_t>> SyntheticSet(int base, int duplicates) {
  uint64_t state = 12345;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  std::vector<std::vector<int32_t>> docs;
  for (int i = 0; i < base; ++i) {
    std::vector<int32_t> doc;
    size_t len = 8 + next(20);
    for (size_t t = 0; t < len; ++t) {
      // Half the tokens from 30 common words, half from a 5,000-word tail.
      doc.push_back(static_cast<int32_t>(next(2) == 0 ? next(30) : 30 + next(5000)));
    }
    docs.push_back(doc);
  }
  for (int d = 0; d < duplicates; ++d) {
    std::vector<int32_t> copy = docs[static_cast<size_t>(d) * 7 % base];
    copy[next(copy.size())] = 9999;
    docs.push_back(copy);
  }
  return docs;
}

TEST(RougeTest, ApproximateNeverExceedsExactAndFindsNearDuplicates) {
  auto docs = SyntheticSet(600, 60);
  NeighbourOptions options;
  options.mode = NeighbourMode::kExact;
  NeighbourScores exact = NearestNeighbourRougeL(docs, options);
  options.mode = NeighbourMode::kApprox;
  options.min_df_cap = 20;  // below the common words' frequency, so they are not indexed
  options.candidates = 8;
  NeighbourScores approx = NearestNeighbourRougeL(docs, options);
  EXPECT_TRUE(approx.approximate);
  ASSERT_EQ(approx.best.size(), exact.best.size());
  int equal = 0, near_duplicates = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_LE(approx.best[i], exact.best[i] + 1e-12) << i;
    equal += approx.best[i] == exact.best[i] ? 1 : 0;
    if (exact.best[i] >= 0.7) {
      ++near_duplicates;
      EXPECT_EQ(approx.best[i], exact.best[i]) << "near-duplicate " << i << " missed";
    }
  }
  EXPECT_GE(near_duplicates, 120);  // each planted pair counts twice
  EXPECT_GT(equal, 120);
}

TEST(RougeTest, AutoModeSwitchesAboveTheThreshold) {
  auto docs = SyntheticSet(11, 0);
  NeighbourOptions options;
  options.exact_max_size = 11;
  EXPECT_FALSE(NearestNeighbourRougeL(docs, options).approximate);
  options.exact_max_size = 10;
  EXPECT_TRUE(NearestNeighbourRougeL(docs, options).approximate);
}

}  // namespace
}  // namespace teamsrl::eval
