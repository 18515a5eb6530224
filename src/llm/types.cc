#include "llm/types.h"

#include "core/rng.h"

namespace teamsrl::llm {

const std::vector<std::string>& RoleNames() {
  static const std::vector<std::string> names = {"rewriter", "reviewer", "responder"};
  return names;
}

std::string_view RoleName(Role role) { return RoleNames().at(static_cast<int>(role)); }

SamplingParams SamplingFor(const LlmConfig& config, Role role) {
  const std::string& name = role == Role::kRewriter   ? config.rewriter
                            : role == Role::kReviewer ? config.reviewer
                                                      : config.responder;
  const EndpointConfig& e = config.endpoints.at(name);
  SamplingParams p;
  p.temperature = e.temperature;
  p.top_p = e.top_p;
  p.max_tokens = e.max_tokens;
  return p;
}

uint64_t RequestKey::Hash(Role role) const {
  return HashCombine({static_cast<uint64_t>(actor), static_cast<uint64_t>(episode),
                      static_cast<uint64_t>(step), static_cast<uint64_t>(sample),
                      static_cast<uint64_t>(role)});
}

}  // namespace teamsrl::llm
