// `teamsrl diff A.h5 B.h5`: are two run files the same run? Compares every table column
// by column, /text/strings and every /policy/* dataset bitwise (doubles by their bits, so
// -0.0 and 0.0 differ and a NaN equals itself), leaving out the timing columns
// (kTimingColumns) unless asked, and reports the first difference of each dataset. Root
// attributes (times, command lines, hosts) are not compared; the kind of run (train,
// generate, baseline) is. Both files are read through ReadRunSnapshot, so live files are
// compared as of their last commit.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace teamsrl::io {

// Columns that measure time, not results: they differ between any two runs.
inline const std::vector<std::string> kTimingColumns = {"wall_s", "latency_ms", "limit_wait_ms",
                                                        "limit_wait_s"};

struct DatasetDiff {
  std::string path;  // "/llm/calls", "/policy/final", ...
  bool identical = true;
  std::string detail;  // "30 rows" or the first difference
};

struct RunDiff {
  std::string kind_a, kind_b;  // "train", "generate", "baseline"
  std::vector<DatasetDiff> datasets;
  bool identical() const;
  // One line per dataset, then a verdict line.
  std::string Format() const;
};

// `all`: compare the timing columns too. Errors: those of ReadRunSnapshot.
Result<RunDiff> DiffRunFiles(const std::string& a, const std::string& b, bool all);

}  // namespace teamsrl::io
