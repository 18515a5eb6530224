// The HDF5 run file, schema version 1 (docs/architecture.md s.7): one file per run, written by
// the root rank only.
//
//   /                   root attributes (RootAttributes below, plus schema_version,
//                       finished_at, status)
//   /train/iterations   IterationRow per learner update
//   /train/episodes     EpisodeRow per episode
//   /train/steps        StepRow per environment step           enum: action
//   /llm/calls          CallRow per LLM call                   enums: role, status, endpoint
//   /budget             BudgetRow per role, plus "total"       enum: role
//   /dataset/samples    SampleRow per generated sample         enums: action, reason
//   /text/strings       variable-length UTF-8 strings; *_id columns index it (-1 = none)
//   /policy/NAME        float64 parameter vector; string attributes describe the
//                       architecture ("final", "snapshot_000128", ...)
//
// Tables are compound datasets (see table.h for the layout and the enum attribute scheme
// `<column>_names`), all created by Create, so every path exists even when empty.
//
// Durability: rows and texts are buffered by Append*/AddText and written by Flush(), which
// ends with H5Fflush; the pipeline flushes once per iteration. A process killed after a
// Flush leaves a file that any HDF5 reader opens (test: RunFileTest.SurvivesSigkill).
// Two HDF5 1.10 facts decide how the file is created:
//  - libver bounds are v18 (superblock v2), not "latest": with superblock v3 a file that
//    was not closed keeps its "open for write" flag and plain readers (h5py, pandas)
//    refuse it until `h5clear -s`. Full SWMR needs v3 and forbids new objects and
//    attributes after start, which the status attributes and policy snapshots need.
//  - the writer does not take HDF5's file lock, so a notebook can open the file
//    read-only while the run is live, and the file works on mounts without flock.
//
// Live readers: every change to the file (Create, Flush, WriteBudget at the next Flush,
// WritePolicy, RemovePolicy, SetStatus, SetAttribute, Finish, closing, OpenForResume) is
// bracketed by publications of the commit record `<path>.commit` (run_commit.h): "writing"
// before the first HDF5 call, then H5Fflush, fsync, and "idle" (or "closed") with the
// committed row counts. ReadRunSnapshot (run_reader.h) and teamsrl_analysis.load_run read
// only quiescent states and only committed rows, so they never see a half-written table.
//
// Resuming (OpenForResume): a job restarted from a checkpoint reopens the same file,
// truncates every appended table and /text/strings to the checkpoint's RowCounts (taken
// from committed_rows() when the checkpoint was written) and appends after them, so the
// file ends as an uninterrupted run's would (test: RunFileTest.ResumeMatchesAnUninterruptedRun).
// The resume publishes a new epoch before truncating: readers see rows shrink only with a
// new epoch number (run_commit.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/version.h"
#include "io/run_schema.h"
#include "io/run_status.h"

namespace teamsrl::io {

// Root attributes written by Create. Strings are variable-length UTF-8.
struct RootAttributes {
  std::string run_name;  // run.name from the config
  std::string teamsrl_version = std::string(Version());
  std::string git_describe = std::string(GitDescribe());
  // TEAMSRL_SIMD of the build: bitwise reproducibility holds within one (README "Build
  // options").
  std::string build_simd = std::string(BuildSimd());
  std::string command;      // the command line, e.g. "teamsrl train quickstart.yaml ..."
  std::string config_yaml;  // the resolved configuration
  uint64_t seed = 0;
  int64_t world_size = 1;           // MPI ranks
  int64_t actors = 1;               // logical actors
  std::string hostnames;            // comma-separated, one per rank, in rank order
  std::string slurm_job_id;         // empty when not under SLURM
  std::string slurm_array_task_id;  // empty when not in an array job
  std::string slurm_restart_count;  // SLURM_RESTART_COUNT: requeues of the job so far
  std::string slurm_nodelist;       // SLURM_JOB_NODELIST
  std::string launcher;             // "mpirun", "srun" or "single process" (dist/launcher.h)
  std::string started_at;           // ISO-8601 UTC; Create fills in "now" when empty

  // Enum name tables, stored as `<column>_names` attributes of the datasets (not as root
  // attributes). role_names must match llm::RoleNames(); "total" is appended for /budget.
  std::vector<std::string> action_names;
  std::vector<std::string> endpoint_names;
  std::vector<std::string> role_names = {"rewriter", "reviewer", "responder"};
  std::vector<std::string> reason_names;  // elimination reasons of /dataset/samples

  // Defaults with slurm_job_id / slurm_array_task_id from SLURM_JOB_ID /
  // SLURM_ARRAY_TASK_ID and started_at = now.
  static RootAttributes FromEnvironment();
};

// "2024-05-01T12:34:56Z"
std::string CurrentTimeIso8601();

class RunFile {
 public:
  // Creates `path` (and its parent directories), replacing a file or symbolic link there
  // (the link itself, never its target: io/safe_file.h), writes the root attributes with
  // status "running" and creates every dataset.
  static Result<RunFile> Create(const std::string& path, const RootAttributes& attributes);

