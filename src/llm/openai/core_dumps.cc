#include "llm/openai/core_dumps.h"

#include <sys/resource.h>

#include <cstdlib>
#include <string_view>

namespace teamsrl::llm {

void DisableCoreDumpsWhileHoldingAKey() {
  const char* asked = std::getenv("TEAMSRL_CORE_DUMPS");
  if (asked != nullptr && std::string_view(asked) == "1") return;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_CORE, &limit) != 0 || limit.rlim_cur == 0) return;
  limit.rlim_cur = 0;
  (void)::setrlimit(RLIMIT_CORE, &limit);
}

}  // namespace teamsrl::llm
