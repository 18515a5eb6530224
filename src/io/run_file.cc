#include "io/run_file.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <future>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include "core/check.h"
#include "core/text.h"
#include "io/attributes.h"
#include "io/hdf5_handle.h"
#include "io/run_commit.h"
#include "io/run_reader.h"
#include "io/safe_file.h"
#include "io/table.h"
#include "io/undo_journal.h"

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
  TEAMSRL_RETURN_IF_ERROR(UseUndoJournal(fapl.get()));
#if H5_VERSION_GE(1, 10, 7)
  if (H5Pset_file_locking(fapl.get(), /*use_file_locking=*/false,
                          /*ignore_when_disabled=*/true) < 0) {
    return Hdf5Error("disabling file locking for " + path);
  }
#endif
  return fapl;
}

Status DeleteAttributeIfPresent(hid_t file, const std::string& name, const std::string& path) {
  if (!HasAttribute(file, name)) return OkStatus();
  return CheckHdf5(H5Adelete(file, name.c_str()),
                   "removing attribute " + name + " of run file " + path);
}

herr_t CollectPolicyName(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                         void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
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
  attributes.slurm_restart_count = EnvOrEmpty("SLURM_RESTART_COUNT");
  attributes.slurm_nodelist = EnvOrEmpty("SLURM_JOB_NODELIST");
  attributes.started_at = CurrentTimeIso8601();
  return attributes;
}

// Rows, texts and the budget appended since the last flush began.
struct RunFile::Buffers {
  std::vector<IterationRow> iterations;
  std::vector<EpisodeRow> episodes;
  std::vector<StepRow> steps;
  std::vector<CallRow> calls;
  std::vector<SampleRow> samples;
  std::vector<std::string> texts;
  std::optional<std::vector<BudgetRow>> budget;

  // Puts what a failed flush left unwritten (this) before what came since (`later`),
  // into `later`.
  void PrependTo(Buffers& later) {
    const auto prepend = [](auto& front, auto& back) {
      front.insert(front.end(), std::make_move_iterator(back.begin()),
                   std::make_move_iterator(back.end()));
      back = std::move(front);
      front.clear();
    };
    prepend(iterations, later.iterations);
    prepend(episodes, later.episodes);
    prepend(steps, later.steps);
    prepend(calls, later.calls);
    prepend(samples, later.samples);
    prepend(texts, later.texts);
    if (!later.budget) later.budget = std::move(budget);  // the newer budget wins
    budget.reset();
  }
};

struct RunFile::State {
  FileId file;  // declared first: closed after the datasets
  Table iterations;
  Table episodes;
  Table steps;
  Table calls;
  Table budget;
  Table samples;
  TextTable texts;
  Buffers pending;
  RowCounts committed;      // in the file after the last successful flush
  CommitRecord commit;      // what readers were last told (run_commit.h)
  int64_t texts_added = 0;  // ids handed out by AddText: texts in the file and buffered
  // A flush on a background thread (StartFlush): it alone touches the HDF5 objects, the
  // commit state and `flying` while it runs; every other method waits for it first.
  Buffers flying;
  std::future<Status> in_flight;
};

RunFile::RunFile(std::unique_ptr<State> state, std::string path)
    : state_(std::move(state)), path_(std::move(path)) {}
RunFile::RunFile(RunFile&&) noexcept = default;
RunFile& RunFile::operator=(RunFile&& other) noexcept {
  if (this != &other) {
    if (is_open()) (void)Close();
    state_ = std::move(other.state_);
    path_ = std::move(other.path_);
  }
  return *this;
}

