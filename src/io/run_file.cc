#include "io/run_file.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/check.h"
#include "core/text.h"
#include "io/attributes.h"
#include "io/hdf5_handle.h"
#include "io/safe_file.h"
#include "io/table.h"

namespace teamsrl::io {
namespace {

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Access properties shared by the writer; see the header comment for why.
Result<PlistId> WriterAccessProperties(const std::string& path) {
  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl || H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
    return Hdf5Error("setting up file access properties for " + path);
  }
#if H5_VERSION_GE(1, 10, 7)
  if (H5Pset_file_locking(fapl.get(), /*use_file_locking=*/false,
                          /*ignore_when_disabled=*/true) < 0) {
    return Hdf5Error("disabling file locking for " + path);
  }
#endif
  return fapl;
}

}  // namespace

std::string CurrentTimeIso8601() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

RootAttributes RootAttributes::FromEnvironment() {
  RootAttributes attributes;
  attributes.slurm_job_id = EnvOrEmpty("SLURM_JOB_ID");
  attributes.slurm_array_task_id = EnvOrEmpty("SLURM_ARRAY_TASK_ID");
  attributes.started_at = CurrentTimeIso8601();
  return attributes;
}

struct RunFile::State {
  FileId file;  // declared first: closed after the datasets
  Table iterations;
  Table episodes;
  Table steps;
  Table calls;
  Table budget;
  Table samples;
  TextTable texts;
  std::vector<IterationRow> pending_iterations;
  std::vector<EpisodeRow> pending_episodes;
  std::vector<StepRow> pending_steps;
  std::vector<CallRow> pending_calls;
  std::vector<SampleRow> pending_samples;
  std::vector<std::string> pending_texts;
};

RunFile::RunFile(std::unique_ptr<State> state, std::string path)
    : state_(std::move(state)), path_(std::move(path)) {}
RunFile::RunFile(RunFile&&) noexcept = default;
RunFile& RunFile::operator=(RunFile&& other) noexcept {
  if (this != &other) {
    if (is_open()) (void)Flush();
    state_ = std::move(other.state_);
    path_ = std::move(other.path_);
  }
  return *this;
}

RunFile::~RunFile() {
  if (is_open()) (void)Flush();  // errors are dropped: a destructor cannot report them
}

Result<RunFile> RunFile::Create(const std::string& path, const RootAttributes& attributes) {
  if (path.empty()) return InvalidArgument("empty run file path");
  SilenceHdf5Errors();
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      return Status(error == std::errc::permission_denied ? StatusCode::kPermissionDenied
                                                          : StatusCode::kInvalidArgument,
                    "cannot create directory " + parent.string() + " for run file " + path + ": " +
                        error.message());
    }
  }
  TEAMSRL_ASSIGN_OR_RETURN(PlistId fapl, WriterAccessProperties(path));
  // Whatever is at `path` is replaced, never written through: a symbolic link there is
  // removed itself and the file created exclusively (callers refuse without --overwrite).
  if (Status cleared = RemoveForReplacement(path); !cleared.ok()) {
    return Status(cleared.code(), "cannot create run file " + path + ": " + cleared.message());
  }
  auto state = std::make_unique<State>();
  state->file = FileId(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()));
  if (!state->file) return Hdf5Error("cannot create run file " + path);
  const hid_t file = state->file.get();

  const RootAttributes& a = attributes;
  std::string started_at = a.started_at.empty() ? CurrentTimeIso8601() : a.started_at;
  const std::pair<const char*, const std::string*> strings[] = {
      {"teamsrl_version", &a.teamsrl_version},
      {"git_describe", &a.git_describe},
      {"command", &a.command},
      {"config_yaml", &a.config_yaml},
      {"run_name", &a.run_name},
      {"hostnames", &a.hostnames},
      {"slurm_job_id", &a.slurm_job_id},
      {"slurm_array_task_id", &a.slurm_array_task_id},
      {"started_at", &started_at}};
  TEAMSRL_RETURN_IF_ERROR(WriteInt64Attribute(file, "schema_version", kSchemaVersion));
  for (const auto& [name, value] : strings) {
    TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, name, *value));
  }
  TEAMSRL_RETURN_IF_ERROR(WriteUint64Attribute(file, "seed", a.seed));
  TEAMSRL_RETURN_IF_ERROR(WriteInt64Attribute(file, "world_size", a.world_size));
  TEAMSRL_RETURN_IF_ERROR(WriteInt64Attribute(file, "actors", a.actors));
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "finished_at", ""));
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "status", RunStatusName(RunStatus::kRunning)));

  TEAMSRL_ASSIGN_OR_RETURN(state->iterations, Table::Create(file, IterationSchema()));
  TEAMSRL_ASSIGN_OR_RETURN(state->episodes, Table::Create(file, EpisodeSchema()));
  TEAMSRL_ASSIGN_OR_RETURN(state->steps, Table::Create(file, StepSchema(a.action_names)));
  TEAMSRL_ASSIGN_OR_RETURN(state->calls,
                           Table::Create(file, CallSchema(a.role_names, a.endpoint_names)));
  // One row per role: a small chunk keeps the rewritten table small.
  TEAMSRL_ASSIGN_OR_RETURN(state->budget,
                           Table::Create(file, BudgetSchema(a.role_names), /*chunk_rows=*/16));
  TEAMSRL_ASSIGN_OR_RETURN(state->samples,
                           Table::Create(file, SampleSchema(a.action_names, a.reason_names)));
  TEAMSRL_ASSIGN_OR_RETURN(state->texts, TextTable::Create(file, kTextPath));
  GroupId policy(H5Gcreate2(file, kPolicyGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!policy) return Hdf5Error(std::string("creating group /policy in ") + path);

  RunFile run(std::move(state), path);
  TEAMSRL_RETURN_IF_ERROR(run.Flush());
  return run;
}

