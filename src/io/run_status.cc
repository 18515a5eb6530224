#include "io/run_status.h"

namespace teamsrl::io {

const std::vector<std::string>& RunStatusNames() {
  static const std::vector<std::string> names = {"running", "completed", "failed",
                                                 "budget_exhausted", "preempted"};
  return names;
}

std::string_view RunStatusName(RunStatus status) {
  return RunStatusNames().at(static_cast<size_t>(status));
}

std::optional<RunStatus> RunStatusFromName(std::string_view name) {
  const std::vector<std::string>& names = RunStatusNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<RunStatus>(i);
  }
  return std::nullopt;
}

}  // namespace teamsrl::io
