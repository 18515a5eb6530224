// Parsing the reviewer's verdict (docs/method.md s.3: reward 1 iff the stripped reply
// is exactly "Not Equal"). Real reviewers add punctuation, change case or explain
// themselves; `env.reward.match` decides how forgiving the parse is.
#pragma once

#include <string_view>

#include "core/status.h"

namespace teamsrl::evol {

enum class MatchMode : int {
  kExact = 0,       // faithful: whitespace-trimmed reply == "Not Equal"
  kNormalized = 1,  // lower-cased, punctuation removed, whitespace folded == "not equal"
};

std::string_view MatchModeName(MatchMode mode);
// "exact" | "normalized"; InvalidArgument otherwise.
Result<MatchMode> MatchModeFromName(std::string_view name);

// True when the reviewer says the second instruction adds information.
bool IsNotEqual(std::string_view reply, MatchMode mode);

}  // namespace teamsrl::evol
