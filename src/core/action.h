// The action catalogue of the instruction MDP (docs/method.md s.3): the six operations,
// their fixed indices (what the HDF5 files store) and their one name table. It is shared
// vocabulary, below every layer that names an operation: the config (`env.actions`), the
// simulator's rewriter (llm/sim) and the MDP's action sets (evol/actions.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace teamsrl {

enum class Action : int {
  kBreadth = 0,
  kAddConstraints = 1,
  kDeepening = 2,
  kConcretizing = 3,
  kIncreaseReasoning = 4,
  kComplicateInput = 5,
};
inline constexpr int kNumActions = 6;

// "breadth", "add_constraints", ...; also the template file stem in prompts_dir.
std::string_view ActionName(Action action);
// The catalogue's names in index order (config, logs, HDF5 enum attribute).
const std::vector<std::string>& ActionNames();
// InvalidArgument naming the unknown name and listing the valid ones.
Result<Action> ActionFromName(std::string_view name);

}  // namespace teamsrl
