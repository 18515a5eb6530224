#include "evol/review.h"

#include <string>

#include "core/text.h"

namespace teamsrl::evol {

std::string_view MatchModeName(MatchMode mode) {
  return mode == MatchMode::kExact ? "exact" : "normalized";
}

Result<MatchMode> MatchModeFromName(std::string_view name) {
  if (name == "exact") return MatchMode::kExact;
  if (name == "normalized") return MatchMode::kNormalized;
  return InvalidArgument("unknown reward match mode '" + std::string(name) +
                         "' (valid: exact, normalized)");
}

bool IsNotEqual(std::string_view reply, MatchMode mode) {
  switch (mode) {
    case MatchMode::kExact:
      return Trim(reply) == "Not Equal";
    case MatchMode::kNormalized:
      return NormalizeText(reply) == "not equal";
  }
  return false;
}

}  // namespace teamsrl::evol
