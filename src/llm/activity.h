// Live counters of this process's LLM traffic, for progress output only (app/progress.h):
// the router counts requests in flight and failed, the openai backend the time its queue
// head waits on the rate limiter. Written by the thread that drives the clients and read
// by the progress line's ticker thread, hence atomics. Never part of a run's results:
// those come from the completions (llm/types.h) in the run file.
#pragma once

#include <atomic>
#include <cstdint>

namespace teamsrl::llm {

struct ActivitySnapshot {
  int64_t in_flight = 0;
  int64_t failed = 0;         // calls that failed after their retries
  double limit_wait_s = 0.0;  // time endpoints held a ready request back for rpm/tpm
  int64_t limited_now = 0;    // endpoints holding a request back right now
};

class Activity {
 public:
  // The process's counters (one rank = one process).
  static Activity& Process();

  void Submitted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void Completed(bool ok);
  void AddLimitWait(double seconds);
  // An endpoint starts (+1) or stops (-1) holding a request back.
  void Limited(int delta) { limited_now_.fetch_add(delta, std::memory_order_relaxed); }
  ActivitySnapshot Snapshot() const;

 private:
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> limit_wait_us_{0};
  std::atomic<int64_t> limited_now_{0};
};

}  // namespace teamsrl::llm
