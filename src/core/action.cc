#include "core/action.h"

#include "core/check.h"

namespace teamsrl {

const std::vector<std::string>& ActionNames() {
  static const std::vector<std::string> names = {
      "breadth",      "add_constraints",    "deepening",
      "concretizing", "increase_reasoning", "complicate_input"};
  return names;
}

std::string_view ActionName(Action action) {
  const int i = static_cast<int>(action);
  TEAMSRL_CHECK(i >= 0 && i < kNumActions) << "bad action " << i;
  return ActionNames()[i];
}

Result<Action> ActionFromName(std::string_view name) {
  const auto& names = ActionNames();
  for (int i = 0; i < kNumActions; ++i) {
    if (names[i] == name) return static_cast<Action>(i);
  }
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown action '" + std::string(name) + "' (valid: " + valid + ")");
}

}  // namespace teamsrl
