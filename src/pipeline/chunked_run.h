// The distributed, resumable chunk loop shared by `generate` and `baseline`.
//
// Seeds are read as a stream by every rank (io::SeedReader) and processed in chunks of
// `chunk_size`; rank r takes the contiguous block dist::LocalActors(n, P, r) of a chunk,
// runs the worker on it (all of its seeds in flight together) and root gathers the parts
// in rank order, which is seed order. Root then appends the chunk to DIR/dataset.jsonl and
// to the call journal, fsyncs, and commits DIR/progress.json (dataset_writer.h).
//
// Resumption: rerunning the same command continues after the last committed chunk. The
// HDF5 file (DIR/<kind>.h5) is written fresh by every run: root first replays the
// committed prefix of dataset.jsonl (/dataset/samples and texts) and of the call journal
// (/llm/calls, /budget), then appends new chunks as they commit. So after a resumed run
// the file holds the whole dataset and every call, like an uninterrupted run's (only the
// root attributes such as started_at and command differ).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "dist/comm.h"
#include "io/dataset_writer.h"
#include "io/run_file.h"
#include "io/run_status.h"
#include "io/seeds.h"
#include "llm/types.h"
#include "pipeline/actor_record.h"
#include "pipeline/chunk_wire.h"
#include "pipeline/progress_sink.h"
#include "pipeline/run_inputs.h"

namespace teamsrl::pipeline {

// Processes one rank's block of chunk number `chunk`; an error is a local failure.
using ChunkWorker =
    std::function<Result<ChunkPart>(int64_t chunk, const std::vector<io::Seed>& seeds)>;

struct ChunkedRunSpec {
  std::string kind;      // "generate" | "baseline": the h5 file's stem and the progress label
  std::string step_key;  // "step" | "round"
  int chunk_size = 1000;
  int64_t max_seeds = 0;    // process only the first max_seeds seeds; 0 = all
  std::string fingerprint;  // identifies the command (see Fingerprint)
  std::string out_dir;
  std::string command;
  bool overwrite = false;
  ProgressSink* progress = nullptr;               // root: where progress goes; none = no output
  std::map<std::string, std::string> attributes;  // extra root attributes (e.g. policy)
  std::vector<InputFile> inputs;                  // files the ranks must have alike
  std::string options;                            // the command's own settings, to compare
  // Root, once every seed is done, before the h5 file is finished: the command's own
  // records (generate: the fresh observation filter), given the seeds done in all.
  std::function<Status(io::RunFile& file, int64_t seeds_done)> finish;
};

struct ChunkedOutcome {
  std::string dataset_path;
  std::string h5_path;
  io::RunStatus status = io::RunStatus::kCompleted;
  Status error;  // why the run failed (status kFailed), the same on every rank
  bool resumed = false;
  int stop_signal = 0;  // kPreempted: the signal that stopped the run
  // The directory held a completed run: nothing was sent or written (its files, /eval
  // included, are as they were); seeds and samples are the committed ones.
  bool already_complete = false;
  int64_t seeds = 0;    // seeds done (including resumed ones)
  int64_t samples = 0;  // lines in dataset.jsonl
  int64_t eliminated = 0;
  int64_t queries[llm::kNumRoles] = {};
  double wall_s = 0.0;
};

// A hash of the resolved configuration without the keys that do not change the dataset
// (run.out_dir, run.progress_interval_s, budget.*) plus `extra` (policy file, snapshot).
std::string Fingerprint(const Config& config, const std::string& extra);

// Collective, after the caller's setup was agreed on. A setup error (seed file, output
// directory, ranks that differ) is returned on every rank and nothing is written; a
// failure later (a worker on one rank, named; root's files) gives the outcome kFailed.
Result<ChunkedOutcome> RunChunked(const Config& config, const ChunkedRunSpec& spec,
                                  const dist::Comm& comm, const ChunkWorker& worker);

}  // namespace teamsrl::pipeline
