#include "llm/types.h"

#include <algorithm>

#include "core/rng.h"
#include "llm/openai/http_retry.h"

namespace teamsrl::llm {

const std::vector<std::string>& RoleNames() {
  static const std::vector<std::string> names = {"rewriter", "reviewer", "responder"};
  return names;
}

std::string_view RoleName(Role role) { return RoleNames().at(static_cast<int>(role)); }

const std::string& EndpointFor(const LlmConfig& config, Role role) {
  switch (role) {
    case Role::kRewriter:
      return config.rewriter;
    case Role::kReviewer:
      return config.reviewer;
    case Role::kResponder:
      break;
  }
  return config.responder;
}

std::vector<std::string> EndpointTable(const LlmConfig& config) {
  std::vector<std::string> names;
  names.reserve(kNumRoles);
  for (int r = 0; r < kNumRoles; ++r) names.push_back(EndpointFor(config, static_cast<Role>(r)));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

int EndpointIndex(const LlmConfig& config, Role role) {
  const std::vector<std::string> table = EndpointTable(config);
  const auto it = std::find(table.begin(), table.end(), EndpointFor(config, role));
  return static_cast<int>(it - table.begin());
}

bool NoRetryCanFix(int http_status) {
  return http_status >= 400 && !IsRetryableHttpStatus(http_status);
}

SamplingParams SamplingFor(const LlmConfig& config, Role role) {
  const EndpointConfig& e = config.endpoints.at(EndpointFor(config, role));
  SamplingParams p;
  p.temperature = e.temperature;
  p.top_p = e.top_p;
  p.max_tokens = e.max_tokens;
  if (e.backend == Backend::kSim) {
    // The simulator reads neither. Unset, they are the defaults they had before they could
    // be unset, so a simulator endpoint that leaves them out keeps its cache keys.
    p.temperature = e.temperature.value_or(0.0);
    p.top_p = e.top_p.value_or(1.0);
  }
  return p;
}

uint64_t RequestKey::Hash(Role role) const {
  return HashCombine({static_cast<uint64_t>(actor), static_cast<uint64_t>(episode),
                      static_cast<uint64_t>(step), static_cast<uint64_t>(sample),
                      static_cast<uint64_t>(role)});
}

}  // namespace teamsrl::llm
