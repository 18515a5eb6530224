// Root's writer of what train, generate and baseline record in their HDF5 file
// (docs/architecture.md s.7): the root attributes, every LLM call (/llm/calls, with
// the per-role totals the budget caps read), /budget, and the dataset samples. One
// definition of each mapping from a record to its row, shared by the three commands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "io/dataset_writer.h"
#include "io/run_file.h"
#include "llm/types.h"
#include "pipeline/actor_record.h"
#include "pipeline/budget.h"

namespace teamsrl::pipeline {

// What the run file says about where and how a run was started.
struct RunContext {
  std::string command;             // the command line
  std::vector<std::string> hosts;  // each rank's host name, in rank order
  int64_t actors = 1;              // logical actors (train) or seeds per chunk
};

// The root attributes and the enum name tables of a run of `config` (SLURM ids and the
// start time from io::RootAttributes::FromEnvironment).
io::RootAttributes MakeRootAttributes(const Config& config, const RunContext& context);

// Sums over the calls added since the last TakeSums (an iteration's columns).
struct CallSums {
  int64_t queries = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cache_hits = 0;
  int64_t failed_calls = 0;
  double limit_wait_s = 0.0;
};

class Recorder {
 public:
  Recorder(const Config& config, io::RunFile file);

  // One /llm/calls row: `call`, made in `iteration` (train; generate: step, baseline:
  // round) by `actor` (train; generate and baseline: the seed index). Adds it to the
  // totals; the error text goes to /text/strings now, so text ids follow call order.
  void AddCall(int64_t iteration, int64_t actor, const CallRecord& call);
  // /dataset/samples rows (generate, baseline).
  void AddSamples(const std::vector<io::SampleLine>& samples);
  // Writes /budget, the buffered rows and texts, and flushes the file.
  Status Flush();
  // The same with RunFile::StartFlush: the file is written on a background thread.
  Status StartFlush();

  CallSums TakeSums();
  io::RunFile& file() { return file_; }
  const Totals& totals() const { return totals_; }
  int64_t samples() const { return samples_; }
  int64_t eliminated() const { return eliminated_; }
  // Samples with a reviewer verdict, and those whose reply was neither exact verdict.
  int64_t reviewed() const { return reviewed_; }
  int64_t malformed_replies() const { return malformed_replies_; }
  // Run-wide, for progress output: calls failed after their retries, seconds held back
  // by rate limits (summed over calls).
  int64_t failed_calls() const { return failed_calls_; }
  // A resumed run's counters, as its checkpoint saved them.
  void RestoreTotals(const Totals& totals, int64_t failed_calls, double limit_wait_s) {
    totals_ = totals;
    failed_calls_ = failed_calls;
    limit_wait_s_ = limit_wait_s;
  }
  double limit_wait_s() const { return limit_wait_s_; }

 private:
  // Moves the buffered calls and the budget into the run file's buffers.
  Status Stage();
  const Config& config_;
  io::RunFile file_;
  int32_t endpoint_of_role_[llm::kNumRoles] = {};
  std::vector<io::CallRow> pending_calls_;
  Totals totals_;
  CallSums sums_;
  int64_t samples_ = 0;
  int64_t eliminated_ = 0;
  int64_t reviewed_ = 0;
  int64_t malformed_replies_ = 0;
  int64_t failed_calls_ = 0;
  double limit_wait_s_ = 0.0;
};

// "queries 1200", plus " | failed 3/1200" once a call failed: the progress line's view
// of the calls, so a run whose every call fails does not look healthy.
std::string QueriesDetail(const Recorder& rec);

}  // namespace teamsrl::pipeline
