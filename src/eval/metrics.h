// Dataset-quality metrics for `teamsrl eval` (docs/method.md s.8 and the method's own
// signals). Definitions, as documented in the README:
//   size               records in the file; kept = not marked `eliminated`. Text metrics
//                      below are over kept samples only: the data one would train on.
//   length statistics  whitespace-separated words of instruction / output: mean, median,
//                      p90 (percentiles by linear interpolation between order statistics,
//                      numpy's default), max.
//   distinct-n         over all kept instructions, with ROUGE's tokens (eval_rouge.h): unique
//                      n-grams / total n-grams, n-grams not crossing instruction boundaries.
//   ROUGE-L NN         for each kept instruction its max ROUGE-L F to any other kept one;
//                      reported as mean and the share >= 0.7 (Self-Instruct's filter).
//   elimination rate   eliminated / records carrying `eliminated`; reasons counted.
//   Not-Equal rate     not_equal == true / records carrying `not_equal`.
//   action mix         share of each `action` over records carrying one.
//   queries per kept   sum of `queries` over all records / kept samples.
// A metric whose fields no record carries is n/a (std::nullopt, JSON null).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/rouge.h"
#include "io/dataset_export.h"

namespace teamsrl::eval {

struct LengthStats {
  int64_t count = 0;
  double mean = 0, median = 0, p90 = 0, max = 0;
};
// Linear interpolation between closest ranks: q in [0, 1] of non-empty sorted `values`.
double Percentile(const std::vector<double>& sorted, double q);
LengthStats ComputeLengthStats(std::vector<double> values);

// Unique n-grams / total n-grams over `docs` (n = 1 or 2); nullopt when there are none.
std::optional<double> DistinctN(const std::vector<std::vector<int32_t>>& docs, int n);

struct DatasetMetrics {
  int64_t records = 0;
  int64_t kept = 0;
  LengthStats instruction_words, output_words;
  double input_share = 0;  // kept samples with a non-empty input
  std::optional<double> distinct_1, distinct_2;
  // ROUGE-L nearest neighbour; n/a below two kept samples.
  bool rouge_approximate = false;
  std::optional<double> rouge_nn_mean, rouge_nn_share_ge_threshold;
  double rouge_threshold = 0.7;
  std::optional<int64_t> eliminated;
  std::optional<double> elimination_rate;
  std::map<std::string, int64_t> elimination_reasons;
  std::optional<double> not_equal_rate;
  std::map<std::string, int64_t> action_counts;  // empty: n/a
  int64_t action_records = 0;
  std::optional<int64_t> queries_total;
  std::optional<double> queries_per_kept;
};

// Accumulates records one at a time; keeps per kept sample only its token ids and two
// lengths, so a 300k-sample dataset costs tens of MB, not its full text.
class DatasetMetricsBuilder {
 public:
  void Add(const io::DatasetRecord& record);
  DatasetMetrics Finish(const NeighbourOptions& options) const;

 private:
  TokenVocabulary vocabulary_;
  std::vector<std::vector<int32_t>> instruction_tokens_;
  std::vector<double> instruction_words_, output_words_;
  int64_t records_ = 0, with_input_ = 0;
  int64_t eliminated_ = 0, eliminated_known_ = 0;
  int64_t not_equal_ = 0, not_equal_known_ = 0;
  int64_t queries_ = 0, queries_known_ = 0;
  std::map<std::string, int64_t> reasons_, actions_;
  int64_t action_records_ = 0;
};

}  // namespace teamsrl::eval
