// Reading run files (schema version 1): root attributes for `teamsrl inspect`, policies
// for `teamsrl generate --policy RUN.h5`. Works on finished files, live files and files
// of killed runs.
//
// Errors name the file: NotFound when it does not exist, DataLoss when it is not an HDF5
// file, InvalidArgument when it is HDF5 but not a teamsrl run file (no schema_version)
// or was written by a newer schema, NotFound for a missing policy.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/hdf5_handle.h"
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

Result<RunInfo> ReadRunInfo(const std::string& path);
Result<RunInfo> ReadRunInfo(hid_t file);

// Names of the datasets under /policy, sorted.
Result<std::vector<std::string>> ListPolicies(const std::string& path);
Result<std::vector<double>> ReadPolicy(const std::string& path, const std::string& name);
Result<std::map<std::string, std::string>> ReadPolicyAttributes(const std::string& path,
                                                                const std::string& name);

// Text `id` of /text/strings.
Result<std::string> ReadText(const std::string& path, int64_t id);

}  // namespace teamsrl::io
