#include "io/run_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/attributes.h"
#include "io/dataset_writer.h"
#include "io/hdf5_handle.h"
#include "io/run_reader.h"
#include "test_util.h"

namespace teamsrl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const char* const kTables[] = {"/train/iterations", "/train/episodes", "/train/steps",
                               "/llm/calls",        "/budget",         "/dataset/samples"};

RootAttributes TestAttributes() {
  RootAttributes a;
  a.run_name = "unit";
  a.command = "teamsrl train unit.yaml --set run.seed=7";
  a.config_yaml = "run:\n  name: unit\n  seed: 7\n";
  a.seed = 0xFFFFFFFFFFFFFFF0ULL;
  a.world_size = 4;
  a.actors = 8;
  a.hostnames = "node1,node2";
  a.action_names = {"add_constraints", "deepening", "concretizing"};
  a.endpoint_names = {"sim", "gpt"};
  a.reason_names = {"kept", "unchanged", "refusal"};
  return a;
}

// Reads one column with plain HDF5 calls (independent of table.h's reader).
template <typename T>
std::vector<T> ReadColumnC(hid_t file, const char* path, const char* field, hid_t native) {
  DatasetId dataset(H5Dopen2(file, path, H5P_DEFAULT));
  EXPECT_TRUE(dataset) << path;
  DataspaceId space(H5Dget_space(dataset.get()));
  std::vector<T> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (values.empty()) return values;
  TypeId memory(H5Tcreate(H5T_COMPOUND, sizeof(T)));
  H5Tinsert(memory.get(), field, 0, native);
  EXPECT_GE(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0)
      << path << " " << field;
  return values;
}

std::vector<int64_t> Ints(hid_t file, const char* path, const char* field) {
  return ReadColumnC<int64_t>(file, path, field, H5T_NATIVE_INT64);
}
std::vector<double> Doubles(hid_t file, const char* path, const char* field) {
  return ReadColumnC<double>(file, path, field, H5T_NATIVE_DOUBLE);
}

hssize_t Rows(hid_t file, const char* path) {
  DatasetId dataset(H5Dopen2(file, path, H5P_DEFAULT));
  if (!dataset) return -1;
  DataspaceId space(H5Dget_space(dataset.get()));
  return H5Sget_simple_extent_npoints(space.get());
}

// Opens with HDF5's default access properties, as h5py would. Within one process HDF5
// shares the open file and insists on the writer's file locking flag: pass
// `writer_in_this_process` while a RunFile on `path` is open here.
FileId OpenReadOnly(const std::string& path, bool writer_in_this_process = false) {
  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (writer_in_this_process) H5Pset_file_locking(fapl.get(), false, true);
  FileId file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!file) ADD_FAILURE() << Hdf5Error("open " + path).ToString();
  return file;
}

class RunFileTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_.File("runs/unit/run.h5"); }
  RunFile Create() {
    auto run = RunFile::Create(path_, TestAttributes());
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return std::move(run).value();
  }
  testing::TempDir dir_;
  std::string path_;
};

