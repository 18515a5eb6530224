// Training checkpoints (README "Checkpoints and resume"): DIR/checkpoint.bin holds
// everything `teamsrl train --resume` needs to continue a run so that it ends bitwise
// as an uninterrupted one would (on the simulator): the parameters, the learner's
// optimiser state, the observation filter, every logical actor's random stream and
// carried-over instruction, the counters the budget caps read, and the run file's row
// counts, which the resumed run truncates the file back to (io::RunFile::OpenForResume).
// Actors are logical (docs/architecture.md s.6), so a checkpoint resumes on any number
// of ranks.
//
// Format: "TRSLCKP1" | u64 payload bytes | u64 HashBytes(payload) | payload (core/bytes.h,
// native layout: the same binary writes and reads it). A file that is short, has another
// magic or fails the checksum is DataLoss, never half-read. Written through
// io::WriteFileAtomically (temporary file, fsync, rename), so a kill at any moment leaves
// the previous checkpoint or the new one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/rng.h"
#include "core/status.h"
#include "io/run_schema.h"
#include "pipeline/budget.h"

namespace teamsrl::pipeline {

inline constexpr char kCheckpointFile[] = "checkpoint.bin";

struct ActorState {
  Rng::Snapshot rng;
  std::string instruction;  // carried over into the next episode
  // policy.obs_filter_schedule step: the actor's own filter (rl::RunningMeanStd::State);
  // empty under the iteration schedule.
  std::vector<double> obs_filter;
  bool operator==(const ActorState&) const = default;
};

// An actor's state as the checkpoint and the rollout gather carry it.
void PutActorState(ByteWriter& w, const ActorState& a);
ActorState GetActorState(ByteReader& r);

struct TrainCheckpoint {
  std::string config_yaml;  // the resolved config it was written under
  int64_t iterations_done = 0;
  std::vector<double> policy;
  std::vector<double> value;
  std::vector<double> optimizer;   // rl::Learner::OptimizerState
  std::vector<double> filter;      // rl::RunningMeanStd::State
  std::vector<ActorState> actors;  // by logical actor id
  Totals totals;
  int64_t failed_calls = 0;
  double limit_wait_s = 0.0;
  io::RowCounts rows;
  double wall_s = 0.0;  // training time before the checkpoint (wall_s continues from it)
  double last_mean_return = 0.0;
  int64_t restarts = 0;            // resumes so far, this one not included
  std::array<int64_t, 3> stops{};  // signal stops so far: time limit, preempted, interrupted
};

std::string EncodeCheckpoint(const TrainCheckpoint& checkpoint);
// DataLoss naming `what` (the file) when the bytes are not a whole checkpoint.
Result<TrainCheckpoint> DecodeCheckpoint(std::string_view bytes, const std::string& what);

Status WriteCheckpoint(const std::string& path, const TrainCheckpoint& checkpoint);
// NotFound when there is none; DataLoss when it is damaged.
Result<TrainCheckpoint> ReadCheckpoint(const std::string& path);

// Dotted keys whose values differ between two resolved configs, leaving out those a
// resume may change: run.out_dir, run.progress_interval_s, train.iterations,
// train.checkpoint_every, train.snapshot_every and budget.* (continue a stopped run with a
// larger budget or more iterations). Sorted.
std::vector<std::string> ResumeConfigDifferences(const std::string& checkpoint_yaml,
                                                 const std::string& current_yaml);

}  // namespace teamsrl::pipeline
