// RunFile::OpenForResume and the calls a resume from a checkpoint needs (run_file.h):
// committed_rows, truncation of every table and of /text/strings, policies, attributes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/attributes.h"
#include "io/hdf5_handle.h"
#include "io/run_commit.h"
#include "io/run_file.h"
#include "io/run_reader.h"
#include "io/table.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RootAttributes ResumeAttributes() {
  RootAttributes a;
  a.run_name = "resume";
  a.action_names = {"breadth", "deepening"};
  a.endpoint_names = {"sim"};
  a.reason_names = {"kept", "empty"};
  a.started_at = "2024-05-01T12:00:00Z";  // fixed: the two files compared must agree
  return a;
}

// Batch k of a deterministic writer: what one iteration appends (texts first, so the
// rows' text ids follow), as an uninterrupted run and a resumed one both write it.
void AppendBatch(RunFile& run, int k) {
  IterationRow it;
  it.iteration = k;
  it.mean_return = 0.5 * k;
  it.queries = 3;
  run.AppendIterations({it});
  std::vector<EpisodeRow> episodes;
  std::vector<StepRow> steps;
  std::vector<CallRow> calls;
  for (int actor = 0; actor < 3; ++actor) {
    episodes.push_back(EpisodeRow{k, actor, k, 0, 2, 0.25 * actor, 1});
    for (int t = 0; t < 2; ++t) {
      const int64_t text =
          run.AddText("instruction " + std::to_string(k) + "/" + std::to_string(actor) + "/" +
                      std::to_string(t) + std::string(static_cast<size_t>(50 + k), 'x'));
      const int64_t reply = run.AddText(t == 0 ? "Not Equal" : "Equal");
      steps.push_back(StepRow{k, actor, k, t, t, 1.0 - t, -0.1 * t, text, reply, 0});
    }
    calls.push_back(CallRow{k, actor, 0, 0, 0, 1, 12.5, 100 + k, 20, 0, 0, -1, 0});
  }
  run.AppendEpisodes(episodes);
  run.AppendSteps(steps);
  run.AppendCalls(calls);
  run.AppendSamples(
      {SampleRow{k, k, 0, 1, run.AddText("sample " + std::to_string(k)), run.AddText(""), 0, 0}});
  (void)run.WriteBudget({BudgetRow{0, 3 * (k + 1), 0, 0, 0.0, 0, 0, 0.0}});
}

// Every byte of dataset `path` as stored (read with its own file type).
std::vector<unsigned char> RawBytes(const std::string& file_path, const char* path) {
  FileId file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  EXPECT_TRUE(file) << file_path;
  DatasetId dataset(H5Dopen2(file.get(), path, H5P_DEFAULT));
  EXPECT_TRUE(dataset) << path;
  TypeId type(H5Dget_type(dataset.get()));
  DataspaceId space(H5Dget_space(dataset.get()));
  const hssize_t rows = H5Sget_simple_extent_npoints(space.get());
  std::vector<unsigned char> bytes(static_cast<size_t>(rows) * H5Tget_size(type.get()));
  if (rows > 0) {
    EXPECT_GE(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), 0);
  }
  return bytes;
}

