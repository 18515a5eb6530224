// What every rank of a run must have alike before the first step (docs/architecture.md
// s.6): the program's version, the resolved
// configuration, the options of the command, and the contents of the files it reads. A
// stale copy on one node or a wrong launcher line then ends in one error naming what
// differs, instead of a hang or a silently mixed result.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "dist/protocol.h"

namespace teamsrl::pipeline {

// One file a command reads: what to call it in a message and its path.
struct InputFile {
  std::string what;  // "policy file", ...
  std::string path;
};

// Digests of the version, `config.resolved_yaml`, `options` (the command's own settings,
// e.g. "--out runs/x --overwrite 0"), the prompt templates, the seed file (when set) and
// `files`. NotFound naming the file when one cannot be read.
Result<std::vector<dist::InputDigest>> DigestInputs(const Config& config,
                                                    const std::string& options,
                                                    const std::vector<InputFile>& files = {});

// Collective: digests the inputs on every rank and compares them (dist::AgreeOnInputs).
Status AgreeOnRunInputs(const dist::Comm& comm, const Config& config, const std::string& options,
                        const std::vector<InputFile>& files = {});

}  // namespace teamsrl::pipeline
