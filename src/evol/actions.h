// The configurable subset of the action catalogue (core/action.h) a run uses
// (`env.actions`). A run may use a subset or another order: ActionSet maps the policy's
// action index (0..size-1) to a catalogue Action.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/status.h"

namespace teamsrl::evol {

// The catalogue itself is core's (one definition); evol's users name it as evol::Action.
using ::teamsrl::Action;
using ::teamsrl::ActionFromName;
using ::teamsrl::ActionName;
using ::teamsrl::ActionNames;
using ::teamsrl::kNumActions;
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
