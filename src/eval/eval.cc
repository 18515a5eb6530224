#include "eval/eval.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "io/safe_file.h"

namespace teamsrl::eval {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value.has_value() ? json(*value) : json(nullptr);
}

json LengthJson(const LengthStats& s) {
  return {
      {"count", s.count}, {"mean", s.mean}, {"median", s.median}, {"p90", s.p90}, {"max", s.max}};
}

std::string Fixed(const std::optional<double>& v, int digits = 4) {
  return v.has_value() ? fmt::format("{:.{}f}", *v, digits) : "n/a";
}

std::string Percent(const std::optional<double>& v) {
  return v.has_value() ? fmt::format("{:.1f} %", 100.0 * *v) : "n/a";
}

std::string Lengths(const LengthStats& s) {
  if (s.count == 0) return "n/a";
  return fmt::format("mean {:.1f}  median {:.1f}  p90 {:.1f}  max {:.0f}", s.mean, s.median, s.p90,
                     s.max);
}

}  // namespace

Result<DatasetMetrics> EvaluateDataset(const std::string& path, const io::DatasetFields& fields,
                                       const NeighbourOptions& neighbours) {
  TEAMSRL_ASSIGN_OR_RETURN(std::unique_ptr<io::DatasetReader> reader,
                           io::DatasetReader::Open(path, fields));
  DatasetMetricsBuilder builder;
  io::DatasetRecord record;
  while (true) {
    TEAMSRL_ASSIGN_OR_RETURN(bool got, reader->Next(&record));
    if (!got) break;
    builder.Add(record);
  }
  return builder.Finish(neighbours);
}

json MetricsToJson(const DatasetMetrics& m, const std::string& dataset_path) {
  json actions = nullptr;
  if (!m.action_counts.empty()) {
    actions = json::object();
    for (const auto& [name, count] : m.action_counts) {
      actions[name] = {{"count", count}, {"share", static_cast<double>(count) / m.action_records}};
    }
  }
  json reasons = nullptr;
  if (m.eliminated.has_value()) {
    reasons = json::object();
    for (const auto& [reason, count] : m.elimination_reasons) reasons[reason] = count;
  }
  return {
      {"dataset", dataset_path},
      {"records", m.records},
      {"kept", m.kept},
      {"eliminated", OrNull(m.eliminated)},
      {"instruction_words", LengthJson(m.instruction_words)},
      {"output_words", LengthJson(m.output_words)},
      {"input_share", m.input_share},
      {"distinct_1", OrNull(m.distinct_1)},
      {"distinct_2", OrNull(m.distinct_2)},
      {"rouge_l_nn",
       {{"mode", m.rouge_approximate ? "approx" : "exact"},
        {"mean", OrNull(m.rouge_nn_mean)},
        {"threshold", m.rouge_threshold},
        {"share_ge_threshold", OrNull(m.rouge_nn_share_ge_threshold)}}},
      {"elimination_rate", OrNull(m.elimination_rate)},
      {"elimination_reasons", reasons},
      {"not_equal_rate", OrNull(m.not_equal_rate)},
      {"action_mix", actions},
      {"queries_total", OrNull(m.queries_total)},
      {"queries_per_kept_sample", OrNull(m.queries_per_kept)},
  };
}

std::string FormatMetricsTable(const DatasetMetrics& m, const std::string& dataset_path) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"dataset", dataset_path},
      {"records", std::to_string(m.records)},
      {"kept samples", std::to_string(m.kept)},
      {"instruction words", Lengths(m.instruction_words)},
      {"output words", Lengths(m.output_words)},
      {"with input", m.kept > 0 ? Percent(m.input_share) : "n/a"},
      {"distinct-1 (instructions)", Fixed(m.distinct_1)},
      {"distinct-2 (instructions)", Fixed(m.distinct_2)},
      {fmt::format("ROUGE-L NN mean ({})", m.rouge_approximate ? "approx" : "exact"),
       Fixed(m.rouge_nn_mean)},
      {fmt::format("ROUGE-L NN >= {:.1f}", m.rouge_threshold),
       Percent(m.rouge_nn_share_ge_threshold)},
      {"elimination rate", Percent(m.elimination_rate)},
  };
  for (const auto& [reason, count] : m.elimination_reasons) {
    rows.emplace_back("  eliminated: " + reason, std::to_string(count));
  }
  rows.emplace_back("Not-Equal rate", Percent(m.not_equal_rate));
  if (m.action_counts.empty()) rows.emplace_back("action mix", "n/a");
  for (const auto& [action, count] : m.action_counts) {
    rows.emplace_back("  action: " + action,
                      fmt::format("{:.1f} % ({})", 100.0 * count / m.action_records, count));
  }
  rows.emplace_back("queries (total)",
                    m.queries_total.has_value() ? std::to_string(*m.queries_total) : "n/a");
  rows.emplace_back("queries per kept sample", Fixed(m.queries_per_kept, 3));
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out;
  for (const auto& [key, value] : rows) out += fmt::format("{:<{}}  {}\n", key, width, value);
  return out;
}

Status WriteJsonFile(const json& j, const std::string& path, bool overwrite) {
  return io::WriteFileAtomically(path, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                                 overwrite);
}

}  // namespace teamsrl::eval
