// The asynchronous LLM client: submit many requests, collect completions as they finish.
// One rank drives all its actors through one Client so that every request is in flight
// at once; the LLM, not the CPU, is the bottleneck (docs/architecture.md s.4).
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "llm/types.h"

namespace teamsrl::llm {

class Client {
 public:
  virtual ~Client() = default;

  // Queues a request; never blocks on I/O. The completion carries `request.tag`.
  virtual void Submit(Request request) = 0;

  // Drives I/O and returns the completions that finished, in completion order; waits up
  // to `max_wait` (without burning CPU) when none is ready. Returns an empty vector when
  // nothing is in flight.
  virtual std::vector<Completion> Poll(std::chrono::milliseconds max_wait) = 0;

  // Requests submitted whose completion has not been returned yet.
  virtual size_t InFlight() const = 0;
};

// Submits every request (tags are overwritten with their index) and waits for all of
// them; returns the completions in request order.
std::vector<Completion> RunAll(Client& client, std::vector<Request> requests);

}  // namespace teamsrl::llm