TEST_F(RunFileTest, WritesRootAttributes) {
  { RunFile run = Create(); }
  FileId file = OpenReadOnly(path_);
  ASSERT_TRUE(file);
  const hid_t f = file.get();
  EXPECT_EQ(*ReadInt64Attribute(f, "schema_version"), 1);
  EXPECT_EQ(*ReadStringAttribute(f, "teamsrl_version"), std::string(Version()));
  EXPECT_EQ(*ReadStringAttribute(f, "git_describe"), std::string(GitDescribe()));
  EXPECT_EQ(*ReadStringAttribute(f, "build_simd"), std::string(BuildSimd()));
  EXPECT_EQ(*ReadStringAttribute(f, "command"), "teamsrl train unit.yaml --set run.seed=7");
  EXPECT_EQ(*ReadStringAttribute(f, "config_yaml"), "run:\n  name: unit\n  seed: 7\n");
  EXPECT_EQ(*ReadStringAttribute(f, "run_name"), "unit");
  EXPECT_EQ(*ReadUint64Attribute(f, "seed"), 0xFFFFFFFFFFFFFFF0ULL);
  EXPECT_EQ(*ReadInt64Attribute(f, "world_size"), 4);
  EXPECT_EQ(*ReadInt64Attribute(f, "actors"), 8);
  EXPECT_EQ(*ReadStringAttribute(f, "hostnames"), "node1,node2");
  EXPECT_EQ(*ReadStringAttribute(f, "slurm_job_id"), "");
  EXPECT_EQ(*ReadStringAttribute(f, "slurm_array_task_id"), "");
  EXPECT_THAT(*ReadStringAttribute(f, "started_at"),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
  EXPECT_EQ(*ReadStringAttribute(f, "finished_at"), "");
  EXPECT_EQ(*ReadStringAttribute(f, "status"), "running");

  // The seed keeps all 64 bits as an unsigned integer; strings are variable-length UTF-8.
  AttributeId seed(H5Aopen(f, "seed", H5P_DEFAULT));
  TypeId seed_type(H5Aget_type(seed.get()));
  EXPECT_GT(H5Tequal(seed_type.get(), H5T_STD_U64LE), 0);
  AttributeId status(H5Aopen(f, "status", H5P_DEFAULT));
  TypeId status_type(H5Aget_type(status.get()));
  EXPECT_GT(H5Tis_variable_str(status_type.get()), 0);
  EXPECT_EQ(H5Tget_cset(status_type.get()), H5T_CSET_UTF8);
}

TEST_F(RunFileTest, FromEnvironmentReadsSlurmVariables) {
  ::setenv("SLURM_JOB_ID", "4242", 1);
  ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  RootAttributes a = RootAttributes::FromEnvironment();
  ::unsetenv("SLURM_JOB_ID");
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  EXPECT_EQ(a.slurm_job_id, "4242");
  EXPECT_EQ(a.slurm_array_task_id, "3");
  EXPECT_FALSE(a.started_at.empty());
  EXPECT_EQ(RootAttributes::FromEnvironment().slurm_job_id, "");
}

TEST_F(RunFileTest, CreatesEveryDatasetUpFrontChunkedAndCompressed) {
  RunFile run = Create();
  FileId file = OpenReadOnly(path_, /*writer_in_this_process=*/true);
  ASSERT_TRUE(file);
  for (const char* path : kTables) {
    EXPECT_EQ(Rows(file.get(), path), 0) << path;
    DatasetId dataset(H5Dopen2(file.get(), path, H5P_DEFAULT));
    PlistId create(H5Dget_create_plist(dataset.get()));
    EXPECT_EQ(H5Pget_layout(create.get()), H5D_CHUNKED) << path;
    ASSERT_EQ(H5Pget_nfilters(create.get()), 2) << path;
    unsigned flags, level = 0;
    size_t n_values = 1;
    EXPECT_EQ(H5Pget_filter2(create.get(), 0, &flags, &n_values, &level, 0, nullptr, nullptr),
              H5Z_FILTER_SHUFFLE);
    n_values = 1;
    EXPECT_EQ(H5Pget_filter2(create.get(), 1, &flags, &n_values, &level, 0, nullptr, nullptr),
              H5Z_FILTER_DEFLATE)
        << path;
    EXPECT_EQ(level, 4u);
    TypeId type(H5Dget_type(dataset.get()));
    EXPECT_EQ(H5Tget_class(type.get()), H5T_COMPOUND) << path;
  }
  EXPECT_EQ(Rows(file.get(), "/text/strings"), 0);
  EXPECT_GT(H5Lexists(file.get(), "/policy", H5P_DEFAULT), 0);
}

TEST_F(RunFileTest, FieldNamesFollowTheSchema) {
  { RunFile run = Create(); }
  FileId file = OpenReadOnly(path_);
  auto names = [&](const char* path) {
    DatasetId dataset(H5Dopen2(file.get(), path, H5P_DEFAULT));
    TypeId type(H5Dget_type(dataset.get()));
    std::vector<std::string> out;
    for (int i = 0; i < H5Tget_nmembers(type.get()); ++i) {
      char* name = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
      out.emplace_back(name);
      H5free_memory(name);
    }
    return out;
  };
  EXPECT_THAT(names("/train/iterations"),
              ElementsAre("iteration", "wall_s", "episodes", "steps", "mean_return", "std_return",
                          "min_return", "max_return", "policy_loss", "value_loss", "kl", "entropy",
                          "step_size", "queries", "prompt_tokens", "completion_tokens",
                          "cache_hits", "failed_calls", "limit_wait_s", "malformed_replies"));
  EXPECT_THAT(names("/train/episodes"), ElementsAre("iteration", "actor", "episode", "seed_index",
                                                    "length", "return", "queries"));
  EXPECT_THAT(names("/train/steps"),
              ElementsAre("iteration", "actor", "episode", "t", "action", "reward", "logp",
                          "text_id", "reply_id", "failed"));
  EXPECT_THAT(names("/llm/calls"),
              ElementsAre("iteration", "actor", "role", "status", "http_status", "attempts",
                          "latency_ms", "prompt_tokens", "completion_tokens", "cached", "endpoint",
                          "error_id", "usage_estimated", "limit_wait_ms"));
  EXPECT_THAT(names("/budget"),
              ElementsAre("role", "queries", "prompt_tokens", "completion_tokens", "cost_usd",
                          "limit_queries", "limit_tokens", "limit_cost_usd"));
  EXPECT_THAT(names("/dataset/samples"),
              ElementsAre("sample_id", "seed_index", "round_or_step", "action", "instruction_id",
                          "response_id", "eliminated", "reason"));
}

TEST_F(RunFileTest, EnumNameTablesAreDatasetAttributes) {
  { RunFile run = Create(); }
  FileId file = OpenReadOnly(path_);
  auto names = [&](const char* path, const char* attribute) {
    DatasetId dataset(H5Dopen2(file.get(), path, H5P_DEFAULT));
    return *ReadStringArrayAttribute(dataset.get(), attribute);
  };
  EXPECT_THAT(names("/train/steps", "action_names"),
              ElementsAre("add_constraints", "deepening", "concretizing"));
  EXPECT_THAT(names("/llm/calls", "role_names"), ElementsAre("rewriter", "reviewer", "responder"));
  EXPECT_THAT(names("/llm/calls", "endpoint_names"), ElementsAre("sim", "gpt"));
  std::vector<std::string> statuses = names("/llm/calls", "status_names");
  ASSERT_EQ(statuses.size(), static_cast<size_t>(StatusCode::kCancelled) + 1);
  EXPECT_EQ(statuses[0], "OK");
  EXPECT_EQ(statuses[static_cast<int>(StatusCode::kUnavailable)], "UNAVAILABLE");
  EXPECT_THAT(names("/budget", "role_names"),
              ElementsAre("rewriter", "reviewer", "responder", "total"));
  EXPECT_THAT(names("/dataset/samples", "action_names"),
              ElementsAre("add_constraints", "deepening", "concretizing"));
  EXPECT_THAT(names("/dataset/samples", "reason_names"),
              ElementsAre("kept", "unchanged", "refusal"));
}

TEST_F(RunFileTest, RowsAreBufferedUntilFlushAndReadBack) {
  RunFile run = Create();
  IterationRow it;
  it.iteration = 3;
  it.wall_s = 1.5;
  it.mean_return = -0.25;
  it.kl = 0.01;
  it.failed_calls = 2;
  run.AppendIterations({it});
  EpisodeRow ep{3, 5, 17, 42, 4, 0.75, 8};
  run.AppendEpisodes({ep});
  StepRow step{3, 5, 17, 2, 1, 0.5, -1.1, 10, 11, 1};
  run.AppendSteps({step, step});
  CallRow call{3, 5, 1, static_cast<int32_t>(StatusCode::kUnavailable), 503, 4, 812.5, 100, 20,
               1, 1, 12};
  run.AppendCalls({call});
  SampleRow sample{9, 2, 1, 2, 30, 31, 1, 2};
  run.AppendSamples({sample});

  FileId reader = OpenReadOnly(path_, true);
  EXPECT_EQ(Rows(reader.get(), "/train/steps"), 0);  // buffered
  reader.reset();
  ASSERT_TRUE(run.Flush().ok());
  reader = OpenReadOnly(path_, true);
  const hid_t f = reader.get();
  EXPECT_THAT(Ints(f, "/train/iterations", "iteration"), ElementsAre(3));
  EXPECT_THAT(Doubles(f, "/train/iterations", "wall_s"), ElementsAre(1.5));
  EXPECT_THAT(Doubles(f, "/train/iterations", "mean_return"), ElementsAre(-0.25));
  EXPECT_THAT(Doubles(f, "/train/iterations", "kl"), ElementsAre(0.01));
  EXPECT_THAT(Ints(f, "/train/iterations", "failed_calls"), ElementsAre(2));
  EXPECT_THAT(Ints(f, "/train/episodes", "seed_index"), ElementsAre(42));
  EXPECT_THAT(Doubles(f, "/train/episodes", "return"), ElementsAre(0.75));
  EXPECT_THAT(Ints(f, "/train/episodes", "queries"), ElementsAre(8));
  EXPECT_THAT(Ints(f, "/train/steps", "action"), ElementsAre(1, 1));
  EXPECT_THAT(Doubles(f, "/train/steps", "logp"), ElementsAre(-1.1, -1.1));
  EXPECT_THAT(Ints(f, "/train/steps", "reply_id"), ElementsAre(11, 11));
  EXPECT_THAT(Ints(f, "/train/steps", "failed"), ElementsAre(1, 1));
  EXPECT_THAT(Ints(f, "/llm/calls", "status"), ElementsAre(3));
  EXPECT_THAT(Ints(f, "/llm/calls", "http_status"), ElementsAre(503));
  EXPECT_THAT(Ints(f, "/llm/calls", "attempts"), ElementsAre(4));
  EXPECT_THAT(Doubles(f, "/llm/calls", "latency_ms"), ElementsAre(812.5));
  EXPECT_THAT(Ints(f, "/llm/calls", "cached"), ElementsAre(1));
  EXPECT_THAT(Ints(f, "/llm/calls", "endpoint"), ElementsAre(1));
  EXPECT_THAT(Ints(f, "/llm/calls", "error_id"), ElementsAre(12));
  EXPECT_THAT(Ints(f, "/dataset/samples", "reason"), ElementsAre(2));
  EXPECT_THAT(Ints(f, "/dataset/samples", "response_id"), ElementsAre(31));
  reader.reset();

  run.AppendSteps({step});
  ASSERT_TRUE(run.Flush().ok());
  reader = OpenReadOnly(path_, true);
  EXPECT_EQ(Rows(reader.get(), "/train/steps"), 3);
  EXPECT_EQ(Rows(reader.get(), "/train/iterations"), 1);
}

TEST_F(RunFileTest, DefaultRowsUseMinusOneForMissingTextIds) {
  StepRow step;
  CallRow call;
  SampleRow sample;
  EXPECT_EQ(step.text_id, -1);
  EXPECT_EQ(step.reply_id, -1);
  EXPECT_EQ(call.error_id, -1);
  EXPECT_EQ(sample.instruction_id, -1);
}

TEST_F(RunFileTest, TextWithNulIsStoredWholeAsTheDataSetHasIt) {
  // HDF5 variable-length strings end at NUL: "before\0after" used to read back "before".
  RunFile run = Create();
  const std::string text("before\0after", 12);
  EXPECT_EQ(run.AddText(text), 0);
  ASSERT_TRUE(run.Flush().ok());
  EXPECT_EQ(*ReadText(path_, 0),
            "before\xEF\xBF\xBD"
            "after");
  SampleLine line;
  line.output = text;
  EXPECT_EQ(ParseSampleLine(SampleLineJson(line, "step"), "step")->output, *ReadText(path_, 0));
}

TEST_F(RunFileTest, TextIdsAreSequentialAndStable) {
  RunFile run = Create();
  EXPECT_EQ(run.AddText("alpha"), 0);
  EXPECT_EQ(run.AddText("beta"), 1);
  EXPECT_EQ(run.AddText("beta"), 2);  // no dedup: ids depend only on the call sequence
  ASSERT_TRUE(run.Flush().ok());
  EXPECT_EQ(run.AddText(""), 3);
  EXPECT_EQ(run.AddText("ünïcödé ✓"), 4);
  EXPECT_EQ(run.text_count(), 5);
  ASSERT_TRUE(run.Flush().ok());

  FileId file = OpenReadOnly(path_, true);
  DatasetId dataset(H5Dopen2(file.get(), "/text/strings", H5P_DEFAULT));
  TypeId type(H5Dget_type(dataset.get()));
  EXPECT_GT(H5Tis_variable_str(type.get()), 0);
  EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8);
  std::vector<char*> texts(5);
  ASSERT_GE(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), 0);
  EXPECT_STREQ(texts[0], "alpha");
  EXPECT_STREQ(texts[2], "beta");
  EXPECT_STREQ(texts[3], "");
  EXPECT_STREQ(texts[4], "ünïcödé ✓");
  DataspaceId space(H5Dget_space(dataset.get()));
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, texts.data());
  EXPECT_EQ(*ReadText(path_, 1), "beta");
}

