#include "evol/review.h"

#include <string>

#include "core/text.h"

namespace teamsrl::evol {

bool IsNotEqual(std::string_view reply, MatchMode mode) {
  switch (mode) {
    case MatchMode::kExact:
      return Trim(reply) == "Not Equal";
    case MatchMode::kNormalized:
      return NormalizeText(reply) == "not equal";
  }
  return false;
}

bool IsExactVerdict(std::string_view reply) {
  const std::string t = Trim(reply);
  return t == "Equal" || t == "Not Equal";
}

bool MalformedRepliesPastShare(int64_t replies, int64_t malformed, double warn_share) {
  constexpr int64_t kMinReplies = 100;
  return replies >= kMinReplies && static_cast<double>(malformed) / replies > warn_share;
}

}  // namespace teamsrl::evol
