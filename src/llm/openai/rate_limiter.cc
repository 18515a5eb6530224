#include "llm/openai/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace teamsrl::llm {

RateLimiter::RateLimiter(double rpm, double tpm, double share) {
  share = std::clamp(share, 1e-9, 1.0);
  req_rate_ = rpm > 0.0 ? rpm * share * kSafety / 60.0 : 0.0;
  tok_rate_ = tpm > 0.0 ? tpm * share * kSafety / 60.0 : 0.0;
  requests_.rate = req_rate_;
  requests_.capacity = std::max(1.0, 0.1 * req_rate_);
  tokens_.rate = tok_rate_;
  tokens_.capacity = std::max(1.0, tok_rate_);
}

void RateLimiter::Bucket::Refill(double now_s) {
  if (!started) {  // starts full: the first request goes out at once
    started = true;
    level = capacity;
    last_s = now_s;
    return;
  }
  if (now_s > last_s) {
    level = std::min(capacity, level + (now_s - last_s) * rate);
    last_s = now_s;
  }
}

double RateLimiter::Bucket::Need(double amount) const { return std::min(amount, capacity); }

double RateLimiter::Bucket::ReadyAt(double amount, double now_s) {
  if (rate <= 0.0) return now_s;
  Refill(now_s);
  const double missing = Need(amount) - level;
  return missing <= 1e-9 ? now_s : now_s + missing / rate;
}

bool RateLimiter::TryAcquire(int64_t tokens, double now_s) {
  const double t = static_cast<double>(std::max<int64_t>(tokens, 0));
  if (requests_.ReadyAt(1.0, now_s) > now_s || tokens_.ReadyAt(t, now_s) > now_s) return false;
  if (requests_.rate > 0.0) requests_.level -= 1.0;
  if (tokens_.rate > 0.0) tokens_.level -= t;
  return true;
}

double RateLimiter::NextAvailable(int64_t tokens, double now_s) {
  const double t = static_cast<double>(std::max<int64_t>(tokens, 0));
  return std::max(requests_.ReadyAt(1.0, now_s), tokens_.ReadyAt(t, now_s));
}

void RateLimiter::Settle(int64_t charged, int64_t used, double now_s) {
  if (tokens_.rate <= 0.0) return;
  tokens_.Refill(now_s);
  const double refund = static_cast<double>(std::max<int64_t>(charged, 0)) -
                        static_cast<double>(std::max<int64_t>(used, 0));
  tokens_.level = std::min(tokens_.capacity, tokens_.level + refund);
}

int64_t CompletionEstimate::For(int64_t max_tokens) const {
  const int64_t cap = std::max<int64_t>(max_tokens, 1);
  if (mean_ < 0.0) return std::min(cap, kFirstGuess);
  return std::clamp<int64_t>(std::llround(mean_), 1, cap);
}

void CompletionEstimate::Observe(int64_t completion_tokens) {
  const double x = static_cast<double>(std::max<int64_t>(completion_tokens, 0));
  mean_ = mean_ < 0.0 ? x : (1.0 - kWeight) * mean_ + kWeight * x;
}

}  // namespace teamsrl::llm