TEST_F(RunFileTest, WriteBudgetReplacesTheTable) {
  RunFile run = Create();
  std::vector<BudgetRow> rows;
  rows.reserve(4);
  for (int32_t role = 0; role < 4; ++role) rows.push_back({role, 10, 100, 50, 0.5, 0, 0, 0.0});
  ASSERT_TRUE(run.WriteBudget(rows).ok());
  for (BudgetRow& row : rows) row.queries = 20;
  rows[3].cost_usd = 2.0;
  rows[3].limit_cost_usd = 5.0;
  ASSERT_TRUE(run.WriteBudget(rows).ok());
  ASSERT_TRUE(run.Flush().ok());
  FileId file = OpenReadOnly(path_, true);
  EXPECT_THAT(Ints(file.get(), "/budget", "role"), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Ints(file.get(), "/budget", "queries"), ElementsAre(20, 20, 20, 20));
  EXPECT_THAT(Doubles(file.get(), "/budget", "cost_usd"), ElementsAre(0.5, 0.5, 0.5, 2.0));
  EXPECT_THAT(Doubles(file.get(), "/budget", "limit_cost_usd"), ElementsAre(0, 0, 0, 5.0));
  file.reset();
  ASSERT_TRUE(run.WriteBudget({rows[3]}).ok());
  ASSERT_TRUE(run.Flush().ok());
  file = OpenReadOnly(path_, true);
  EXPECT_THAT(Ints(file.get(), "/budget", "role"), ElementsAre(3));
}

