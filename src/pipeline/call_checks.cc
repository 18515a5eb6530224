#include "pipeline/call_checks.h"

#include <fmt/format.h>

#include "llm/types.h"

namespace teamsrl::pipeline {

Status FirstUnrecoverable(const std::vector<CallRecord>& calls) {
  for (const CallRecord& c : calls) {
    // A replay miss (NotFound without an HTTP answer: llm/caching_client.h) misses the same
    // way on every later call, like a 404.
    const bool replay_miss =
        c.status == static_cast<int32_t>(StatusCode::kNotFound) && c.http_status == 0;
    if (c.status == 0 || (!llm::NoRetryCanFix(c.http_status) && !replay_miss)) continue;
    return FailedPrecondition(
        fmt::format("{} call failed in a way no retry can fix, stopping the run: {}",
                    llm::RoleName(static_cast<llm::Role>(c.role)), c.error));
  }
  return OkStatus();
}

void CallTally::Add(const std::vector<CallRecord>& records) {
  calls += static_cast<int64_t>(records.size());
  for (const CallRecord& c : records) failed += c.status != 0 ? 1 : 0;
}

Status CheckFailedShare(const CallTally& tally, double max_failed_share) {
  if (tally.calls == 0) return OkStatus();
  const double share = static_cast<double>(tally.failed) / static_cast<double>(tally.calls);
  if (share <= max_failed_share) return OkStatus();
  return Unavailable(fmt::format(
      "{} of {} LLM calls ({:.0f} %) failed after their retries, more than "
      "llm.max_failed_share ({:g}); stopping the run (the run file's /llm/calls has each "
      "error)",
      tally.failed, tally.calls, 100.0 * share, max_failed_share));
}

}  // namespace teamsrl::pipeline
