// The human summary of a run file printed by `teamsrl inspect RUN.h5`: what ran (name,
// command, ranks, actors, seed), its state (status, start and finish), learning progress
// (iterations, mean return over the first and last 10 iterations, the best iteration),
// the action mix over /train/steps, LLM calls and tokens by role, failures and budget.
// Works on live files and on files of killed runs.
#pragma once

#include <string>

#include "core/status.h"

namespace teamsrl::io {

// Errors: NotFound (no such file), DataLoss (not an HDF5 file), InvalidArgument (HDF5 but
// not a teamsrl run file), each naming the file.
Result<std::string> SummarizeRunFile(const std::string& path);

// run.name from a YAML config: the `name:` key indented under a top-level `run:` (block
// style) or inside `run: {name: ..., ...}` (flow style). Empty when not found.
std::string RunNameFromConfigYaml(const std::string& yaml);

}  // namespace teamsrl::io