TEST_F(RunFileTest, PolicyRoundTrip) {
  RunFile run = Create();
  std::vector<double> params = {0.5, -1.25, 3.0e-300, 1e300};
  std::map<std::string, std::string> attrs = {
      {"type", "gaussian_argmax"}, {"hidden", "64,64"}, {"observation_size", "12"}};
  ASSERT_TRUE(run.WritePolicy("snapshot_000001", {1.0}, {}).ok());
  ASSERT_TRUE(run.WritePolicy("final", {9.0, 9.0}, {{"type", "old"}}).ok());
  ASSERT_TRUE(run.WritePolicy("final", params, attrs).ok());  // replaces
  ASSERT_TRUE(run.WritePolicy("empty", {}, {}).ok());

  // Readable while the writer is still open (WritePolicy flushes).
  auto back = ReadPolicy(path_, "final");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, params);
  EXPECT_EQ(*ReadPolicyAttributes(path_, "final"), attrs);
  EXPECT_TRUE(ReadPolicy(path_, "empty")->empty());
  EXPECT_THAT(*ListPolicies(path_), ElementsAre("empty", "final", "snapshot_000001"));

  auto missing = ReadPolicy(path_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("'nope'"));
  EXPECT_THAT(missing.status().message(), HasSubstr(path_));

  EXPECT_EQ(run.WritePolicy("a/b", params, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run.WritePolicy("", params, {}).code(), StatusCode::kInvalidArgument);

  FileId file = OpenReadOnly(path_, true);
  DatasetId dataset(H5Dopen2(file.get(), "/policy/final", H5P_DEFAULT));
  TypeId type(H5Dget_type(dataset.get()));
  EXPECT_GT(H5Tequal(type.get(), H5T_IEEE_F64LE), 0);
}

