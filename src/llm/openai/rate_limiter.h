// Token-bucket rate limits of one endpoint on one rank: requests per minute (`rpm`) and
// tokens per minute (`tpm`), 0 = unlimited.
//
// Cluster-wide limits: `rpm`/`tpm` in the config are limits of the whole run (one API key,
// one account). Each rank gets `share` of them, normally share = 1 / world_size, so N ranks
// that each keep to their share never exceed the limit together. The split is static:
// a rank that idles does not lend its share to others (simple and safe; the cost is
// throughput when ranks are unevenly loaded).
//
// Smoothness: the request bucket holds at most max(1, 0.1 s of the rate) requests and the
// token bucket max(one request's worth, 1 s of the rate) tokens, so a burst never exceeds
// a small fraction of a window. Both run at kSafety (98 %) of the share: a server that
// counts requests in a sliding 60-s window then never sees more than its limit, even
// with network jitter and the one request the full bucket holds at start.
//
// Tokens are charged when a request starts: prompt tokens (estimated) plus the completion
// tokens expected (CompletionEstimate below, or max_tokens with `tpm_charge: max_tokens`).
// Settle() corrects the charge by the reply's usage. Charging max_tokens alone made a
// 200k-tpm endpoint with max_tokens 1024 admit under 200 requests a minute when the
// replies used a tenth of that (issue 10, item 13). A request larger than the token
// bucket is admitted when the bucket is full and leaves it in debt, so it cannot starve.
//
// Time is passed in (seconds on any monotonic clock), so tests use a fake clock.
#pragma once

#include <cstdint>

namespace teamsrl::llm {

class RateLimiter {
 public:
  // Fraction of the configured rate actually used (see above).
  static constexpr double kSafety = 0.98;

  // `rpm`, `tpm`: cluster-wide limits, 0 = unlimited; `share` in (0, 1]: this rank's part.
  RateLimiter(double rpm, double tpm, double share);

  bool unlimited() const { return req_rate_ <= 0.0 && tok_rate_ <= 0.0; }

  // Takes one request and `tokens` tokens if both buckets allow it at `now_s`.
  bool TryAcquire(int64_t tokens, double now_s);
  // The earliest time >= now_s at which TryAcquire(tokens, .) will succeed.
  double NextAvailable(int64_t tokens, double now_s);
  // A request charged `charged` tokens used `used`: returns the difference to the token
  // bucket (up to its capacity), or takes the excess from it (possibly into debt).
  void Settle(int64_t charged, int64_t used, double now_s);

  double request_rate_per_s() const { return req_rate_; }
  double token_rate_per_s() const { return tok_rate_; }

 private:
  struct Bucket {
    double rate = 0.0;      // per second; 0 = unlimited
    double capacity = 0.0;  // max level
    double level = 0.0;     // may go negative (debt) for oversized requests
    double last_s = 0.0;
    bool started = false;
    void Refill(double now_s);
    double Need(double amount) const;  // level required before taking `amount`
    double ReadyAt(double amount, double now_s);
  };

  double req_rate_;
  double tok_rate_;
  Bucket requests_;
  Bucket tokens_;
};

// The completion tokens a request of one role is expected to use: before any reply
// min(max_tokens, kFirstGuess), then an exponential moving average of the replies'
// completion tokens (weight kWeight for the newest), never above the request's max_tokens.
class CompletionEstimate {
 public:
  static constexpr int64_t kFirstGuess = 256;
  static constexpr double kWeight = 0.2;

  int64_t For(int64_t max_tokens) const;
  void Observe(int64_t completion_tokens);

 private:
  double mean_ = -1.0;  // < 0: no reply yet
};

}  // namespace teamsrl::llm
