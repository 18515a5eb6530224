// Where the program finds the files it ships with (the prompt templates) without a source
// directory compiled in: next to the config first, then relative to the running binary,
// installed (`cmake --install`: PREFIX/bin/teamsrl, PREFIX/share/teamsrl/prompts) or in
// the build tree (SOURCE/build*/bin/teamsrl, SOURCE/experiments/prompts). The executable
// path is a parameter so the lookup is testable without installing anything.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace teamsrl {

// The running binary, from /proc/self/exe (symlinks resolved); empty when unreadable.
std::string RunningExecutablePath();

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