TEST_F(RunFileTest, StatusAttributesAndFinish) {
  RunFile run = Create();
  ASSERT_TRUE(run.SetAttribute("note", "hello").ok());
  ASSERT_TRUE(run.SetAttribute("count", 3).ok());
  ASSERT_TRUE(run.SetAttribute("rate", 0.5).ok());
  ASSERT_TRUE(run.SetStatus(RunStatus::kPreempted).ok());
  EXPECT_EQ(ReadRunInfo(path_)->status, "preempted");
  for (const std::string& name : RunStatusNames()) {  // the name table round-trips
    EXPECT_EQ(RunStatusName(*RunStatusFromName(name)), name);
  }
  EXPECT_FALSE(RunStatusFromName("bogus").has_value());
  run.AppendIterations({IterationRow{}});
  ASSERT_TRUE(run.Finish(RunStatus::kCompleted).ok());
  EXPECT_FALSE(run.is_open());
  EXPECT_EQ(run.Flush().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(run.SetStatus(RunStatus::kFailed).code(), StatusCode::kFailedPrecondition);

  FileId file = OpenReadOnly(path_);
  const hid_t f = file.get();
  EXPECT_EQ(*ReadStringAttribute(f, "status"), "completed");
  EXPECT_THAT(*ReadStringAttribute(f, "finished_at"),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
  EXPECT_EQ(*ReadStringAttribute(f, "note"), "hello");
  EXPECT_EQ(*ReadInt64Attribute(f, "count"), 3);
  EXPECT_EQ(*ReadFloat64Attribute(f, "rate"), 0.5);
  EXPECT_EQ(Rows(f, "/train/iterations"), 1);  // Finish flushed the buffer
}

TEST_F(RunFileTest, DestructorFlushesAndLeavesStatusRunning) {
  {
    RunFile run = Create();
    run.AppendSteps({StepRow{}, StepRow{}});
    run.AddText("kept");
  }
  FileId file = OpenReadOnly(path_);
  EXPECT_EQ(Rows(file.get(), "/train/steps"), 2);
  EXPECT_EQ(Rows(file.get(), "/text/strings"), 1);
  EXPECT_EQ(*ReadStringAttribute(file.get(), "status"), "running");
}

TEST_F(RunFileTest, MoveKeepsTheFileOpen) {
  RunFile first = Create();
  RunFile second = std::move(first);
  EXPECT_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(second.is_open());
  second.AppendIterations({IterationRow{}});
  ASSERT_TRUE(second.Finish(RunStatus::kCompleted).ok());
}

TEST_F(RunFileTest, CreateReplacesAnExistingFile) {
  {
    RunFile run = Create();
    run.AppendIterations({IterationRow{}});
  }
  { RunFile run = Create(); }
  FileId file = OpenReadOnly(path_);
  EXPECT_EQ(Rows(file.get(), "/train/iterations"), 0);
}

// A child process writes 5 iterations, flushing after each, and dies by SIGKILL without
// closing the file; the parent then reads all 5 rows.
TEST_F(RunFileTest, SurvivesSigkill) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto run = RunFile::Create(path_, TestAttributes());
    if (!run.ok()) _exit(2);
    for (int i = 0; i < 5; ++i) {
      IterationRow row;
      row.iteration = i;
      row.mean_return = 0.1 * i;
      run->AppendIterations({row});
      run->AppendSteps(
          {StepRow{i, 0, 0, 0, 1, 0.0, 0.0, run->AddText("text " + std::to_string(i)), -1, 0}});
      if (!run->Flush().ok()) _exit(3);
    }
    run->AppendIterations({IterationRow{}});  // buffered, lost: never flushed
    raise(SIGKILL);
    _exit(4);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exit code " << WEXITSTATUS(wait_status);
  ASSERT_EQ(WTERMSIG(wait_status), SIGKILL);

  FileId file = OpenReadOnly(path_);  // default access properties, as h5py would
  ASSERT_TRUE(file) << Hdf5Error("reopening " + path_).ToString();
  EXPECT_THAT(Ints(file.get(), "/train/iterations", "iteration"), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Doubles(file.get(), "/train/iterations", "mean_return"),
              ElementsAre(0.0, 0.1, 0.2, 0.30000000000000004, 0.4));
  EXPECT_THAT(Ints(file.get(), "/train/steps", "text_id"), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(*ReadStringAttribute(file.get(), "status"), "running");
  file.reset();
  auto text = ReadText(path_, 4);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "text 4");
}

// StartFlush writes in the background: rows appended meanwhile go to the next flush, text
// ids run on across it, and committed_rows() counts what the background flush wrote.
TEST_F(RunFileTest, StartFlushWritesInTheBackground) {
  RunFile run = Create();
  for (int i = 0; i < 3; ++i) run.AppendIterations({IterationRow{i}});
  EXPECT_EQ(run.AddText("a"), 0);
  ASSERT_TRUE(run.StartFlush().ok());
  for (int i = 3; i < 5; ++i) run.AppendIterations({IterationRow{i}});
  EXPECT_EQ(run.AddText("b"), 1);
  EXPECT_EQ(run.text_count(), 2);
  EXPECT_EQ(run.committed_rows().iterations, 3);
  EXPECT_EQ(run.committed_rows().texts, 1);
  ASSERT_TRUE(run.StartFlush().ok());
  ASSERT_TRUE(run.WaitFlushed().ok());
  EXPECT_EQ(run.committed_rows().iterations, 5);
  FileId file = OpenReadOnly(path_, /*writer_in_this_process=*/true);
  EXPECT_THAT(Ints(file.get(), "/train/iterations", "iteration"), ElementsAre(0, 1, 2, 3, 4));
  file.reset();
  ASSERT_TRUE(run.Finish(RunStatus::kCompleted).ok());
  auto text = ReadText(path_, 1);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "b");
}

