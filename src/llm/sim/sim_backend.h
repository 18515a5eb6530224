// `sim`: the embedded default backend (docs/architecture.md s.4). No network: it answers from
// the structured Request::intent (action + texts), since it is not a language model and
// cannot parse prompt templates, while usage is counted on the real `messages`.
//   rewriter  intent = {action, {instruction}}    -> sim_rewriter.h (the model, documented)
//   reviewer  intent = {"", {before, after}}      -> sim_reviewer.h
//   responder intent = {"", {instruction}}        -> sim_responder.h
// Everything is a pure function of (run seed, request key and role, input texts, action):
// no state is carried between calls, so results do not depend on call order, the number
// of ranks or how many requests are in flight. Results on it are simulator results, never
// to be presented as LLM results.
//
// Latency: each request completes `latency_ms * (1 + latency_jitter * v)` after Submit,
// v in [-1, 1] a pure function of the key; Poll sleeps (no spinning) until the earliest
// deadline or max_wait. All requests are in flight at once, like a real server.
// Not thread-safe: one thread drives a Client (docs/architecture.md s.4).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "llm/client.h"
#include "llm/options.h"

namespace teamsrl::llm {

class SimBackend : public Client {
 public:
  SimBackend(EndpointConfig config, uint64_t run_seed);

  void Submit(Request request) override;
  std::vector<Completion> Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override { return pending_.size(); }

  // The completion `request` gets, minus latency: a pure function of the request. A
  // request without a usable intent completes with InvalidArgument.
  Completion Simulate(const Request& request) const;
  // The simulated latency of `request`, in ms.
  double LatencyMs(const Request& request) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Clock::time_point deadline;
    uint64_t seq = 0;
    Clock::time_point submitted;
    Completion completion;
  };
  static bool Later(const Pending& a, const Pending& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
  }

  EndpointConfig config_;
  uint64_t run_seed_;
  uint64_t next_seq_ = 0;
  std::vector<Pending> pending_;  // min-heap on (deadline, seq)
};

}  // namespace teamsrl::llm
