// The `teamsrl eval DATASET.jsonl` command's logic: read a dataset, compute the metrics of
// eval_metrics.h, render them as an aligned table and as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "eval/metrics.h"
#include "eval/rouge.h"
#include "io/dataset_export.h"

namespace teamsrl::eval {

// Streams `path` (JSON Lines) through a DatasetMetricsBuilder.
Result<DatasetMetrics> EvaluateDataset(const std::string& path, const io::DatasetFields& fields,
                                       const NeighbourOptions& neighbours);

// Every metric under a stable key; n/a metrics are null. Fractions are in [0, 1].
nlohmann::json MetricsToJson(const DatasetMetrics& metrics, const std::string& dataset_path);
// Two aligned columns, one metric per row, percentages for shares, "n/a" where absent.
std::string FormatMetricsTable(const DatasetMetrics& metrics, const std::string& dataset_path);
// Writes `json` (indented) to `path` in one piece (io/safe_file.h: a uniquely named
// temporary file renamed into place, never through a symbolic link). Without `overwrite`
// anything at `path` is FailedPrecondition.
Status WriteJsonFile(const nlohmann::json& json, const std::string& path, bool overwrite);

}  // namespace teamsrl::eval