// A background flush that fails (here: the file may not grow, RLIMIT_FSIZE) reports it at
// the next wait and commits none of its rows, so a checkpoint taken then stays valid: the
// run, killed, resumes from the committed rows. (HDF5 1.10 cannot retry a failed H5Fflush,
// "slist already enabled", so the file handle is not reused.) In a child, for the limit.
TEST_F(RunFileTest, AFailedBackgroundFlushCommitsNothingAndResumes) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    auto run = RunFile::Create(path_, TestAttributes());
    if (!run.ok()) _exit(2);
    run->AppendIterations({IterationRow{0}});
    if (!run->Flush().ok()) _exit(3);
    rlimit limit{};
    getrlimit(RLIMIT_FSIZE, &limit);
    const rlimit tight{static_cast<rlim_t>(std::filesystem::file_size(path_) + 1024),
                       limit.rlim_max};
    if (setrlimit(RLIMIT_FSIZE, &tight) != 0) _exit(4);
    for (int i = 1; i < 5000; ++i) {
      run->AppendIterations({IterationRow{i}});
      run->AppendSteps(
          {StepRow{i, 0, 0, 0, 1, 0.5, 0.5, run->AddText(std::string(40, 'x')), -1, 0}});
    }
    if (!run->StartFlush().ok()) _exit(5);  // the failure shows at the wait
    Status waited = run->WaitFlushed();
    if (waited.ok() || waited.message().find("File too large") == std::string::npos) _exit(6);
    const RowCounts committed = run->committed_rows();
    if (committed.iterations != 1 || committed.steps != 0 || committed.texts != 0) _exit(7);
    raise(SIGKILL);
    _exit(8);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exit code " << WEXITSTATUS(wait_status);
  RowCounts keep;
  keep.iterations = 1;
  auto run = RunFile::OpenForResume(path_, keep);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  run->AppendIterations({IterationRow{1}});
  ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
  FileId file = OpenReadOnly(path_);
  EXPECT_THAT(Ints(file.get(), "/train/iterations", "iteration"), ElementsAre(0, 1));
  EXPECT_EQ(Rows(file.get(), "/train/steps"), 0);
}

