#include "io/undo_journal.h"

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
#include <numeric>
#include <vector>

#include "io/hdf5_handle.h"
#include "io/run_file.h"
#include "io/run_reader.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAreArray;

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void PutBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);  // same inode
  out << bytes;
}

PlistId JournaledAccess() {
  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
  Status status = UseUndoJournal(fapl.get());
  EXPECT_TRUE(status.ok()) << status.ToString();
  return fapl;
}

std::vector<double> Values(int from, int count) {
  std::vector<double> values(static_cast<size_t>(count));
  std::iota(values.begin(), values.end(), 0.5 + from);
  return values;
}

// Appends `values` to the chunked, compressed 1-D dataset /x (created when missing):
// rewrites of its last, partly filled chunk are what a torn change used to break.
void Append(hid_t file, const std::vector<double>& values) {
  hsize_t rows = 0;
  DatasetId dataset(H5Dopen2(file, "/x", H5P_DEFAULT));
  if (!dataset) {
    H5Eclear2(H5E_DEFAULT);
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = 64;
    DataspaceId space(H5Screate_simple(1, &zero, &unlimited));
    PlistId create(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(create.get(), 1, &chunk);
    H5Pset_shuffle(create.get());
    H5Pset_deflate(create.get(), 4);
    dataset = DatasetId(H5Dcreate2(file, "/x", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                   create.get(), H5P_DEFAULT));
  } else {
    DataspaceId space(H5Dget_space(dataset.get()));
    rows = static_cast<hsize_t>(H5Sget_simple_extent_npoints(space.get()));
  }
  ASSERT_TRUE(dataset);
  hsize_t size = rows + values.size(), count = values.size();
  ASSERT_GE(H5Dset_extent(dataset.get(), &size), 0);
  DataspaceId file_space(H5Dget_space(dataset.get()));
  DataspaceId memory_space(H5Screate_simple(1, &count, nullptr));
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &rows, nullptr, &count, nullptr);
  ASSERT_GE(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                     H5P_DEFAULT, values.data()),
            0);
}

// /x of the file at `path`, read through `fapl`; empty when it cannot be read.
std::vector<double> ReadX(const std::string& path, hid_t fapl) {
  FileId file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl));
  if (!file) return {};
  DatasetId dataset(H5Dopen2(file.get(), "/x", H5P_DEFAULT));
  if (!dataset) return {};
  DataspaceId space(H5Dget_space(dataset.get()));
  std::vector<double> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    return {};
  }
  return values;
}

class UndoJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("run.h5");
    PlistId fapl = JournaledAccess();
    FileId file(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
    ASSERT_TRUE(file) << Hdf5Error("create").ToString();
    Append(file.get(), Values(0, 100));
    ASSERT_TRUE(file.Close("close").ok());
    committed_ = Bytes(path_);
  }

  // A child opens the file, appends 200 rows in 4 writes, adds an attribute, flushes and
  // dies before it commits; with `crash_at` > 0 it dies earlier, in the middle of its
  // crash_at-th write to the file. False when it got to the end (crash_at was too large).
  bool KilledChange(int crash_at) {
    int pipe_fds[2];
    EXPECT_EQ(pipe(pipe_fds), 0);
    pid_t child = fork();
    if (child == 0) {
      close(pipe_fds[0]);
      CrashAtUndoWriteForTest(crash_at);
      PlistId fapl = JournaledAccess();
      FileId file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl.get()));
      if (!file) _exit(2);
      for (int i = 0; i < 4; ++i) {
        Append(file.get(), Values(100 + 50 * i, 50));
        H5Fflush(file.get(), H5F_SCOPE_GLOBAL);
      }
      hsize_t one = 1;
      DataspaceId space(H5Screate_simple(1, &one, nullptr));
      AttributeId a(
          H5Acreate2(file.get(), "late", H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
      a.reset();
      H5Fflush(file.get(), H5F_SCOPE_GLOBAL);
      char byte = 'e';
      if (write(pipe_fds[1], &byte, 1) != 1) _exit(3);
      raise(SIGKILL);
      _exit(4);
    }
    close(pipe_fds[1]);
    char byte = 0;
    const bool reached_end = read(pipe_fds[0], &byte, 1) == 1;
    close(pipe_fds[0]);
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    return !reached_end;
  }

  testing::TempDir dir_;
  std::string path_;
  std::string committed_;  // the file's bytes at its last commit
};

