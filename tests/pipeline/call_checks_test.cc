#include "pipeline/call_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace teamsrl::pipeline {
namespace {

using ::testing::HasSubstr;

CallRecord Failed(StatusCode code, int http_status, std::string error) {
  CallRecord c;
  c.role = 1;
  c.status = static_cast<int32_t>(code);
  c.http_status = http_status;
  c.error = std::move(error);
  return c;
}

TEST(CallChecksTest, OnlyErrorsNoRetryCanFixStopTheRun) {
  EXPECT_TRUE(FirstUnrecoverable({CallRecord{}, Failed(StatusCode::kUnavailable, 503, "busy"),
                                  Failed(StatusCode::kDeadlineExceeded, 0, "timeout")})
                  .ok());
  for (int http : {400, 401, 403, 404}) {
    Status st = FirstUnrecoverable(
        {CallRecord{}, Failed(StatusCode::kInvalidArgument, http, "HTTP " + std::to_string(http))});
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << http;
    EXPECT_THAT(st.message(), HasSubstr("reviewer call failed in a way no retry can fix"));
  }
}

// A replay miss (NotFound, no HTTP answer) would miss again on every later call.
TEST(CallChecksTest, AReplayMissStopsTheRun) {
  Status st = FirstUnrecoverable(
      {Failed(StatusCode::kNotFound, 0, "llm.cache (replay): no cached reply for the reviewer")});
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("no cached reply for the reviewer"));
}

TEST(CallChecksTest, FailedShareAboveTheLimit) {
  CallTally tally;
  tally.Add({CallRecord{}, Failed(StatusCode::kUnavailable, 503, "busy")});
  EXPECT_TRUE(CheckFailedShare(tally, 0.5).ok());  // 50 % is not above 0.5
  EXPECT_EQ(CheckFailedShare(tally, 0.4).code(), StatusCode::kUnavailable);
  EXPECT_THAT(CheckFailedShare(tally, 0.4).message(), HasSubstr("1 of 2 LLM calls (50 %)"));
  EXPECT_TRUE(CheckFailedShare(CallTally{}, 0.0).ok());
}

}  // namespace
}  // namespace teamsrl::pipeline