bool RunFile::is_open() const { return state_ != nullptr && static_cast<bool>(state_->file); }

Status RunFile::CheckOpen() const {
  if (is_open()) return OkStatus();
  return FailedPrecondition("run file " + path_ + " is closed");
}

void RunFile::AppendIterations(const std::vector<IterationRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending_iterations.insert(state_->pending_iterations.end(), rows.begin(), rows.end());
}

void RunFile::AppendEpisodes(const std::vector<EpisodeRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending_episodes.insert(state_->pending_episodes.end(), rows.begin(), rows.end());
}

void RunFile::AppendSteps(const std::vector<StepRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending_steps.insert(state_->pending_steps.end(), rows.begin(), rows.end());
}

void RunFile::AppendCalls(const std::vector<CallRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending_calls.insert(state_->pending_calls.end(), rows.begin(), rows.end());
}

void RunFile::AppendSamples(const std::vector<SampleRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending_samples.insert(state_->pending_samples.end(), rows.begin(), rows.end());
}

int64_t RunFile::AddText(std::string_view text) {
  TEAMSRL_CHECK(is_open()) << "add text to closed run file " << path_;
  int64_t id = text_count();
  // HDF5 variable-length strings end at NUL: keep the text whole (core/text.h).
  state_->pending_texts.push_back(ReplaceNul(std::string(text)));
  return id;
}

int64_t RunFile::text_count() const {
  if (state_ == nullptr) return 0;
  return state_->texts.size() + static_cast<int64_t>(state_->pending_texts.size());
}

Status RunFile::WriteBudget(const std::vector<BudgetRow>& rows) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  return state_->budget.Replace(rows);
}

Status RunFile::WritePolicy(const std::string& name, const std::vector<double>& params,
                            const std::map<std::string, std::string>& attributes) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgument("bad policy name '" + name + "' for run file " + path_);
  }
  const hid_t file = state_->file.get();
  const std::string dataset_path = std::string(kPolicyGroup) + "/" + name;
  const std::string where = "dataset " + dataset_path + " in " + path_;
  htri_t exists = H5Lexists(file, dataset_path.c_str(), H5P_DEFAULT);
  if (exists < 0) return Hdf5Error("checking " + where);
  if (exists > 0) {
    TEAMSRL_RETURN_IF_ERROR(
        CheckHdf5(H5Ldelete(file, dataset_path.c_str(), H5P_DEFAULT), "replacing " + where));
  }
  hsize_t dims[1] = {params.size()};
  DataspaceId space(H5Screate_simple(1, dims, nullptr));
  if (!space) return Hdf5Error("creating the dataspace of " + where);
  DatasetId dataset(H5Dcreate2(file, dataset_path.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) return Hdf5Error("creating " + where);
  if (!params.empty()) {
    TEAMSRL_RETURN_IF_ERROR(CheckHdf5(
        H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, params.data()),
        "writing " + where));
  }
  for (const auto& [key, value] : attributes) {
    TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(dataset.get(), key, value));
  }
  TEAMSRL_RETURN_IF_ERROR(dataset.Close("closing " + where));
  return Flush();
}

Status RunFile::Flush() {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  State& s = *state_;
  // Each buffer is cleared only once written, so a failed Flush can be retried.
  if (!s.pending_texts.empty()) {
    TEAMSRL_RETURN_IF_ERROR(s.texts.Append(s.pending_texts));
    s.pending_texts.clear();
  }
  auto write = [](Table& table, auto& pending) -> Status {
    if (pending.empty()) return OkStatus();
    TEAMSRL_RETURN_IF_ERROR(table.Append(pending));
    pending.clear();
    return OkStatus();
  };
  TEAMSRL_RETURN_IF_ERROR(write(s.iterations, s.pending_iterations));
  TEAMSRL_RETURN_IF_ERROR(write(s.episodes, s.pending_episodes));
  TEAMSRL_RETURN_IF_ERROR(write(s.steps, s.pending_steps));
  TEAMSRL_RETURN_IF_ERROR(write(s.calls, s.pending_calls));
  TEAMSRL_RETURN_IF_ERROR(write(s.samples, s.pending_samples));
  return CheckHdf5(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), "flushing run file " + path_);
}

Status RunFile::SetStatus(RunStatus status) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  TEAMSRL_RETURN_IF_ERROR(
      WriteStringAttribute(state_->file.get(), "status", RunStatusName(status)));
  return Flush();
}

Status RunFile::SetAttribute(const std::string& name, std::string_view value) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  return WriteStringAttribute(state_->file.get(), name, value);
}

Status RunFile::SetAttribute(const std::string& name, int64_t value) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  return WriteInt64Attribute(state_->file.get(), name, value);
}

Status RunFile::SetAttribute(const std::string& name, double value) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  return WriteFloat64Attribute(state_->file.get(), name, value);
}

Status RunFile::Finish(RunStatus status) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  TEAMSRL_RETURN_IF_ERROR(
      WriteStringAttribute(state_->file.get(), "finished_at", CurrentTimeIso8601()));
  TEAMSRL_RETURN_IF_ERROR(SetStatus(status));
  // Datasets first: the file id is closed last, which writes the remaining metadata.
  FileId file = std::move(state_->file);
  state_.reset();
  return file.Close("closing run file " + path_);
}

}  // namespace teamsrl::io
