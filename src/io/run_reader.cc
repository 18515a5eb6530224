#include "io/run_reader.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

#include "io/attributes.h"
#include "io/table.h"
#include "io/undo_journal.h"

namespace teamsrl::io {
namespace {

// A string root attribute, "" when absent (files of killed runs have all of them, but a
// reader should not fail on a cosmetic attribute).
Result<std::string> OptionalString(hid_t loc, const std::string& name) {
  if (!HasAttribute(loc, name)) return std::string();
  return ReadStringAttribute(loc, name);
}

Result<std::vector<std::string>> EnumNames(hid_t file, const std::string& path,
                                           const std::string& column) {
  Result<DatasetId> dataset = OpenDataset(file, path);
  if (!dataset.ok()) return std::vector<std::string>();
  if (!HasAttribute(dataset->get(), column + "_names")) return std::vector<std::string>();
  return ReadStringArrayAttribute(dataset->get(), column + "_names");
}

Result<DatasetId> OpenPolicy(hid_t file, const std::string& path, const std::string& name) {
  Result<DatasetId> dataset = OpenDataset(file, std::string(kPolicyGroup) + "/" + name);
  if (!dataset.ok() && dataset.status().code() == StatusCode::kNotFound) {
    return NotFound("no policy '" + name + "' in run file " + path);
  }
  return dataset;
}

herr_t CollectName(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// Legacy files (no commit record) get a few quick retries, as readers did before records.
constexpr int kLegacyAttempts = 3;

std::string DescribeWriter(const CommitRecord& r) {
  return "pid " + std::to_string(r.pid) + " on " + (r.host.empty() ? "?" : r.host);
}

}  // namespace

int64_t RunSnapshot::Rows(std::string_view path) const {
  if (!commit) return -1;
  const RowCounts& r = commit->rows;
  if (path == kIterationsPath) return r.iterations;
  if (path == kEpisodesPath) return r.episodes;
  if (path == kStepsPath) return r.steps;
  if (path == kCallsPath) return r.calls;
  if (path == kSamplesPath) return r.samples;
  if (path == kTextPath) return r.texts;
  if (path == kBudgetPath) return commit->budget_rows;
  return -1;
}

Status ReadRunSnapshot(const std::string& path,
                       const std::function<Status(const RunSnapshot&)>& read,
                       const SnapshotOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const Clock::time_point deadline = Clock::now() + seconds(options.timeout_s);
  std::optional<CommitRecord> waited_on;  // the "writing" record being waited out
  Clock::time_point waiting_since;
  auto pause = std::chrono::milliseconds(1);
  int legacy_attempts = 0;
  for (;;) {
    // A change takes milliseconds: poll the record often, and retry a read at once.
    const auto sleep = [&] {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(10));
    };
    const std::optional<CommitRecord> before = ReadCommit(path);
    bool writer_gone = false;
    if (before && before->state == WriterState::kWriting) {
      writer_gone = WriterKnownDead(*before);
      if (!writer_gone) {
        if (waited_on != before) {
          waited_on = before;
          waiting_since = Clock::now();
        }
        writer_gone = Clock::now() - waiting_since >= seconds(options.stale_after_s);
      }
      if (!writer_gone) {
        if (Clock::now() >= deadline) {
          return DeadlineExceeded("timed out after " + std::to_string(options.timeout_s) +
                                  " s waiting for the writer of run file " + path + " (" +
                                  DescribeWriter(*before) + ") to finish a change");
        }
        sleep();
        continue;
      }
    }
    pause = std::chrono::milliseconds(1);
    Status status;
    {
      Result<FileId> file = OpenRunFile(path);
      if (!file.ok()) {
        status = file.status();
      } else {
        RunSnapshot snapshot{file->get(), before};
        // A record of another file (this one replaced by a copy) says nothing about it.
        if (before) {
          Result<std::string> token = OptionalString(file->get(), "commit_token");
          if (!token.ok() || *token != before->token) snapshot.commit.reset();
        }
        status = read(snapshot);
      }
    }  // closed before the record is read again
    const std::optional<CommitRecord> after = ReadCommit(path);
    if (before == after) {
      if (status.ok()) return status;
      if (!before && status.code() == StatusCode::kInternal &&
          ++legacy_attempts < kLegacyAttempts && Clock::now() < deadline) {
        sleep();
        continue;
      }
      if (writer_gone) {
        return Status(status.code(), status.message() + " (the writer of this file, " +
                                         DescribeWriter(*before) +
                                         ", stopped in the middle of a change)");
      }
      return status;  // a quiescent file: the error is real
    }
    if (Clock::now() >= deadline) {
      return status.ok() ? DeadlineExceeded("run file " + path + " changed during every read for " +
                                            std::to_string(options.timeout_s) + " s")
                         : status;
    }
    sleep();
  }
}

Result<FileId> OpenRunFile(const std::string& path) {
  SilenceHdf5Errors();
  std::error_code error;
  std::filesystem::file_status file_status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(file_status)) {
    return NotFound("run file " + path + " does not exist");
  }
  if (std::filesystem::is_directory(file_status)) {
    return InvalidArgument("run file " + path + " is a directory");
  }
  htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) return Hdf5Error("cannot read run file " + path);
  if (is_hdf5 == 0) return DataLoss(path + " is not an HDF5 file");

  // Without HDF5's file lock, like the writer (run_file.h), so reading works next to a
  // live writer and on file systems without flock. If this process already has the file
  // open with locking, HDF5 insists the flags match: fall back to the defaults.
  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl) return Hdf5Error("setting up file access properties for " + path);
#if H5_VERSION_GE(1, 10, 7)
  if (H5Pset_file_locking(fapl.get(), false, true) < 0) {
    return Hdf5Error("disabling file locking for " + path);
  }