// A reader in another process opens the file while the writer is live, with HDF5's
// default (locking) access properties, then again after the writer finished.
TEST_F(RunFileTest, ReadableWhileLive) {
  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(to_parent[0]);
    close(to_child[1]);
    auto run = RunFile::Create(path_, TestAttributes());
    if (!run.ok()) _exit(2);
    for (int i = 0; i < 3; ++i) run->AppendIterations({IterationRow{i}});
    if (!run->Flush().ok()) _exit(3);
    char byte = 'r';
    if (write(to_parent[1], &byte, 1) != 1) _exit(4);
    if (read(to_child[0], &byte, 1) != 1) _exit(5);
    for (int i = 3; i < 5; ++i) run->AppendIterations({IterationRow{i}});
    if (!run->Finish(RunStatus::kCompleted).ok()) _exit(6);
    _exit(0);
  }
  close(to_parent[1]);
  close(to_child[0]);
  char byte = 0;
  ASSERT_EQ(read(to_parent[0], &byte, 1), 1);
  {
    FileId file = OpenReadOnly(path_);
    EXPECT_TRUE(file) << Hdf5Error("opening live " + path_).ToString();
    if (file) {
      EXPECT_THAT(Ints(file.get(), "/train/iterations", "iteration"), ElementsAre(0, 1, 2));
      EXPECT_EQ(*ReadStringAttribute(file.get(), "status"), "running");
    }
  }
  ASSERT_EQ(write(to_child[1], &byte, 1), 1);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  ASSERT_EQ(WEXITSTATUS(wait_status), 0);
  close(to_parent[0]);
  close(to_child[1]);
  FileId file = OpenReadOnly(path_);
  EXPECT_THAT(Ints(file.get(), "/train/iterations", "iteration"), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(*ReadStringAttribute(file.get(), "status"), "completed");
}