std::vector<std::string> AllTexts(const std::string& file_path) {
  FileId file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  auto texts = ReadStrings(file.get(), kTextPath);
  EXPECT_TRUE(texts.ok()) << texts.status().ToString();
  return texts.ok() ? *texts : std::vector<std::string>{};
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* const kResumeTables[] = {kIterationsPath, kEpisodesPath, kStepsPath,
                                     kCallsPath,      kBudgetPath,   kSamplesPath};

class RunResumeTest : public ::testing::Test {
 protected:
  // The file of a run that appends batches [0, batches) and finishes, never interrupted.
  std::string Uninterrupted(int batches) {
    std::string path = dir_.File("uninterrupted/run.h5");
    auto run = RunFile::Create(path, ResumeAttributes());
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    for (int k = 0; k < batches; ++k) {
      AppendBatch(*run, k);
      EXPECT_TRUE(run->Flush().ok());
      if (k == 1) {
        EXPECT_TRUE(run->WritePolicy("snapshot_000002", {1.0, 2.0}, {}).ok());
      }
      if (k == 3) {
        EXPECT_TRUE(run->WritePolicy("snapshot_000004", {4.0}, {}).ok());
      }
    }
    EXPECT_TRUE(run->WritePolicy("final", {9.0}, {{"type", "x"}}).ok());
    EXPECT_TRUE(run->Finish(RunStatus::kCompleted).ok());
    return path;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.File("resumed/run.h5");
};

TEST_F(RunResumeTest, CommittedRowsAreWhatTheLastFlushWrote) {
  auto run = RunFile::Create(path_, ResumeAttributes());
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->committed_rows(), RowCounts{});
  AppendBatch(*run, 0);
  EXPECT_EQ(run->committed_rows(), RowCounts{});  // buffered only
  ASSERT_TRUE(run->Flush().ok());
  EXPECT_EQ(run->committed_rows(), (RowCounts{1, 3, 6, 3, 1, 14}));
  AppendBatch(*run, 1);
  ASSERT_TRUE(run->SetAttribute("note", "x").ok());  // writes no rows
  EXPECT_EQ(run->committed_rows(), (RowCounts{1, 3, 6, 3, 1, 14}));
  ASSERT_TRUE(run->Flush().ok());
  EXPECT_EQ(run->committed_rows(), (RowCounts{2, 6, 12, 6, 2, 28}));
}

// The checkpoint is taken after batch 1; the writer goes on to flush batches 2 and 3 and a
// snapshot, buffers batch 4 and is killed. The resumed writer drops what came after the
// checkpoint, writes batches 2..5 as the uninterrupted run did, and the two files' tables
// and texts are equal byte for byte.
TEST_F(RunResumeTest, ResumeMatchesAnUninterruptedRun) {
  const std::string reference = Uninterrupted(6);
  int counts_pipe[2];
  ASSERT_EQ(pipe(counts_pipe), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(counts_pipe[0]);
    auto run = RunFile::Create(path_, ResumeAttributes());
    if (!run.ok()) _exit(2);
    RowCounts checkpoint;
    for (int k = 0; k < 4; ++k) {
      AppendBatch(*run, k);
      if (!run->Flush().ok()) _exit(3);
      if (k == 1 && !run->WritePolicy("snapshot_000002", {1.0, 2.0}, {}).ok()) _exit(3);
      if (k == 1) checkpoint = run->committed_rows();
      if (k == 3 && !run->WritePolicy("snapshot_000004", {-1.0}, {}).ok()) _exit(3);
    }
    AppendBatch(*run, 4);  // buffered, lost
    if (write(counts_pipe[1], &checkpoint, sizeof(checkpoint)) != sizeof(checkpoint)) _exit(4);
    raise(SIGKILL);
    _exit(5);
  }
  close(counts_pipe[1]);
  RowCounts keep;
  ASSERT_EQ(read(counts_pipe[0], &keep, sizeof(keep)), static_cast<ssize_t>(sizeof(keep)));
  close(counts_pipe[0]);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status));
  EXPECT_EQ(keep, (RowCounts{2, 6, 12, 6, 2, 28}));

  auto run = RunFile::OpenForResume(path_, keep);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->committed_rows(), keep);
  EXPECT_EQ(run->text_count(), keep.texts);
  auto policies = run->PolicyNames();
  ASSERT_TRUE(policies.ok());
  EXPECT_THAT(*policies, ElementsAre("snapshot_000002", "snapshot_000004"));
  ASSERT_TRUE(run->RemovePolicy("snapshot_000004").ok());  // written after the checkpoint
  EXPECT_EQ(run->RemovePolicy("snapshot_000004").code(), StatusCode::kNotFound);
  EXPECT_THAT(*run->PolicyNames(), ElementsAre("snapshot_000002"));
  for (int k = 2; k < 6; ++k) {
    AppendBatch(*run, k);
    ASSERT_TRUE(run->Flush().ok());
    if (k == 3) {
      ASSERT_TRUE(run->WritePolicy("snapshot_000004", {4.0}, {}).ok());
    }
  }
  ASSERT_TRUE(run->WritePolicy("final", {9.0}, {{"type", "x"}}).ok());
  ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());

  for (const char* table : kResumeTables) {
    EXPECT_EQ(RawBytes(path_, table), RawBytes(reference, table)) << table;
  }
  const std::vector<std::string> texts = AllTexts(path_);
  EXPECT_EQ(texts, AllTexts(reference));
  EXPECT_EQ(texts.size(), 6u * 14u);
  EXPECT_EQ(*ListPolicies(path_), *ListPolicies(reference));
  EXPECT_EQ(*ReadPolicy(path_, "snapshot_000004"), std::vector<double>{4.0});
  RunInfo info = *ReadRunInfo(path_);
  EXPECT_EQ(info.status, "completed");
  EXPECT_EQ(info.root.action_names, ResumeAttributes().action_names);  // enum tables kept
  std::optional<CommitRecord> record = ReadCommit(path_);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->epoch, 1);
  EXPECT_EQ(record->state, WriterState::kClosed);
  EXPECT_EQ(record->rows, (RowCounts{6, 18, 36, 18, 6, 84}));
}