RunFile::~RunFile() {
  if (is_open()) (void)Close();  // errors are dropped: a destructor cannot report them
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
  // Readers are told first (a new token: the record of a replaced file no longer applies),
  // so none reads the file while it is being replaced and built.
  state->commit.token = NewCommitToken();
  state->commit.host = ThisHost();
  state->commit.pid = ThisPid();
  state->commit.seq = 1;
  state->commit.state = WriterState::kWriting;
  TEAMSRL_RETURN_IF_ERROR(PublishCommit(path, state->commit));
  state->file = FileId(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()));
  if (!state->file) return Hdf5Error("cannot create run file " + path);
  const hid_t file = state->file.get();

  const RootAttributes& a = attributes;
  std::string started_at = a.started_at.empty() ? CurrentTimeIso8601() : a.started_at;
  const std::pair<const char*, const std::string*> strings[] = {
      {"teamsrl_version", &a.teamsrl_version},
      {"git_describe", &a.git_describe},
      {"build_simd", &a.build_simd},
      {"command", &a.command},
      {"config_yaml", &a.config_yaml},
      {"run_name", &a.run_name},
      {"hostnames", &a.hostnames},
      {"slurm_job_id", &a.slurm_job_id},
      {"slurm_array_task_id", &a.slurm_array_task_id},
      {"slurm_restart_count", &a.slurm_restart_count},
      {"slurm_nodelist", &a.slurm_nodelist},
      {"launcher", &a.launcher},
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
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "commit_token", state->commit.token));

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
  TEAMSRL_RETURN_IF_ERROR(run.EndChange());
  return run;
}

Result<RunFile> RunFile::OpenForResume(const std::string& path, const RowCounts& keep) {
  SilenceHdf5Errors();
  const std::string where = "run file " + path;
  const int64_t counts[] = {keep.iterations, keep.episodes, keep.steps,
                            keep.calls,      keep.samples,  keep.texts};
  if (std::any_of(std::begin(counts), std::end(counts), [](int64_t n) { return n < 0; })) {
    return InvalidArgument("negative row count to keep when resuming " + where);
  }
  // The read-only checks of the readers: exists, not a directory, HDF5, schema version.
  Result<FileId> probe = OpenRunFile(path);
  if (!probe.ok()) {
    // An HDF5 file the library cannot open (truncated, damaged) is data loss, not a bug.
    if (probe.status().code() != StatusCode::kInternal) return probe.status();
    return DataLoss("cannot resume: " + probe.status().message());
  }
  probe->reset();
  TEAMSRL_ASSIGN_OR_RETURN(PlistId fapl, WriterAccessProperties(path));
  auto state = std::make_unique<State>();
  state->file = FileId(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()));
  if (!state->file) {
    Status error = Hdf5Error("cannot open " + where + " for resuming");
    if (error.code() == StatusCode::kPermissionDenied) return error;
    return DataLoss(error.message());
  }
  const hid_t file = state->file.get();
  auto open = [&](Table& table, TableSchema schema) -> Status {
    Result<Table> opened = Table::Open(file, std::move(schema));
    if (!opened.ok())
      return Status(opened.status().code(), "resuming: " + opened.status().message());
    table = std::move(*opened);
    return OkStatus();
  };
  // Enum name tables are not needed to open a table (they stay as Create wrote them).
  TEAMSRL_RETURN_IF_ERROR(open(state->iterations, IterationSchema()));
  TEAMSRL_RETURN_IF_ERROR(open(state->episodes, EpisodeSchema()));
  TEAMSRL_RETURN_IF_ERROR(open(state->steps, StepSchema({})));
  TEAMSRL_RETURN_IF_ERROR(open(state->calls, CallSchema({}, {})));
  TEAMSRL_RETURN_IF_ERROR(open(state->budget, BudgetSchema({})));
  TEAMSRL_RETURN_IF_ERROR(open(state->samples, SampleSchema({}, {})));
  Result<TextTable> texts = TextTable::Open(file, kTextPath);
  if (!texts.ok()) return Status(texts.status().code(), "resuming: " + texts.status().message());
  state->texts = std::move(*texts);
  const std::pair<const char*, std::pair<int64_t, int64_t>> sizes[] = {
      {kIterationsPath, {state->iterations.size(), keep.iterations}},
      {kEpisodesPath, {state->episodes.size(), keep.episodes}},
      {kStepsPath, {state->steps.size(), keep.steps}},
      {kCallsPath, {state->calls.size(), keep.calls}},
      {kSamplesPath, {state->samples.size(), keep.samples}},
      {kTextPath, {state->texts.size(), keep.texts}}};
  for (const auto& [table, size] : sizes) {
    if (size.first < size.second) {
      return InvalidArgument(where + " has " + std::to_string(size.first) + " rows in " + table +
                             ", fewer than the " + std::to_string(size.second) +
                             " the checkpoint keeps: the file does not belong to this checkpoint");
    }
  }

  // A new epoch, published before the first change: rows may shrink, readers start over.
  std::optional<CommitRecord> previous = ReadCommit(path);
  Result<std::string> token = ReadStringAttribute(file, "commit_token");
  CommitRecord& commit = state->commit;
  commit.token = token.ok() && !token->empty() ? *token : NewCommitToken();
  const bool same_file = previous && previous->token == commit.token;
  commit.epoch = same_file ? previous->epoch + 1 : 1;
  commit.seq = same_file ? previous->seq + 1 : 1;
  commit.rows = keep;
  commit.budget_rows = state->budget.size();
  commit.host = ThisHost();
  commit.pid = ThisPid();
  commit.state = WriterState::kWriting;
  TEAMSRL_RETURN_IF_ERROR(PublishCommit(path, commit));

  TEAMSRL_RETURN_IF_ERROR(state->iterations.Truncate(keep.iterations));
  TEAMSRL_RETURN_IF_ERROR(state->episodes.Truncate(keep.episodes));
  TEAMSRL_RETURN_IF_ERROR(state->steps.Truncate(keep.steps));
  TEAMSRL_RETURN_IF_ERROR(state->calls.Truncate(keep.calls));
  TEAMSRL_RETURN_IF_ERROR(state->samples.Truncate(keep.samples));
  TEAMSRL_RETURN_IF_ERROR(state->texts.Truncate(keep.texts));
  if (!token.ok() || token->empty()) {
    TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "commit_token", commit.token));
  }
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "status", RunStatusName(RunStatus::kRunning)));
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(file, "finished_at", ""));
  TEAMSRL_RETURN_IF_ERROR(DeleteAttributeIfPresent(file, "error", path));
  TEAMSRL_RETURN_IF_ERROR(DeleteAttributeIfPresent(file, "stop_reason", path));
  GroupId policy(H5Gopen2(file, kPolicyGroup, H5P_DEFAULT));
  if (!policy) {
    H5Eclear2(H5E_DEFAULT);
    policy = GroupId(H5Gcreate2(file, kPolicyGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!policy) return Hdf5Error("creating group /policy in " + path);
  }
  policy.reset();
  state->texts_added = keep.texts;  // EndChange sets `committed` from the truncated tables
  RunFile run(std::move(state), path);
  TEAMSRL_RETURN_IF_ERROR(run.EndChange());
  return run;
}

