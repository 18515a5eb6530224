// `teamsrl train`: distributed TeaMs-RL policy training (docs/architecture.md s.2).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "dist/comm.h"
#include "io/run_status.h"
#include "pipeline/driver_hooks.h"
#include "pipeline/progress_sink.h"

namespace teamsrl::pipeline {

// `train --resume`: kStrict continues from DIR/checkpoint.bin or fails saying there is
// none; kAuto continues when there is one and starts afresh otherwise (what a requeued
// batch job wants: slurm/train.sbatch).
enum class ResumeMode { kNo, kStrict, kAuto };

struct TrainOptions {
  std::string out_dir;  // run.h5 goes here
  std::string command;  // the command line, stored in the run file
  // Extra root attributes, e.g. a sweep task's provenance (sweep/task_file.h).
  std::map<std::string, std::string> labels;
  bool overwrite = false;
  ResumeMode resume = ResumeMode::kNo;
  ProgressSink* progress = nullptr;  // root: where progress goes; none = no output
  DriverHooks* hooks = nullptr;      // tests only: faults on a chosen rank
};

// Where root's time of one iteration went, and what it moved (bench/train_bench.cc
// prints these; README "Distributed learner").
struct IterationTiming {
  double rollout_s = 0.0;       // root's own actors' episodes (policy, env, LLM calls)
  double gather_s = 0.0;        // in the gather of the rollouts (waiting for the ranks included)
  double learner_s = 0.0;       // the update (gradients: root's share of the lockstep update)
  double record_s = 0.0;        // the iteration's rows staged for the run file
  double write_s = 0.0;         // the rest on the run file: the flush's start, snapshots, the
                                // checkpoint (the flush itself runs in the background)
  int64_t gather_bytes = 0;     // root's own rollout message
  int64_t gathered_bytes = 0;   // every rank's rollout messages, as root received them
  int64_t reduce_bytes = 0;     // gradients: words root passed to the learner's reductions
  int64_t broadcast_bytes = 0;  // root's decision to every rank
};

struct TrainOutcome {
  std::string run_file;
  io::RunStatus status = io::RunStatus::kCompleted;
  Status error;        // why the run failed (status kFailed), the same on every rank
  int iterations = 0;  // done in total, also before a resume
  double last_mean_return = 0.0;
  int stop_signal = 0;                    // kPreempted: the signal that stopped the run
  bool resumed = false;                   // continued from a checkpoint
  bool already_complete = false;          // --resume of a finished run: nothing run or changed
  std::vector<double> iteration_seconds;  // root only: wall time of each iteration
  std::vector<IterationTiming> timings;   // root only: each iteration's split
};

// The training driver, one step at a time so that callers (and later checkpoints) can act
// between iterations. Every method is collective: all ranks call it with the same config.
class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options, const dist::Comm& comm);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Builds the actions, prompts, LLM router, environment and policy on every rank, checks
  // that the ranks run the same inputs, and creates the run file on root (or, resuming,
  // reopens it and restores every rank's state from the checkpoint). An error on any
  // rank is returned on every rank, and nothing is written.
  Status Setup();
  // One iteration: every rank's rollouts, then on root the learner update, the run file's
  // rows and (every train.checkpoint_every iterations, at the end, at a budget stop and
  // when a stop signal arrived on any rank) the checkpoint, then the new parameters on
  // every rank. An error (on any rank, named) is returned on every rank; done() after
  // the last iteration, a budget stop or a stop signal.
  Status Iteration();
  bool done() const;
  // Writes the final policy, /budget and the status (`run`: the error that ended the
  // iterations, or OK) on root and closes the run file. The outcome is the same on every
  // rank; kFailed with the error when `run` failed or the file could not be finished.
  TrainOutcome Finish(const Status& run);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Setup, Iteration until done or failed, Finish. A setup error is returned as a Status
// (nothing written); a run that fails later returns its outcome with status kFailed.
Result<TrainOutcome> RunTrain(const Config& config, const TrainOptions& options,
                              const dist::Comm& comm);

}  // namespace teamsrl::pipeline
