// `teamsrl train`: distributed TeaMs-RL policy training (docs/architecture.md s.2).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "dist/comm.h"

namespace teamsrl::pipeline {

struct TrainOptions {
  std::string out_dir;  // run.h5 goes here
  std::string command;  // the command line, stored in the run file
  bool overwrite = false;
  bool quiet = false;  // no progress output
};

struct TrainOutcome {
  std::string run_file;
  std::string status;  // completed | failed
  int iterations = 0;
  double last_mean_return = 0.0;
  std::vector<double> iteration_seconds;  // root only: wall time of each iteration
};

// Collective: every rank calls it with the same config. Returns an error on every rank
// when the run failed on any rank (the message names the rank); the run file, written by
// root, then says `failed`.
Result<TrainOutcome> RunTrain(const Config& config, const TrainOptions& options,
                              const dist::Comm& comm);

}  // namespace teamsrl::pipeline
