// ROUGE-L between instructions and each instruction's nearest neighbour in a dataset.
//
// Tokenisation follows Google's `rouge-score` package (as Self-Instruct and Alpaca use it,
// `RougeScorer(["rougeL"], use_stemmer=False)`): lower-case, every run of characters other
// than ASCII [a-z0-9] is a separator, empty tokens dropped. So "Don't stop!" is
// [don, t, stop], and non-ASCII letters (accents, CJK) are separators: a purely non-Latin
// text has no tokens and a ROUGE-L of 0 with everything.
// ROUGE-L F-measure with beta = 1: P = LCS/|a|, R = LCS/|b|, F = 2PR/(P+R) = 2 LCS/(|a|+|b|);
// 0 when either side has no token. It is symmetric, so "nearest neighbour" is well defined.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace teamsrl::eval {

std::vector<std::string> RougeTokens(std::string_view text);

// Maps tokens to dense ids so the O(n^2) comparisons compare integers, not strings.
class TokenVocabulary {
 public:
  int32_t Id(const std::string& token);
  std::vector<int32_t> Ids(const std::vector<std::string>& tokens);
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, int32_t> ids_;
};

// Length of the longest common subsequence (O(|a| |b|) time, O(min) memory).
int LcsLength(std::span<const int32_t> a, std::span<const int32_t> b);
double RougeLF(std::span<const int32_t> a, std::span<const int32_t> b);
double RougeLF(std::string_view a, std::string_view b);  // tokenises both

enum class NeighbourMode { kAuto, kExact, kApprox };

struct NeighbourOptions {
  NeighbourMode mode = NeighbourMode::kAuto;
  // kAuto: exact up to this many instructions (about 2 s at 3,000 of ~25 tokens each on one
  // core; the work grows as n^2), approximate above.
  int64_t exact_max_size = 3000;
  // Approximate mode. Features are an instruction's distinct word unigrams and bigrams; a
  // feature shared by more than max(min_df_cap, max_df_fraction * n) instructions says
  // little about near-duplication and is not indexed (this bounds the work per instruction).
  double max_df_fraction = 0.01;
  int64_t min_df_cap = 100;
  // Instructions sharing the most indexed features with one are its candidates; exact
  // ROUGE-L is computed against these many of them.
  int64_t candidates = 64;
};

struct NeighbourScores {
  bool approximate = false;
  // best[i] = max over j != i of ROUGE-L(i, j); 0 for a set of one. In approximate mode each
  // value is the exact score of a real pair, so it never exceeds the exact best[i].
  std::vector<double> best;
};

NeighbourScores NearestNeighbourRougeL(const std::vector<std::vector<int32_t>>& docs,
                                       const NeighbourOptions& options);

}  // namespace teamsrl::eval
