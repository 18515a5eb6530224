// The action catalogue of the instruction MDP (docs/method.md s.3) and the
// configurable subset a run uses (`env.actions`).
//
// Catalogue indices are fixed (0 breadth ... 5 complicate_input); they are what the HDF5
// files store and what the name table lists. A run may use a subset or another order:
// ActionSet maps the policy's action index (0..size-1) to a catalogue Action.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace teamsrl::evol {

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
// The catalogue's names in index order (logs, HDF5 enum attribute).
const std::vector<std::string>& ActionNames();
// InvalidArgument naming the unknown name and listing the valid ones.
Result<Action> ActionFromName(std::string_view name);
// breadth creates a new instruction; the other five rewrite the current one in depth.
bool IsInDepth(Action action);

class ActionSet {
 public:
  // The whole catalogue in index order.
  ActionSet();
  // From `env.actions`: non-empty, known names, no duplicates; errors name the offender.
  static Result<ActionSet> FromNames(const std::vector<std::string>& names);

  int size() const { return static_cast<int>(actions_.size()); }
  // The catalogue action behind the policy's index; checks 0 <= index < size().
  Action at(int index) const;
  // The policy index of a catalogue action, if the set contains it.
  std::optional<int> IndexOf(Action action) const;
  bool Contains(Action action) const { return IndexOf(action).has_value(); }
  const std::vector<Action>& actions() const { return actions_; }
  // The names in policy-index order (the run's own name table).
  std::vector<std::string> Names() const;

 private:
  explicit ActionSet(std::vector<Action> actions) : actions_(std::move(actions)) {}
  std::vector<Action> actions_;
};

}  // namespace teamsrl::evol
