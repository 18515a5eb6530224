#include "core/saturating.h"

#include <limits>

namespace teamsrl {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

int64_t NonNegative(int64_t v) { return v < 0 ? 0 : v; }

}  // namespace teamsrl
