#include "evol/actions.h"

#include "core/check.h"

namespace teamsrl::evol {

bool IsInDepth(Action action) { return action != Action::kBreadth; }

ActionSet::ActionSet() {
  for (int i = 0; i < kNumActions; ++i) actions_.push_back(static_cast<Action>(i));
}

Result<ActionSet> ActionSet::FromNames(const std::vector<std::string>& names) {
  if (names.empty()) return InvalidArgument("env.actions: the action list is empty");
  std::vector<Action> actions;
  for (size_t i = 0; i < names.size(); ++i) {
    Result<Action> a = ActionFromName(names[i]);
    if (!a.ok()) return a.status().WithContext("env.actions[" + std::to_string(i) + "]");
    for (Action seen : actions) {
      if (seen == *a) {
        return InvalidArgument("env.actions[" + std::to_string(i) + "]: duplicate action '" +
                               names[i] + "'");
      }
    }
    actions.push_back(*a);
  }
  return ActionSet(std::move(actions));
}

Action ActionSet::at(int index) const {
  TEAMSRL_CHECK(index >= 0 && index < size())
      << "action index " << index << " out of range [0, " << size() << ")";
  return actions_[index];
}

std::optional<int> ActionSet::IndexOf(Action action) const {
  for (int i = 0; i < size(); ++i) {
    if (actions_[i] == action) return i;
  }
  return std::nullopt;
}

std::vector<std::string> ActionSet::Names() const {
  std::vector<std::string> out;
  out.reserve(actions_.size());
  for (Action a : actions_) out.emplace_back(ActionName(a));
  return out;
}

}  // namespace teamsrl::evol