TEST_F(RunResumeTest, ResumeResetsTheFinishedStateAndKeepsTheFileInPlace) {
  {
    auto run = RunFile::Create(path_, ResumeAttributes());
    ASSERT_TRUE(run.ok());
    AppendBatch(*run, 0);
    ASSERT_TRUE(run->SetAttribute("error", "rank 1: boom").ok());
    ASSERT_TRUE(run->SetAttribute("stop_reason", "budget.max_queries").ok());
    ASSERT_TRUE(run->Finish(RunStatus::kFailed).ok());
  }
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  auto run = RunFile::OpenForResume(path_, RowCounts{1, 3, 6, 3, 1, 14});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  struct stat after {};
  ASSERT_EQ(::stat(path_.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // appended to, not replaced
  EXPECT_EQ(*run->GetAttribute("status"), "running");
  EXPECT_EQ(*run->GetAttribute("finished_at"), "");
  EXPECT_EQ(run->GetAttribute("error").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(run->GetAttribute("stop_reason").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*run->GetAttribute("run_name"), "resume");
  EXPECT_EQ(*run->GetInt64Attribute("schema_version"), kSchemaVersion);
  // SetAttribute replaces an existing attribute, also with another type.
  ASSERT_TRUE(run->SetAttribute("resumed_at_iteration", 1).ok());
  ASSERT_TRUE(run->SetAttribute("resumed_at_iteration", 7).ok());
  EXPECT_EQ(*run->GetInt64Attribute("resumed_at_iteration"), 7);
  ASSERT_TRUE(run->SetAttribute("resumed_at_iteration", "seven").ok());
  EXPECT_EQ(*run->GetAttribute("resumed_at_iteration"), "seven");
  EXPECT_EQ(run->GetInt64Attribute("resumed_at_iteration").status().code(),
            StatusCode::kInvalidArgument);
  run->AddText("after");
  ASSERT_TRUE(run->Flush().ok());
  EXPECT_EQ(*ReadText(path_, 14), "after");
}

TEST_F(RunResumeTest, AFileWithFewerRowsThanTheCheckpointIsRefusedUnchanged) {
  {
    auto run = RunFile::Create(path_, ResumeAttributes());
    ASSERT_TRUE(run.ok());
    AppendBatch(*run, 0);
  }
  const std::string bytes = FileBytes(path_);
  const std::string record = FileBytes(CommitPath(path_));
  auto steps = RunFile::OpenForResume(path_, RowCounts{1, 3, 7, 3, 1, 14});
  ASSERT_FALSE(steps.ok());
  EXPECT_EQ(steps.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(steps.status().message(), HasSubstr("/train/steps"));
  EXPECT_THAT(steps.status().message(), HasSubstr("does not belong to this checkpoint"));
  EXPECT_THAT(steps.status().message(), HasSubstr(path_));
  auto texts = RunFile::OpenForResume(path_, RowCounts{1, 3, 6, 3, 1, 15});
  ASSERT_FALSE(texts.ok());
  EXPECT_THAT(texts.status().message(), HasSubstr("/text/strings"));
  auto negative = RunFile::OpenForResume(path_, RowCounts{-1, 0, 0, 0, 0, 0});
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FileBytes(path_), bytes);
  EXPECT_EQ(FileBytes(CommitPath(path_)), record);
}

TEST_F(RunResumeTest, BadFilesAreClearErrors) {
  auto missing = RunFile::OpenForResume(dir_.File("missing.h5"), RowCounts{});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.h5"));

  const std::string text = dir_.File("text.h5");
  std::ofstream(text) << "not hdf5 at all";
  auto not_hdf5 = RunFile::OpenForResume(text, RowCounts{});
  EXPECT_EQ(not_hdf5.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(not_hdf5.status().message(), HasSubstr("text.h5"));

  auto directory = RunFile::OpenForResume(dir_.path(), RowCounts{});
  EXPECT_FALSE(directory.ok());

  {
    auto run = RunFile::Create(path_, ResumeAttributes());
    ASSERT_TRUE(run.ok());
    for (int k = 0; k < 4; ++k) AppendBatch(*run, k);
    ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
  }
  const std::string whole = FileBytes(path_);
  for (size_t keep : {whole.size() / 2, whole.size() - 100, size_t{600}}) {
    const std::string cut = dir_.File("cut_" + std::to_string(keep) + ".h5");
    std::ofstream(cut, std::ios::binary) << whole.substr(0, keep);
    auto truncated = RunFile::OpenForResume(cut, RowCounts{});
    ASSERT_FALSE(truncated.ok()) << keep;
    EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss) << truncated.status().ToString();
    EXPECT_THAT(truncated.status().message(), HasSubstr(cut));
  }

  const std::string plain = dir_.File("plain.h5");  // HDF5, but not a run file
  { FileId f(H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)); }
  auto foreign = RunFile::OpenForResume(plain, RowCounts{});
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);
}

// Strings dropped by a resume give their space in HDF5's global heap back: ten resumes
// that each drop and rewrite half of the strings leave the file about as large as one,
// and the strings read back are the new ones.
TEST_F(RunResumeTest, TruncatingTextsDoesNotLeakTheHeap) {
  const std::string big(1000, 'a');
  {
    auto run = RunFile::Create(path_, ResumeAttributes());
    ASSERT_TRUE(run.ok());
    for (int i = 0; i < 1000; ++i) run->AddText(big + std::to_string(i));
    ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
  }
  std::vector<uintmax_t> sizes;
  for (int cycle = 0; cycle < 10; ++cycle) {
    auto run = RunFile::OpenForResume(path_, RowCounts{0, 0, 0, 0, 0, 500});
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    for (int i = 500; i < 1000; ++i) {
      run->AddText(std::string(1000, static_cast<char>('b' + cycle)) + std::to_string(i));
    }
    ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
    sizes.push_back(std::filesystem::file_size(path_));
  }
  // Each cycle drops 500 KB of strings; a leak would add that much per cycle.
  EXPECT_LT(sizes.back() - sizes.front(), 250u * 1000u) << sizes.front() << " " << sizes.back();
  const std::vector<std::string> texts = AllTexts(path_);
  ASSERT_EQ(texts.size(), 1000u);
  EXPECT_EQ(texts[499], big + "499");
  EXPECT_EQ(texts[500], std::string(1000, 'k') + "500");
  EXPECT_EQ(texts[999], std::string(1000, 'k') + "999");
}

}  // namespace
}  // namespace teamsrl::io