bool RunFile::is_open() const { return state_ != nullptr && static_cast<bool>(state_->file); }

Status RunFile::CheckOpen() const {
  if (is_open()) return OkStatus();
  return FailedPrecondition("run file " + path_ + " is closed");
}

Status RunFile::Quiesce() const {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  return WaitFlushed();
}

void RunFile::AppendIterations(const std::vector<IterationRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending.iterations.insert(state_->pending.iterations.end(), rows.begin(), rows.end());
}

void RunFile::AppendEpisodes(const std::vector<EpisodeRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending.episodes.insert(state_->pending.episodes.end(), rows.begin(), rows.end());
}

void RunFile::AppendSteps(const std::vector<StepRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending.steps.insert(state_->pending.steps.end(), rows.begin(), rows.end());
}

void RunFile::AppendCalls(const std::vector<CallRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending.calls.insert(state_->pending.calls.end(), rows.begin(), rows.end());
}

void RunFile::AppendSamples(const std::vector<SampleRow>& rows) {
  TEAMSRL_CHECK(is_open()) << "append to closed run file " << path_;
  state_->pending.samples.insert(state_->pending.samples.end(), rows.begin(), rows.end());
}

int64_t RunFile::AddText(std::string_view text) {
  TEAMSRL_CHECK(is_open()) << "add text to closed run file " << path_;
  // HDF5 variable-length strings end at NUL: keep the text whole (core/text.h).
  state_->pending.texts.push_back(ReplaceNul(std::string(text)));
  return state_->texts_added++;
}

