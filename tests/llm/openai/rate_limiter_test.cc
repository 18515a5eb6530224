#include "llm/openai/rate_limiter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <deque>

namespace teamsrl::llm {
namespace {

// Drives the limiter on a fake clock as a greedy client would: every request starts at
// NextAvailable. Returns the start times.
std::vector<double> GreedyStarts(RateLimiter& rl, int n, int64_t tokens, double t0 = 0.0) {
  std::vector<double> starts;
  double now = t0;
  while (static_cast<int>(starts.size()) < n) {
    if (rl.TryAcquire(tokens, now)) {
      starts.push_back(now);
    } else {
      const double next = rl.NextAvailable(tokens, now);
      EXPECT_GT(next, now);
      now = next;
    }
  }
  return starts;
}

// The most starts in any window of `w` seconds (a server's sliding-window count).
int MaxInWindow(const std::vector<double>& starts, double w) {
  int best = 0;
  std::deque<double> q;
  for (double t : starts) {
    q.push_back(t);
    while (q.front() <= t - w) q.pop_front();
    best = std::max(best, static_cast<int>(q.size()));
  }
  return best;
}

TEST(RateLimiterTest, UnlimitedNeverWaits) {
  RateLimiter rl(0, 0, 1.0);
  EXPECT_TRUE(rl.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.TryAcquire(100000, 0.0));
}

TEST(RateLimiterTest, RequestsPerMinuteAreSmoothAndNeverExceedAWindow) {
  RateLimiter rl(600, 0, 1.0);
  const std::vector<double> starts = GreedyStarts(rl, 1200, 0);
  const double rate = (starts.size() - 1) / (starts.back() - starts.front()) * 60.0;
  EXPECT_NEAR(rate, 600.0 * RateLimiter::kSafety, 1.0);
  EXPECT_LE(MaxInWindow(starts, 60.0), 600);
  EXPECT_LE(MaxInWindow(starts, 3.0), 30);
  EXPECT_LE(MaxInWindow(starts, 1.0), 11);  // no bursts: at most a 1-request bucket
}

TEST(RateLimiterTest, ShareSplitsTheClusterLimit) {
  RateLimiter rl(600, 0, 0.25);  // 4 ranks
  const std::vector<double> starts = GreedyStarts(rl, 300, 0);
  const double rate = (starts.size() - 1) / (starts.back() - starts.front()) * 60.0;
  EXPECT_NEAR(rate, 150.0 * RateLimiter::kSafety, 0.5);
}

TEST(RateLimiterTest, TokensPerMinute) {
  RateLimiter rl(0, 60000, 1.0);  // 1000 tokens/s at share 1
  const std::vector<double> starts = GreedyStarts(rl, 200, 100);
  // After the first second's bucket (~10 requests) is spent, the steady rate.
  const double tokens_per_s = 100.0 * (starts.size() - 21) / (starts.back() - starts[20]);
  EXPECT_EQ(starts[8], 0.0);  // the bucket holds one second's worth: 9 x 100 of 980
  EXPECT_GT(starts[9], 0.0);
  EXPECT_NEAR(tokens_per_s, 1000.0 * RateLimiter::kSafety, 10.0);
}

TEST(RateLimiterTest, OversizedRequestGoesWhenBucketIsFullAndLeavesDebt) {
  RateLimiter rl(0, 600, 1.0);           // 9.8 tokens/s, bucket ~9.8 tokens
  EXPECT_TRUE(rl.TryAcquire(100, 0.0));  // full bucket admits it
  EXPECT_FALSE(rl.TryAcquire(1, 0.0));
  // Debt of ~90 tokens plus one: ~9.3 s at 9.8 tokens/s.
  EXPECT_NEAR(rl.NextAvailable(1, 0.0), (100.0 - rl.token_rate_per_s() + 1.0) / 9.8, 0.05);
}

TEST(RateLimiterTest, BothLimitsApply) {
  RateLimiter rl(60, 6000, 1.0);  // 1 req/s and 100 tok/s (x 0.98)
  // 10-token requests: the request limit binds.
  std::vector<double> a = GreedyStarts(rl, 20, 10);
  EXPECT_NEAR((a.back() - a.front()) / 19.0, 1.0 / 0.98, 0.01);
  // 500-token requests: the token limit binds (5 s each).
  RateLimiter rl2(60, 6000, 1.0);
  std::vector<double> b = GreedyStarts(rl2, 5, 500);
  EXPECT_NEAR((b.back() - b[1]) / 3.0, 500.0 / 98.0, 0.05);
}

TEST(RateLimiterTest, IdleTimeDoesNotBuildABurst) {
  RateLimiter rl(600, 0, 1.0);
  EXPECT_TRUE(rl.TryAcquire(0, 0.0));
  // After an hour idle only the small bucket is available.
  int burst = 0;
  while (rl.TryAcquire(0, 3600.0)) ++burst;
  EXPECT_EQ(burst, 1);
}

TEST(RateLimiterTest, SettleRefundsTheUnusedChargeAndTakesTheExcess) {
  RateLimiter rl(0, 6000, 1.0);  // 98 tokens/s, bucket 98 tokens
  ASSERT_TRUE(rl.TryAcquire(98, 0.0));
  EXPECT_NEAR(rl.NextAvailable(49, 0.0), 0.5, 1e-9);
  rl.Settle(/*charged=*/98, /*used=*/49, 0.0);  // half came back: 49 tokens free now
  EXPECT_TRUE(rl.TryAcquire(49, 0.0));
  EXPECT_FALSE(rl.TryAcquire(1, 0.0));
  // A reply that used more than charged leaves debt: 98 extra tokens = 1 s more.
  rl.Settle(/*charged=*/0, /*used=*/98, 0.0);
  EXPECT_NEAR(rl.NextAvailable(1, 0.0), (98.0 + 1.0) / 98.0, 1e-9);
  // A refund never fills the bucket past its capacity.
  RateLimiter full(0, 6000, 1.0);
  full.Settle(1000, 0, 0.0);
  EXPECT_TRUE(full.TryAcquire(98, 0.0));
  EXPECT_FALSE(full.TryAcquire(1, 0.0));
}

TEST(RateLimiterTest, SettleOnUnlimitedIsANoOp) {
  RateLimiter rl(60, 0, 1.0);
  rl.Settle(0, 1000000, 0.0);
  EXPECT_TRUE(rl.TryAcquire(1000000, 0.0));
}

TEST(CompletionEstimateTest, FirstGuessThenMovingAverageCappedByMaxTokens) {
  CompletionEstimate e;
  EXPECT_EQ(e.For(2048), CompletionEstimate::kFirstGuess);
  EXPECT_EQ(e.For(100), 100);
  e.Observe(40);
  EXPECT_EQ(e.For(2048), 40);
  e.Observe(90);  // 0.8 * 40 + 0.2 * 90 = 50
  EXPECT_EQ(e.For(2048), 50);
  EXPECT_EQ(e.For(30), 30);
  e.Observe(0);  // 0.8 * 50 = 40
  EXPECT_EQ(e.For(2048), 40);
  CompletionEstimate zero;
  zero.Observe(0);
  EXPECT_EQ(zero.For(2048), 1);  // never charges nothing for a completion
}

}  // namespace
}  // namespace teamsrl::llm
