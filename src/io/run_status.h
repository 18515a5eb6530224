// The run file's root attribute `status` (docs/architecture.md s.7): what a run
// says of itself. One name table, used by the run file, the readers and the logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace teamsrl::io {

enum class RunStatus {
  kRunning = 0,      // written at creation; a killed run keeps it
  kCompleted,        // every iteration, seed or round done
  kFailed,           // stopped by an error (the `error` attribute says which)
  kBudgetExhausted,  // stopped cleanly by a budget cap (`stop_reason` says which)
  kPreempted,        // stopped cleanly by a signal, resumable
};

std::string_view RunStatusName(RunStatus status);
// In enum order.
const std::vector<std::string>& RunStatusNames();
std::optional<RunStatus> RunStatusFromName(std::string_view name);

}  // namespace teamsrl::io