int64_t RunFile::text_count() const { return state_ != nullptr ? state_->texts_added : 0; }

RowCounts RunFile::committed_rows() const {
  if (state_ == nullptr) return RowCounts{};
  // After a background flush that failed, its rows are not committed: the next flush
  // writes (or flushes) them, or reports the error again.
  (void)WaitFlushed();
  return state_->committed;
}

Status RunFile::WriteBudget(const std::vector<BudgetRow>& rows) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  state_->pending.budget = rows;
  return OkStatus();
}

Status RunFile::BeginChange() { return BeginChange(*state_, path_); }
Status RunFile::EndChange() { return EndChange(*state_, path_); }
Status RunFile::WriteBuffered() { return WriteBuffered(*state_, state_->pending); }

Status RunFile::BeginChange(State& s, const std::string& path) {
  // Published even when the last change failed and the record still says "writing": the
  // new seq tells a reader that read during that state that the file changed again.
  s.commit.state = WriterState::kWriting;
  ++s.commit.seq;
  return PublishCommit(path, s.commit);
}

Status RunFile::EndChange(State& s, const std::string& path) {
  TEAMSRL_RETURN_IF_ERROR(
      CheckHdf5(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), "flushing run file " + path));
  TEAMSRL_RETURN_IF_ERROR(CommitUndoJournal(s.file.get()));
  // Only now: rows HDF5 took but could not flush are not committed (a checkpoint must not
  // count them); a later flush that succeeds commits them.
  s.committed = TableRows(s);
  s.commit.rows = s.committed;
  s.commit.budget_rows = s.budget.size();
  s.commit.state = WriterState::kIdle;
  ++s.commit.seq;
  return PublishCommit(path, s.commit);
}

Status RunFile::WriteBuffered(State& s, Buffers& b) {
  // Each buffer is cleared only once written, so a failed Flush can be retried.
  if (!b.texts.empty()) {
    TEAMSRL_RETURN_IF_ERROR(s.texts.Append(b.texts));
    b.texts.clear();
  }
  auto write = [](Table& table, auto& pending) -> Status {
    if (pending.empty()) return OkStatus();
    TEAMSRL_RETURN_IF_ERROR(table.Append(pending));
    pending.clear();
    return OkStatus();
  };
  TEAMSRL_RETURN_IF_ERROR(write(s.iterations, b.iterations));
  TEAMSRL_RETURN_IF_ERROR(write(s.episodes, b.episodes));
  TEAMSRL_RETURN_IF_ERROR(write(s.steps, b.steps));
  TEAMSRL_RETURN_IF_ERROR(write(s.calls, b.calls));
  TEAMSRL_RETURN_IF_ERROR(write(s.samples, b.samples));
  if (b.budget) {
    TEAMSRL_RETURN_IF_ERROR(s.budget.Replace(*b.budget));
    b.budget.reset();
  }
  return OkStatus();
}

RowCounts RunFile::TableRows(const State& s) {
  return RowCounts{s.iterations.size(), s.episodes.size(), s.steps.size(),
                   s.calls.size(),      s.samples.size(),  s.texts.size()};
}

Status RunFile::StartFlush() {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  TEAMSRL_RETURN_IF_ERROR(WaitFlushed());
  State* s = state_.get();  // stable when the RunFile is moved
  std::swap(s->flying, s->pending);
  s->in_flight = std::async(std::launch::async, [s, path = path_] {
    SilenceHdf5Errors();  // per thread
    TEAMSRL_RETURN_IF_ERROR(BeginChange(*s, path));
    TEAMSRL_RETURN_IF_ERROR(WriteBuffered(*s, s->flying));
    return EndChange(*s, path);
  });
  return OkStatus();
}

Status RunFile::WaitFlushed() const {
  if (state_ == nullptr || !state_->in_flight.valid()) return OkStatus();
  State& s = *state_;
  Status status = s.in_flight.get();
  s.flying.PrependTo(s.pending);  // nothing left when it succeeded
  return status;
}

