#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "core/check.h"
#include "core/text.h"

namespace teamsrl::eval {

double Percentile(const std::vector<double>& sorted, double q) {
  TEAMSRL_CHECK(!sorted.empty()) << "percentile of nothing";
  double rank = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (rank - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

LengthStats ComputeLengthStats(std::vector<double> values) {
  LengthStats stats;
  stats.count = static_cast<int64_t>(values.size());
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  // Sorted ascending, so the sum is accumulated small to large (less rounding).
  stats.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  stats.median = Percentile(values, 0.5);
  stats.p90 = Percentile(values, 0.9);
  stats.max = values.back();
  return stats;
}

std::optional<double> DistinctN(const std::vector<std::vector<int32_t>>& docs, int n) {
  TEAMSRL_CHECK(n == 1 || n == 2) << "distinct-n for n = " << n;
  std::unordered_set<uint64_t> unique;
  int64_t total = 0;
  for (const std::vector<int32_t>& doc : docs) {
    for (size_t i = 0; i + n <= doc.size(); ++i) {
      uint64_t key = static_cast<uint32_t>(doc[i]);
      if (n == 2) key = key << 32 | static_cast<uint32_t>(doc[i + 1]);
      unique.insert(key);
      ++total;
    }
  }
  if (total == 0) return std::nullopt;
  return static_cast<double>(unique.size()) / static_cast<double>(total);
}

void DatasetMetricsBuilder::Add(const io::DatasetRecord& record) {
  ++records_;
  if (record.eliminated.has_value()) {
    ++eliminated_known_;
    if (*record.eliminated) {
      ++eliminated_;
      ++reasons_[record.reason.value_or("unspecified")];
    }
  }
  if (record.not_equal.has_value()) {
    ++not_equal_known_;
    not_equal_ += *record.not_equal ? 1 : 0;
  }
  if (record.queries.has_value()) {
    ++queries_known_;
    queries_ += *record.queries;
  }
  if (record.action.has_value()) {
    ++action_records_;
    ++actions_[*record.action];
  }
  if (record.eliminated.value_or(false)) return;
  instruction_tokens_.push_back(vocabulary_.Ids(RougeTokens(record.instruction)));
  instruction_words_.push_back(static_cast<double>(WordCount(record.instruction)));
  output_words_.push_back(static_cast<double>(WordCount(record.output)));
  with_input_ += Trim(record.input).empty() ? 0 : 1;
}

DatasetMetrics DatasetMetricsBuilder::Finish(const NeighbourOptions& options) const {
  DatasetMetrics m;
  m.records = records_;
  m.kept = static_cast<int64_t>(instruction_tokens_.size());
  m.instruction_words = ComputeLengthStats(instruction_words_);
  m.output_words = ComputeLengthStats(output_words_);
  m.input_share = m.kept == 0 ? 0.0 : static_cast<double>(with_input_) / m.kept;
  m.distinct_1 = DistinctN(instruction_tokens_, 1);
  m.distinct_2 = DistinctN(instruction_tokens_, 2);
  if (m.kept >= 2) {
    NeighbourScores nn = NearestNeighbourRougeL(instruction_tokens_, options);
    m.rouge_approximate = nn.approximate;
    double sum = 0;
    int64_t close = 0;
    for (double b : nn.best) {
      sum += b;
      close += b >= m.rouge_threshold ? 1 : 0;
    }
    m.rouge_nn_mean = sum / static_cast<double>(m.kept);
    m.rouge_nn_share_ge_threshold = static_cast<double>(close) / static_cast<double>(m.kept);
  }
  if (eliminated_known_ > 0) {
    m.eliminated = eliminated_;
    m.elimination_rate = static_cast<double>(eliminated_) / eliminated_known_;
    m.elimination_reasons = reasons_;
  }
  if (not_equal_known_ > 0) {
    m.not_equal_rate = static_cast<double>(not_equal_) / not_equal_known_;
  }
  m.action_counts = actions_;
  m.action_records = action_records_;
  if (queries_known_ > 0) {
    m.queries_total = queries_;
    if (m.kept > 0) m.queries_per_kept = static_cast<double>(queries_) / m.kept;
  }
  return m;
}

}  // namespace teamsrl::eval
