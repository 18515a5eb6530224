#include "core/saturating.h"

#include <gtest/gtest.h>

#include <limits>

namespace teamsrl {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(SaturatingTest, AddsAndClampsAtTheLimits) {
  EXPECT_EQ(SaturatingAdd(2, 3), 5);
  EXPECT_EQ(SaturatingAdd(-2, 3), 1);
  EXPECT_EQ(SaturatingAdd(kMax, 1), kMax);
  EXPECT_EQ(SaturatingAdd(kMax, kMax), kMax);
  EXPECT_EQ(SaturatingAdd(kMin, -1), kMin);
  EXPECT_EQ(SaturatingAdd(kMax, kMin), -1);
}

TEST(SaturatingTest, NonNegative) {
  EXPECT_EQ(NonNegative(-5000000), 0);
  EXPECT_EQ(NonNegative(0), 0);
  EXPECT_EQ(NonNegative(kMax), kMax);
}

}  // namespace
}  // namespace teamsrl