Status RunFile::Close(bool begun) {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  (void)WaitFlushed();  // as in Flush: what a failed one left is written now
  Status status = begun ? OkStatus() : BeginChange();
  if (status.ok()) status = WriteBuffered();
  // Datasets first: the file id is closed last, which writes the remaining metadata.
  FileId file = std::move(state_->file);
  CommitRecord commit = std::move(state_->commit);
  const RowCounts committed = TableRows(*state_);  // committed if the close succeeds
  const int64_t budget_rows = state_->budget.size();
  state_.reset();
  Status closed = file.Close("closing run file " + path_);
  if (!status.ok()) return status;
  if (!closed.ok()) return closed;
  // Only a file closed cleanly is "closed"; otherwise readers keep seeing "writing".
  commit.rows = committed;
  commit.budget_rows = budget_rows;
  commit.state = WriterState::kClosed;
  ++commit.seq;
  return PublishCommit(path_, commit);
}

Status RunFile::WritePolicy(const std::string& name, const std::vector<double>& params,
                            const std::map<std::string, std::string>& attributes) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgument("bad policy name '" + name + "' for run file " + path_);
  }
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteBuffered());
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
  return EndChange();
}

Status RunFile::RemovePolicy(const std::string& name) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgument("bad policy name '" + name + "' for run file " + path_);
  }
  const hid_t file = state_->file.get();
  const std::string dataset_path = std::string(kPolicyGroup) + "/" + name;
  htri_t exists = H5Lexists(file, dataset_path.c_str(), H5P_DEFAULT);
  if (exists < 0) return Hdf5Error("checking dataset " + dataset_path + " in " + path_);
  if (exists == 0) return NotFound("no policy '" + name + "' in run file " + path_);
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(CheckHdf5(H5Ldelete(file, dataset_path.c_str(), H5P_DEFAULT),
                                    "removing dataset " + dataset_path + " in " + path_));
  return EndChange();
}

Result<std::vector<std::string>> RunFile::PolicyNames() const {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  std::vector<std::string> names;
  GroupId group(H5Gopen2(state_->file.get(), kPolicyGroup, H5P_DEFAULT));
  hsize_t index = 0;
  if (!group ||
      H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, CollectPolicyName, &names) < 0) {
    return Hdf5Error("listing /policy in " + path_);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status RunFile::Flush() {
  TEAMSRL_RETURN_IF_ERROR(CheckOpen());
  // A failed background flush buffered its rows again: this writes them, or reports.
  (void)WaitFlushed();
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteBuffered());
  return EndChange();
}

Status RunFile::SetStatus(RunStatus status) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteBuffered());
  TEAMSRL_RETURN_IF_ERROR(
      WriteStringAttribute(state_->file.get(), "status", RunStatusName(status)));
  return EndChange();
}

Status RunFile::SetAttribute(const std::string& name, std::string_view value) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(state_->file.get(), name, value));
  return EndChange();
}

Status RunFile::SetAttribute(const std::string& name, int64_t value) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteInt64Attribute(state_->file.get(), name, value));
  return EndChange();
}

Status RunFile::SetAttribute(const std::string& name, double value) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(WriteFloat64Attribute(state_->file.get(), name, value));
  return EndChange();
}

Result<std::string> RunFile::GetAttribute(const std::string& name) const {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  return ReadStringAttribute(state_->file.get(), name);
}

Result<int64_t> RunFile::GetInt64Attribute(const std::string& name) const {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  return ReadInt64Attribute(state_->file.get(), name);
}

Status RunFile::Finish(RunStatus status) {
  TEAMSRL_RETURN_IF_ERROR(Quiesce());
  TEAMSRL_RETURN_IF_ERROR(BeginChange());
  TEAMSRL_RETURN_IF_ERROR(
      WriteStringAttribute(state_->file.get(), "finished_at", CurrentTimeIso8601()));
  TEAMSRL_RETURN_IF_ERROR(
      WriteStringAttribute(state_->file.get(), "status", RunStatusName(status)));
  return Close(/*begun=*/true);
}

}  // namespace teamsrl::io
