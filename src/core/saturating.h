// Token and query totals that cannot overflow: a sum of counts (some reported by servers,
// some read back from files) clamps at the int64 limits instead of wrapping, which in
// C++ is undefined behaviour (issue 9 item 2). A clamped total still reaches any cap.
#pragma once

#include <cstdint>

namespace teamsrl {

// a + b, clamped to [INT64_MIN, INT64_MAX].
int64_t SaturatingAdd(int64_t a, int64_t b);
// A count that must not be negative: max(v, 0).
int64_t NonNegative(int64_t v);

}  // namespace teamsrl