#endif
  // Through the undo journal: a file whose writer died in a change reads as its last commit.
  TEAMSRL_RETURN_IF_ERROR(UseUndoJournal(fapl.get()));
  FileId file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!file) {
    H5Eclear2(H5E_DEFAULT);
    file = FileId(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  }
  if (!file) return Hdf5Error("cannot open run file " + path);
  if (!HasAttribute(file.get(), "schema_version")) {
    return InvalidArgument(path +
                           " is an HDF5 file but not a teamsrl run file (no schema_version "
                           "attribute)");
  }
  TEAMSRL_ASSIGN_OR_RETURN(int64_t version, ReadInt64Attribute(file.get(), "schema_version"));
  if (version < 1 || version > kSchemaVersion) {
    return InvalidArgument("run file " + path + " has schema_version " + std::to_string(version) +
                           "; this teamsrl reads version " + std::to_string(kSchemaVersion));
  }
  return file;
}

Result<RunInfo> ReadRunInfo(const std::string& path) {
  RunInfo info;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& snapshot) -> Status {
    TEAMSRL_ASSIGN_OR_RETURN(info, ReadRunInfo(snapshot.file));
    return OkStatus();
  }));
  return info;
}

bool RunFileCompleted(const std::string& path) {
  Result<RunInfo> info = ReadRunInfo(path);
  return info.ok() && info->status == RunStatusName(RunStatus::kCompleted);
}

Result<RunInfo> ReadRunInfo(hid_t file) {
  RunInfo info;
  RootAttributes& root = info.root;
  TEAMSRL_ASSIGN_OR_RETURN(info.schema_version, ReadInt64Attribute(file, "schema_version"));
  const std::pair<const char*, std::string*> strings[] = {
      {"teamsrl_version", &root.teamsrl_version},
      {"git_describe", &root.git_describe},
      {"build_simd", &root.build_simd},
      {"command", &root.command},
      {"config_yaml", &root.config_yaml},
      {"run_name", &root.run_name},
      {"hostnames", &root.hostnames},
      {"slurm_job_id", &root.slurm_job_id},
      {"slurm_array_task_id", &root.slurm_array_task_id},
      {"started_at", &root.started_at},
      {"finished_at", &info.finished_at},
      {"status", &info.status}};
  for (const auto& [name, value] : strings) {
    TEAMSRL_ASSIGN_OR_RETURN(*value, OptionalString(file, name));
  }
  TEAMSRL_ASSIGN_OR_RETURN(root.seed, ReadUint64Attribute(file, "seed"));
  TEAMSRL_ASSIGN_OR_RETURN(root.world_size, ReadInt64Attribute(file, "world_size"));
  TEAMSRL_ASSIGN_OR_RETURN(root.actors, ReadInt64Attribute(file, "actors"));
  TEAMSRL_ASSIGN_OR_RETURN(root.action_names, EnumNames(file, kStepsPath, "action"));
  TEAMSRL_ASSIGN_OR_RETURN(root.role_names, EnumNames(file, kCallsPath, "role"));
  TEAMSRL_ASSIGN_OR_RETURN(root.endpoint_names, EnumNames(file, kCallsPath, "endpoint"));
  TEAMSRL_ASSIGN_OR_RETURN(root.reason_names, EnumNames(file, kSamplesPath, "reason"));
  return info;
}

Result<std::vector<std::string>> ListPolicies(const std::string& path) {
  std::vector<std::string> names;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& snapshot) -> Status {
    names.clear();
    if (H5Lexists(snapshot.file, kPolicyGroup, H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return OkStatus();
    }
    GroupId group(H5Gopen2(snapshot.file, kPolicyGroup, H5P_DEFAULT));
    hsize_t index = 0;
    if (!group ||
        H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, CollectName, &names) < 0) {
      return Hdf5Error("listing /policy in " + path);
    }
    return OkStatus();
  }));
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<double>> ReadPolicy(const std::string& path, const std::string& name) {
  std::vector<double> params;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& snapshot) -> Status {
    TEAMSRL_ASSIGN_OR_RETURN(DatasetId dataset, OpenPolicy(snapshot.file, path, name));
    TEAMSRL_ASSIGN_OR_RETURN(int64_t size, DatasetRows(dataset.get()));
    params.assign(static_cast<size_t>(size), 0.0);
    if (size == 0) return OkStatus();
    return CheckHdf5(
        H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, params.data()),
        "reading policy '" + name + "' from " + path);
  }));
  return params;
}

Result<std::map<std::string, std::string>> ReadPolicyAttributes(const std::string& path,
                                                                const std::string& name) {
  std::map<std::string, std::string> attributes;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& snapshot) -> Status {
    TEAMSRL_ASSIGN_OR_RETURN(DatasetId dataset, OpenPolicy(snapshot.file, path, name));
    TEAMSRL_ASSIGN_OR_RETURN(attributes, ReadStringAttributes(dataset.get()));
    return OkStatus();
  }));
  return attributes;
}

Result<std::string> ReadText(const std::string& path, int64_t id) {
  std::string text;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& snapshot) -> Status {
    const int64_t committed = snapshot.Rows(kTextPath);
    if (committed >= 0 && (id < 0 || id >= committed)) {
      return InvalidArgument("text " + std::to_string(id) + " out of range of the " +
                             std::to_string(committed) + " committed strings of " + path);
    }
    TEAMSRL_ASSIGN_OR_RETURN(std::vector<std::string> texts,
                             ReadStrings(snapshot.file, kTextPath, id, 1));
    text = std::move(texts[0]);
    return OkStatus();
  }));
  return text;
}

}  // namespace teamsrl::io