TEST_F(RunFileTest, UnwritableDirectoryNamesThePath) {
  const std::string blocker = dir_.File("blocker");
  std::ofstream(blocker) << "a regular file where a directory should be";
  const std::string path = blocker + "/sub/run.h5";
  auto run = RunFile::Create(path, TestAttributes());
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr(path));
  EXPECT_THAT(run.status().message(), HasSubstr("cannot create directory"));
}

TEST_F(RunFileTest, UncreatableFileNamesThePathAndHdf5Reason) {
  const std::string path = dir_.File("is_a_directory");
  std::filesystem::create_directories(path);
  auto run = RunFile::Create(path, TestAttributes());
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("cannot create run file " + path));
  EXPECT_THAT(run.status().message(), HasSubstr("is a directory"));
}

// A symbolic link at the path (planted, or left by a user) is replaced, never written
// through: the target keeps its bytes, dangling or not.
TEST_F(RunFileTest, CreateReplacesALinkNotItsTarget) {
  const std::string victim = dir_.File("victim");
  std::ofstream(victim) << "precious";
  const std::string linked = dir_.File("linked.h5"), dangling = dir_.File("dangling.h5");
  std::filesystem::create_symlink(victim, linked);
  std::filesystem::create_symlink(dir_.File("created_by_link"), dangling);
  for (const std::string& path : {linked, dangling}) {
    auto run = RunFile::Create(path, TestAttributes());
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    ASSERT_TRUE(run->Finish(RunStatus::kCompleted).ok());
    EXPECT_FALSE(std::filesystem::is_symlink(path));
  }
  std::ifstream in(victim);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("created_by_link")));
}

}  // namespace
}  // namespace teamsrl::io
