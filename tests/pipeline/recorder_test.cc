#include "pipeline/recorder.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "../io/test_util.h"

namespace teamsrl::pipeline {
namespace {

TEST(RecorderTest, NegativeAndHugeTokenCountsNeitherLowerNorWrapTheTotals) {
  io::testing::TempDir dir;
  Config config;
  config.llm.endpoints = {{"sim", llm::EndpointConfig{}}};
  Result<io::RunFile> file =
      io::RunFile::Create(dir.File("run.h5"), MakeRootAttributes(config, RunContext{}));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Recorder recorder(config, std::move(file).value());
  CallRecord call;
  call.prompt_tokens = -5000000;  // what a hostile server reported, from an old cache
  call.completion_tokens = 10;
  recorder.AddCall(0, 0, call);
  EXPECT_EQ(recorder.totals().prompt_tokens[0], 0);
  call.prompt_tokens = INT64_MAX;
  call.completion_tokens = INT64_MAX;
  recorder.AddCall(0, 0, call);
  recorder.AddCall(0, 0, call);
  EXPECT_EQ(recorder.totals().prompt_tokens[0], INT64_MAX);
  EXPECT_EQ(recorder.totals().completion_tokens[0], INT64_MAX);
  const CallSums sums = recorder.TakeSums();
  EXPECT_EQ(sums.prompt_tokens, INT64_MAX);
  EXPECT_EQ(sums.queries, 3);
  EXPECT_TRUE(recorder.Flush().ok());
}

TEST(RecorderTest, CachedCallsAreSummedApartForTheCost) {
  io::testing::TempDir dir;
  Config config;
  config.llm.endpoints = {{"sim", llm::EndpointConfig{}}};
  Result<io::RunFile> file =
      io::RunFile::Create(dir.File("run.h5"), MakeRootAttributes(config, RunContext{}));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Recorder recorder(config, std::move(file).value());
  CallRecord call;
  call.role = 1;
  call.prompt_tokens = 100;
  call.completion_tokens = 7;
  recorder.AddCall(0, 0, call);
  call.cached = 1;
  recorder.AddCall(0, 0, call);
  EXPECT_EQ(recorder.totals().queries[1], 2);
  EXPECT_EQ(recorder.totals().prompt_tokens[1], 200);
  EXPECT_EQ(recorder.totals().cached_prompt_tokens[1], 100);
  EXPECT_EQ(recorder.totals().cached_completion_tokens[1], 7);
  EXPECT_EQ(recorder.totals().cached_prompt_tokens[0], 0);
}

}  // namespace
}  // namespace teamsrl::pipeline