// The writer killed at each write of a change in turn, half-way through that write: the
// file reads as its last commit through the journal without being changed, and rolling
// back restores it byte for byte.
TEST_F(UndoJournalTest, EveryTornChangeRollsBackToTheLastCommit) {
  int crashes = 0;
  for (int crash_at = 1; KilledChange(crash_at); ++crash_at) {
    ++crashes;
    SCOPED_TRACE("killed at write " + std::to_string(crash_at));
    const std::string torn = Bytes(path_);
    PlistId fapl = JournaledAccess();
    EXPECT_THAT(ReadX(path_, fapl.get()), ElementsAreArray(Values(0, 100)));
    EXPECT_EQ(Bytes(path_), torn);  // reading changed nothing
    Result<bool> rolled_back = RollBackUndoJournal(path_);
    ASSERT_TRUE(rolled_back.ok()) << rolled_back.status().ToString();
    EXPECT_TRUE(*rolled_back);
    ASSERT_EQ(Bytes(path_), committed_);
    EXPECT_EQ(std::filesystem::file_size(UndoJournalPath(path_)), 0u);
    EXPECT_THAT(ReadX(path_, H5P_DEFAULT), ElementsAreArray(Values(0, 100)));
  }
  EXPECT_GE(crashes, 8);
  // Killed after its last write: opening for writing rolls back too.
  EXPECT_NE(Bytes(path_), committed_);
  PlistId fapl = JournaledAccess();
  FileId file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl.get()));
  ASSERT_TRUE(file);
  Append(file.get(), Values(100, 20));
  ASSERT_TRUE(file.Close("close").ok());
  EXPECT_FALSE(std::filesystem::exists(UndoJournalPath(path_)));  // a clean close
  EXPECT_THAT(ReadX(path_, H5P_DEFAULT), ElementsAreArray(Values(0, 120)));
}

// A record cut short was being written when the writer died; its overwrite had not begun.
TEST_F(UndoJournalTest, ATornLastRecordIsIgnored) {
  ASSERT_TRUE(KilledChange(3));
  std::ofstream(UndoJournalPath(path_), std::ios::binary | std::ios::app) << std::string(40, 'x');
  ASSERT_TRUE(RollBackUndoJournal(path_).ok());
  EXPECT_EQ(Bytes(path_), committed_);
}

// A journal left beside a file that was since replaced (same inode, other bytes) is not
// applied to it.
TEST_F(UndoJournalTest, AJournalOfAReplacedFileIsIgnored) {
  ASSERT_TRUE(KilledChange(5));
  const std::string other = dir_.File("other.h5");
  {
    PlistId fapl = JournaledAccess();
    FileId file(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
    Append(file.get(), Values(7, 10));
  }
  const std::string replacement = Bytes(other);
  PutBytes(path_, replacement);
  Result<bool> rolled_back = RollBackUndoJournal(path_);
  ASSERT_TRUE(rolled_back.ok()) << rolled_back.status().ToString();
  EXPECT_FALSE(*rolled_back);
  EXPECT_EQ(Bytes(path_), replacement);
  EXPECT_FALSE(std::filesystem::exists(UndoJournalPath(path_)));
}

hssize_t Rows(const std::string& path, const char* dataset_path) {
  FileId file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));  // as h5py opens it
  if (!file) return -1;
  DatasetId dataset(H5Dopen2(file.get(), dataset_path, H5P_DEFAULT));
  if (!dataset) return -1;
  DataspaceId space(H5Dget_space(dataset.get()));
  return H5Sget_simple_extent_npoints(space.get());
}

// A run file commits at every flush (the journal is empty between changes, and gone after
// a close); a run killed in the middle of any write of a flush resumes from its committed
// rows.
TEST_F(UndoJournalTest, ARunFileKilledInAFlushResumes) {
  const std::string run_path = dir_.File("runs/a/run.h5");
  RowCounts committed;
  {
    RootAttributes attributes;
    attributes.run_name = "undo";
    auto run = RunFile::Create(run_path, attributes);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    for (int i = 0; i < 3; ++i) run->AppendIterations({IterationRow{i}});
    ASSERT_TRUE(run->Flush().ok());
    EXPECT_EQ(std::filesystem::file_size(UndoJournalPath(run_path)), 0u);
    committed = run->committed_rows();
  }
  EXPECT_FALSE(std::filesystem::exists(UndoJournalPath(run_path)));
  int crashes = 0;
  for (int crash_at = 1;; ++crash_at) {
    SCOPED_TRACE("killed at write " + std::to_string(crash_at));
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto run = RunFile::OpenForResume(run_path, committed);
      if (!run.ok()) _exit(2);
      for (int i = 3; i < 300; ++i) {
        run->AppendIterations({IterationRow{i}});
        run->AppendSteps({StepRow{i, 0, 0, 0, 1, 0.5, 0.5, run->AddText("step text"), -1, 0}});
      }
      CrashAtUndoWriteForTest(crash_at);
      _exit(run->Flush().ok() ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ++crashes;
    {
      auto run = RunFile::OpenForResume(run_path, committed);
      ASSERT_TRUE(run.ok()) << run.status().ToString();
    }
    ASSERT_EQ(Rows(run_path, "/train/iterations"), 3);
    ASSERT_EQ(Rows(run_path, "/train/steps"), 0);
  }
  EXPECT_GE(crashes, 5);
  EXPECT_EQ(Rows(run_path, "/train/iterations"), 300);
}

}  // namespace
}  // namespace teamsrl::io
