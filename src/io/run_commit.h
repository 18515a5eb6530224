// The commit record of a run file: how a reader gets a consistent view of a run file that
// a job is writing (docs/architecture.md s.7, "Live readers").
//
// HDF5 1.10 has no reader isolation without SWMR, and SWMR does not fit (run_file.h), so
// the writer publishes its state in a small sidecar file, `<run file>.commit` (JSON),
// always replaced whole by rename(2), so a reader sees one version or the next, never a
// mix. The writer brackets every change to the HDF5 file:
//
//   publish {state: writing, seq: n+1}   ->  HDF5 writes  ->  H5Fflush + fsync
//   ->  publish {state: idle, seq: n+2, rows: the committed row counts}
//
// so between two publications the HDF5 file on disk is quiescent and complete. A reader
// (ReadRunSnapshot in run_reader.h, read_consistent in analysis/teamsrl_analysis) reads the
// record, waits while the state is `writing`, reads the HDF5 file (only the committed rows),
// reads the record again and accepts what it read only when the record did not change:
// a seqlock whose sequence lives outside the HDF5 file. An HDF5 error or a short table
// while the record changed is a read that overlapped a flush and is retried; the same
// error on an unchanged record is real and reported.
//
// A killed writer leaves the last record behind. `idle` (it died between flushes, the
// usual case): the file is complete up to the record's rows. `writing`: the writer died
// during a change; readers on the writer's host see that its pid is gone at once, others
// after stale_after_s without a new record; both then read the committed rows of that
// record (the rows before the interrupted change).
//
// `token` ties the record to one run file (root attribute `commit_token`): a record whose
// token differs from the file's is left over from another file and ignored. `epoch` counts
// the writers of the file: 0 for the run that created it, +1 per resume
// (RunFile::OpenForResume), which may truncate tables to a checkpoint's rows. Within one
// epoch committed rows never shrink; a reader that sees a new epoch must start over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "io/run_schema.h"

namespace teamsrl::io {

enum class WriterState { kWriting, kIdle, kClosed };

struct CommitRecord {
  std::string token;  // the run file's commit_token attribute
  int64_t epoch = 0;  // 0 at Create, +1 per OpenForResume
  int64_t seq = 0;    // +1 per publication
  WriterState state = WriterState::kWriting;
  RowCounts rows;           // committed rows: what readers may read
  int64_t budget_rows = 0;  // rows of /budget (rewritten whole at each flush)
  std::string host;         // the writer's host name and process id
  int64_t pid = 0;

  bool operator==(const CommitRecord&) const = default;
};

// "writing", "idle", "closed".
const char* WriterStateName(WriterState state);

// `<run_path>.commit`.
std::string CommitPath(const std::string& run_path);

// Replaces the commit record of `run_path` (a temporary file beside it, renamed into
// place; never written through a symbolic link).
Status PublishCommit(const std::string& run_path, const CommitRecord& record);

// The commit record of `run_path`; nullopt when there is none or it does not parse (a
// record is only ever replaced whole, so a broken one was not written by teamsrl).
std::optional<CommitRecord> ReadCommit(const std::string& run_path);

// True when the writer is certainly gone: it ran on this host and its pid does not exist.
bool WriterKnownDead(const CommitRecord& record);

// A new random token for a run file (hex).
std::string NewCommitToken();

// This host's name and this process's id, as the writer records them.
std::string ThisHost();
int64_t ThisPid();

}  // namespace teamsrl::io
