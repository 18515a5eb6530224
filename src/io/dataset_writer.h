// The durable output of `generate` and `baseline`: DIR/dataset.jsonl (one JSON object per
// sample), DIR/calls.bin (a journal of per-call accounting rows, length-prefixed blocks,
// one per chunk) and DIR/progress.json (the commit point). Seeds are processed in chunks;
// after each chunk root appends its lines and calls, fsyncs both files, then replaces
// progress.json atomically (write to a temporary file, fsync, rename, fsync the
// directory). A crash at any moment therefore leaves a commit point whose byte lengths
// are a prefix of both files; a rerun truncates them to it and continues with the next
// seed, so the final dataset.jsonl is byte-identical to an uninterrupted run's. Once the
// run has completed and its h5 file says so, the journal's rows are in that file and
// calls.bin is removed (RemoveJournal); a failed, stopped or killed run keeps it to resume.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "io/safe_file.h"

namespace teamsrl::io {

// One line of dataset.jsonl: Alpaca's fields then the provenance.
struct SampleLine {
  std::string instruction;
  std::string input;  // the seed's input, kept (never sent)
  std::string output;
  int64_t seed_index = 0;
  int64_t step = 0;     // generate: step; baseline: round
  std::string action;   // "" (JSON null): a seed the baseline keeps, not an evolution
  int64_t parent = -1;  // sample_id of the sample this one evolved from, -1 = the seed
  int64_t sample_id = 0;
  bool eliminated = false;
  std::string reason = "none";
  std::optional<bool> not_equal;  // the reviewer's verdict, when one was asked for
  int64_t queries = 0;            // LLM calls this sample cost
  // The reviewer's reply was neither exactly `Equal` nor `Not Equal` (written only when true).
  bool malformed_reply = false;
};

// The JSON line (with its '\n'); `step_key` names the step field ("step" or "round").
std::string SampleLineJson(const SampleLine& line, std::string_view step_key);
// Inverse of SampleLineJson; InvalidArgument on a malformed line.
Result<SampleLine> ParseSampleLine(std::string_view json, std::string_view step_key);

// The state recorded in progress.json.
struct CommitPoint {
  int64_t next_seed = 0;  // seeds [0, next_seed) are in the files
  int64_t dataset_bytes = 0;
  int64_t calls_bytes = 0;
  int64_t samples = 0;
  int64_t chunks = 0;
  bool complete = false;
  std::string fingerprint;  // identifies the command that owns DIR
};

class DatasetWriter {
 public:
  static constexpr char kDatasetFile[] = "dataset.jsonl";
  static constexpr char kCallsFile[] = "calls.bin";
  static constexpr char kProgressFile[] = "progress.json";

  // Opens DIR (created if needed) for the run identified by `fingerprint`:
  //  - no progress.json, or `overwrite`: starts empty (FailedPrecondition if a non-empty
  //    dataset.jsonl without progress.json is there and `overwrite` is false);
  //  - progress.json with the same fingerprint: resumes, truncating dataset.jsonl and
  //    calls.bin to the committed lengths (DataLoss if they are shorter); a complete
  //    run's calls.bin may be gone (journal_removed());
  //  - another fingerprint: FailedPrecondition (the directory holds another run);
  //  - DIR/.lock held (flock) by a live process: FailedPrecondition.
  static Result<DatasetWriter> Open(const std::string& dir, const std::string& fingerprint,
                                    bool overwrite);

  DatasetWriter(DatasetWriter&&) noexcept;
  DatasetWriter& operator=(DatasetWriter&&) noexcept;
  ~DatasetWriter();

  const CommitPoint& committed() const { return committed_; }
  bool resumed() const { return resumed_; }
  // A complete run whose calls.bin was removed: nothing is left to replay from it.
  bool journal_removed() const { return committed_.complete && calls_fd_ < 0; }
  std::string path(std::string_view file) const;

  // Appends one chunk (`lines`: JSONL text; `calls`: one journal block's payload), makes
  // it durable and records the new commit point.
  Status Commit(std::string_view lines, std::string_view calls, int64_t next_seed, int64_t samples);
  // Records that every seed is done.
  Status MarkComplete();
  // Removes calls.bin, once complete and its rows are in the finished h5 file.
  Status RemoveJournal();

 private:
  DatasetWriter() = default;
  Status WriteProgress();

  std::string dir_;
  int dataset_fd_ = -1;
  int calls_fd_ = -1;
  std::optional<DirectoryLock> lock_;  // DIR/.lock
  CommitPoint committed_;
  bool resumed_ = false;
};

// Reads the payloads of calls.bin's blocks in order, up to `bytes`; `fn` gets each.
Status ForEachCallBlock(const std::string& path, int64_t bytes,
                        const std::function<Status(std::string_view)>& fn);

}  // namespace teamsrl::io
