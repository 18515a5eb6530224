// Where the program finds the files it ships with (prompt templates, SLURM templates, the
// Python analysis package) without a source directory compiled in: relative to the running
// binary, installed (`cmake --install`: PREFIX/bin/teamsrl, PREFIX/share/teamsrl/...) or
// in the build tree (SOURCE/build*/bin/teamsrl, SOURCE/...); prompts are looked for next
// to the config first. The executable path is a parameter so the lookup is testable
// without installing anything.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace teamsrl {

// The running binary, from /proc/self/exe (symlinks resolved); empty when unreadable.
std::string RunningExecutablePath();

// The places a shipped file or directory is looked for beside the binary `exe_path`:
// EXE_DIR/../share/teamsrl/INSTALLED, then EXE_DIR/../../IN_SOURCE (lexically normalised;
// none when `exe_path` is empty).
std::vector<std::string> ShippedCandidates(const std::string& exe_path,
                                           const std::string& installed,
                                           const std::string& in_source);

// The first of ShippedCandidates that exists; NotFound naming every place tried.
Result<std::string> FindShipped(const std::string& exe_path, const std::string& installed,
                                const std::string& in_source);

// The places the default `env.prompts_dir` is looked for, in order: `config_relative`
// (the default resolved as any relative path in the config), then, when `exe_path` is
// not empty, EXE_DIR/../share/teamsrl/prompts and EXE_DIR/../../experiments/prompts.
// Paths are lexically normalised.
std::vector<std::string> DefaultPromptsCandidates(const std::string& config_relative,
                                                  const std::string& exe_path);

// The first of DefaultPromptsCandidates that is a directory; NotFound naming every place
// tried when none is.
Result<std::string> FindDefaultPromptsDir(const std::string& config_relative,
                                          const std::string& exe_path);

}  // namespace teamsrl
