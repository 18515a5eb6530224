// Writes dataset metrics into a run file (`teamsrl eval DATASET --run RUN.h5`), so the
// numbers of a dataset live next to the run that made it.
//
//   /eval/NAME   a group; one attribute per metric: numbers as float64 or int64, strings as
//                UTF-8, nested objects flattened with dots ("elimination_reasons.equal");
//                null (n/a) metrics are left out. Attribute `json` holds the full JSON.
// Rewriting the same NAME replaces the group.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace teamsrl::io {

// `run_path` must be a teamsrl run file; `name` a single path component (e.g. "dataset").
Status WriteEvalGroup(const std::string& run_path, const std::string& name,
                      const nlohmann::json& metrics);

}  // namespace teamsrl::io
