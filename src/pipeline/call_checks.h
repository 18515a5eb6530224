// When failed LLM calls stop a run (`llm.max_failed_share`). Transient faults are retried
// by the backend and a few failed calls are recorded and survived; but a call no retry can
// fix (a wrong key: 401/403, a wrong model or path: 404, a rejected parameter: 400) would
// fail the same way on every later call, so it stops the run at once, and so does a
// share of failed calls above the limit.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "pipeline/actor_record.h"

namespace teamsrl::pipeline {

// The first call in `calls` that failed with an HTTP status no retry can fix, or missed
// the cache in replay mode, as the run's error (its message names the endpoint, the HTTP
// status and the server's message, or the request that missed); OK when there is none.
Status FirstUnrecoverable(const std::vector<CallRecord>& calls);

// Counts of an iteration's or chunk's calls.
struct CallTally {
  int64_t calls = 0;
  int64_t failed = 0;
  void Add(const std::vector<CallRecord>& records);
};

// Unavailable naming the share when failed / calls exceeds `max_failed_share`.
Status CheckFailedShare(const CallTally& tally, double max_failed_share);

}  // namespace teamsrl::pipeline