  // Reopens the run file at `path` (written by Create, possibly by a killed process) for
  // appending: checks the schema version and every table's row type, truncates each
  // appended table and /text/strings to `keep` (InvalidArgument naming the table when it
  // has fewer rows: the file does not belong to that checkpoint), sets `status` back to
  // running and `finished_at` to "" (as Create leaves them), removes `error` and
  // `stop_reason`, and continues after the kept rows (AddText returns keep.texts next).
  // /budget and /policy are left as they are (WriteBudget, RemovePolicy). The file is
  // modified in place, never replaced. NotFound for a missing file, DataLoss for one that
  // is not HDF5 or is truncated or damaged, InvalidArgument for another schema; each
  // names the file, and a refused file is left unchanged.
  static Result<RunFile> OpenForResume(const std::string& path, const RowCounts& keep);

  RunFile(RunFile&&) noexcept;
  RunFile& operator=(RunFile&&) noexcept;
  // Flushes and closes, ignoring errors; the status stays as last set.
  ~RunFile();

  // Buffered until Flush().
  void AppendIterations(const std::vector<IterationRow>& rows);
  void AppendEpisodes(const std::vector<EpisodeRow>& rows);
  void AppendSteps(const std::vector<StepRow>& rows);
  void AppendCalls(const std::vector<CallRow>& rows);
  void AppendSamples(const std::vector<SampleRow>& rows);
  // Returns the id of `text` in /text/strings: 0, 1, 2, ... in call order (no dedup).
  int64_t AddText(std::string_view text);

  // Replaces /budget with `rows` at the next Flush() (so /budget and the rows it counts
  // are committed together).
  Status WriteBudget(const std::vector<BudgetRow>& rows);
  // Writes /policy/NAME (replacing it) with string attributes, and flushes.
  Status WritePolicy(const std::string& name, const std::vector<double>& params,
                     const std::map<std::string, std::string>& attributes);

  // Removes /policy/NAME (NotFound when absent), e.g. snapshots newer than a checkpoint.
  Status RemovePolicy(const std::string& name);
  // Names of the datasets under /policy, sorted (policies and their *_obs_filter).
  Result<std::vector<std::string>> PolicyNames() const;

  // Writes buffered texts and rows, then H5Fflush: after it returns, a killed process
  // leaves a readable file containing everything appended so far. After a failed H5Fflush
  // HDF5 1.10 cannot flush that file again ("slist already enabled"): the run ends, and
  // its file reads, and resumes, as of the last commit (undo_journal.h).
  Status Flush();
  // Flush() on a background thread, so the caller goes on (train: the next iteration)
  // while HDF5 compresses and writes; rows appended meanwhile go to the next flush. Waits
  // for the previous background flush first and returns its error, if it failed: its rows
  // are then not committed (committed_rows() does not count them; those it had not handed
  // to HDF5 are buffered again). Every other method that reads or writes the file
  // (committed_rows() too) waits for it first, so checkpoints only count committed rows.
  Status StartFlush();
  // Waits for a background flush; its status (OK when none ran).
  Status WaitFlushed() const;
  // The rows and texts in the file after the last successful Flush() (or Create /
  // OpenForResume): what a checkpoint taken now must keep.
  RowCounts committed_rows() const;
  // Sets the root attribute `status` and flushes.
  Status SetStatus(RunStatus status);
  // Sets (or replaces) a root attribute.
  Status SetAttribute(const std::string& name, std::string_view value);
  Status SetAttribute(const std::string& name, const char* value) {
    return SetAttribute(name, std::string_view(value));
  }
  Status SetAttribute(const std::string& name, int64_t value);
  Status SetAttribute(const std::string& name, int value) {
    return SetAttribute(name, static_cast<int64_t>(value));
  }
  Status SetAttribute(const std::string& name, double value);
  // A root attribute as written (NotFound when absent, InvalidArgument for another type).
  Result<std::string> GetAttribute(const std::string& name) const;
  Result<int64_t> GetInt64Attribute(const std::string& name) const;
  // Sets finished_at = now and `status`, flushes and closes the file.
  Status Finish(RunStatus status);

  bool is_open() const;
  const std::string& path() const { return path_; }
  int64_t text_count() const;  // texts added so far (flushed or not)

 private:
  struct Buffers;
  struct State;
  explicit RunFile(std::unique_ptr<State> state, std::string path);
  Status CheckOpen() const;
  // CheckOpen, then WaitFlushed: before any use of the HDF5 file.
  Status Quiesce() const;
  // The commit protocol (header comment): Begin before the first HDF5 change, End after
  // the last; End flushes, syncs and publishes the committed rows. Static forms for the
  // background flush, which holds the State, not the (movable) RunFile.
  Status BeginChange();
  Status EndChange();
  static Status BeginChange(State& s, const std::string& path);
  static Status EndChange(State& s, const std::string& path);
  // Writes the buffered texts, rows and budget (no flush).
  Status WriteBuffered();
  static Status WriteBuffered(State& s, Buffers& b);
  // The rows of every table as HDF5 has them (flushed or not).
  static RowCounts TableRows(const State& s);
  // Writes what is buffered and closes the file, publishing "closed"; `begun`: the
  // caller already published "writing".
  Status Close(bool begun = false);

  std::unique_ptr<State> state_;
  std::string path_;
};

}  // namespace teamsrl::io
