#include "eval/rouge.h"

#include <algorithm>
#include <array>

namespace teamsrl::eval {
namespace {

bool IsTokenChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// An upper bound of ROUGE-L from the lengths alone (LCS <= the shorter length); lets the
// exact search skip pairs that cannot improve either side's best score.
double LengthBound(size_t a, size_t b) {
  return a + b == 0 ? 0.0 : 2.0 * static_cast<double>(std::min(a, b)) / static_cast<double>(a + b);
}

std::vector<double> ExactNeighbours(const std::vector<std::vector<int32_t>>& docs) {
  std::vector<double> best(docs.size(), 0.0);
  for (size_t i = 0; i < docs.size(); ++i) {
    for (size_t j = i + 1; j < docs.size(); ++j) {
      double bound = LengthBound(docs[i].size(), docs[j].size());
      if (bound <= best[i] && bound <= best[j]) continue;
      double f = RougeLF(docs[i], docs[j]);
      best[i] = std::max(best[i], f);
      best[j] = std::max(best[j], f);
    }
  }
  return best;
}

// Candidate generation through an inverted index of rare unigrams and bigrams, then exact
// ROUGE-L on the candidates. Near-duplicates (the pairs the >= 0.7 share is about) share
// many rare features, so they are found; pairs whose overlap is only frequent words may be
// missed, which can only lower a score.
std::vector<double> ApproxNeighbours(const std::vector<std::vector<int32_t>>& docs,
                                     const NeighbourOptions& options) {
  const size_t n = docs.size();
  std::unordered_map<uint64_t, int32_t> feature_ids;
  std::vector<std::vector<int32_t>> features(n);
  std::vector<int64_t> df;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint64_t> keys;
    for (size_t t = 0; t < docs[i].size(); ++t) {
      keys.push_back(static_cast<uint32_t>(docs[i][t]));  // unigram: high word 0
      if (t + 1 < docs[i].size()) {
        // bigram: high word = first token + 1, so it never collides with a unigram key
        keys.push_back((static_cast<uint64_t>(static_cast<uint32_t>(docs[i][t])) + 1) << 32 |
                       static_cast<uint32_t>(docs[i][t + 1]));
      }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (uint64_t key : keys) {
      auto [it, inserted] = feature_ids.emplace(key, static_cast<int32_t>(df.size()));
      if (inserted) df.push_back(0);
      ++df[it->second];
      features[i].push_back(it->second);
    }
  }
  const int64_t cap =
      std::max<int64_t>(options.min_df_cap, static_cast<int64_t>(options.max_df_fraction * n));
  std::vector<std::vector<int32_t>> postings(df.size());
  for (size_t i = 0; i < n; ++i) {
    for (int32_t f : features[i]) {
      if (df[f] >= 2 && df[f] <= cap) postings[f].push_back(static_cast<int32_t>(i));
    }
  }
  std::vector<double> best(n, 0.0);
  std::vector<int32_t> shared(n, 0);
  std::vector<int32_t> touched;
  for (size_t i = 0; i < n; ++i) {
    touched.clear();
    for (int32_t f : features[i]) {
      if (df[f] < 2 || df[f] > cap) continue;
      for (int32_t j : postings[f]) {
        if (static_cast<size_t>(j) == i) continue;
        if (shared[j]++ == 0) touched.push_back(j);
      }
    }
    // Most shared features first, ties by index, so the result does not depend on hashing.
    auto more_shared = [&shared](int32_t a, int32_t b) {
      return shared[a] != shared[b] ? shared[a] > shared[b] : a < b;
    };
    size_t k = std::min<size_t>(touched.size(), static_cast<size_t>(options.candidates));
    std::partial_sort(touched.begin(), touched.begin() + static_cast<std::ptrdiff_t>(k),
                      touched.end(), more_shared);
    for (size_t c = 0; c < k; ++c) {
      // Scores are symmetric: credit the candidate too, which recovers pairs that made one
      // side's candidate list but not the other's.
      const int32_t j = touched[c];
      double bound = LengthBound(docs[i].size(), docs[j].size());
      if (bound <= best[i] && bound <= best[j]) continue;
      double f = RougeLF(docs[i], docs[j]);
      best[i] = std::max(best[i], f);
      best[j] = std::max(best[j], f);
    }
    for (int32_t j : touched) shared[j] = 0;
  }
  return best;
}

}  // namespace

std::vector<std::string> RougeTokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char raw : text) {
    char c = LowerAscii(raw);
    if (IsTokenChar(c)) {
      current.push_back(c);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

int32_t TokenVocabulary::Id(const std::string& token) {
  return ids_.emplace(token, static_cast<int32_t>(ids_.size())).first->second;
}

std::vector<int32_t> TokenVocabulary::Ids(const std::vector<std::string>& tokens) {
  std::vector<int32_t> ids;
  ids.reserve(tokens.size());
  for (const std::string& t : tokens) ids.push_back(Id(t));
  return ids;
}

int LcsLength(std::span<const int32_t> a, std::span<const int32_t> b) {
  if (a.size() < b.size()) std::swap(a, b);  // the row runs over the shorter one
  if (b.empty()) return 0;
  // One DP row of |b|+1 cells; instructions are short, so the common case needs no heap.
  std::array<int, 257> small{};
  std::vector<int> large;
  int* row = small.data();
  if (b.size() + 1 > small.size()) {
    large.assign(b.size() + 1, 0);
    row = large.data();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    int diagonal = 0;  // row[j] of the previous i, before it is overwritten
    for (size_t j = 1; j <= b.size(); ++j) {
      int above = row[j];
      row[j] = a[i] == b[j - 1] ? diagonal + 1 : std::max(above, row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.size()];
}

double RougeLF(std::span<const int32_t> a, std::span<const int32_t> b) {
  if (a.empty() || b.empty()) return 0.0;
  return 2.0 * LcsLength(a, b) / static_cast<double>(a.size() + b.size());
}

double RougeLF(std::string_view a, std::string_view b) {
  TokenVocabulary vocabulary;
  std::vector<int32_t> ia = vocabulary.Ids(RougeTokens(a));
  std::vector<int32_t> ib = vocabulary.Ids(RougeTokens(b));
  return RougeLF(ia, ib);
}

NeighbourScores NearestNeighbourRougeL(const std::vector<std::vector<int32_t>>& docs,
                                       const NeighbourOptions& options) {
  NeighbourScores scores;
  scores.approximate = options.mode == NeighbourMode::kApprox ||
                       (options.mode == NeighbourMode::kAuto &&
                        static_cast<int64_t>(docs.size()) > options.exact_max_size);
  scores.best = scores.approximate ? ApproxNeighbours(docs, options) : ExactNeighbours(docs);
  return scores;
}

}  // namespace teamsrl::eval
