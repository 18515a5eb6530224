// Reading run files (schema version 1): root attributes for `teamsrl inspect`, policies
// for `teamsrl generate --policy RUN.h5`. Works on finished files, live files and files
// of killed runs: every function taking a path reads through ReadRunSnapshot, which
// follows the commit protocol of run_commit.h.
//
// Errors name the file: NotFound when it does not exist, DataLoss when it is not an HDF5
// file, InvalidArgument when it is HDF5 but not a teamsrl run file (no schema_version)
// or was written by a newer schema, NotFound for a missing policy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/hdf5_handle.h"
#include "io/run_commit.h"
#include "io/run_file.h"

namespace teamsrl::io {

// Everything Create wrote at the root, plus what the run set since.
struct RunInfo {
  int64_t schema_version = 0;
  // Including the enum name tables, read back from the dataset attributes (role_names
  // without the "total" of /budget).
  RootAttributes root;
  std::string finished_at;  // empty while running or after a crash
  std::string status;       // one of kRunStatuses
};

// Opens a run file read-only after checking it exists, is HDF5 and has a supported
// schema_version. Does not take HDF5's file lock (see run_file.h).
Result<FileId> OpenRunFile(const std::string& path);

// One consistent view of a run file (run_commit.h).
struct RunSnapshot {
  hid_t file = H5I_INVALID_HID;  // open read-only for this read
  // The record the view is consistent with; nullopt when the file has none (written by an
  // older teamsrl, or copied without its .commit): then whole datasets are read.
  std::optional<CommitRecord> commit;
  // Rows of the table (or strings of /text/strings) at `path` the reader may read: the
  // committed rows, or -1 (all) without a record.
  int64_t Rows(std::string_view path) const;
};

struct SnapshotOptions {
  double timeout_s = 30.0;  // bound on waiting and retrying, then an error
  // A "writing" record unchanged this long means its writer died during a change (a live
  // writer's changes take milliseconds); sooner when the writer was on this host and its
  // pid is gone.
  double stale_after_s = 10.0;
};

// Calls `read` with a consistent snapshot of the run file at `path` and returns what it
// returned. `read` may run more than once (a read that overlapped a flush is repeated), so
// it must start from scratch each time. Errors: those of OpenRunFile and of `read`;
// DeadlineExceeded naming the file and the writer after options.timeout_s.
Status ReadRunSnapshot(const std::string& path,
                       const std::function<Status(const RunSnapshot&)>& read,
                       const SnapshotOptions& options = {});

Result<RunInfo> ReadRunInfo(const std::string& path);
Result<RunInfo> ReadRunInfo(hid_t file);
// True when the run file at `path` reads and its `status` is `completed` (false for any
// error): what a resume checks before it calls a run finished.
bool RunFileCompleted(const std::string& path);

// Names of the datasets under /policy, sorted.
Result<std::vector<std::string>> ListPolicies(const std::string& path);
Result<std::vector<double>> ReadPolicy(const std::string& path, const std::string& name);
Result<std::map<std::string, std::string>> ReadPolicyAttributes(const std::string& path,
                                                                const std::string& name);

// Text `id` of /text/strings.
Result<std::string> ReadText(const std::string& path, int64_t id);

}  // namespace teamsrl::io
