#include "rl/gae.h"

#include <gtest/gtest.h>

#include <cmath>

namespace teamsrl::rl {
namespace {

TEST(Gae, ThreeStepEpisodeMatchesClosedForm) {
  const double g = 0.995, l = 0.97;
  Eigen::VectorXd r(3), v(3), m(3);
  r << 1.0, 0.0, 2.0;
  v << 0.5, -0.25, 0.75;
  m << 1.0, 1.0, 0.0;
  const GaeResult out = ComputeGae(r, v, m, g, l);
  const double d0 = r[0] + g * v[1] - v[0];
  const double d1 = r[1] + g * v[2] - v[1];
  const double d2 = r[2] - v[2];
  EXPECT_NEAR(out.advantages[2], d2, 1e-15);
  EXPECT_NEAR(out.advantages[1], d1 + g * l * d2, 1e-15);
  EXPECT_NEAR(out.advantages[0], d0 + g * l * d1 + g * l * g * l * d2, 1e-15);
  EXPECT_NEAR(out.returns[2], r[2], 1e-15);
  EXPECT_NEAR(out.returns[1], r[1] + g * r[2], 1e-15);
  EXPECT_NEAR(out.returns[0], r[0] + g * r[1] + g * g * r[2], 1e-15);
}

TEST(Gae, EpisodesDoNotLeakIntoEachOther) {
  const double g = 0.9, l = 0.5;
  Eigen::VectorXd r(5), v(5), m(5);
  r << 1, 2, 3, 4, 5;
  v << 0.1, 0.2, 0.3, 0.4, 0.5;
  m << 1, 0, 1, 1, 0;  // episodes [0,1] and [2,4]
  const GaeResult out = ComputeGae(r, v, m, g, l);
  // Episode 1 alone.
  const double d1 = r[1] - v[1];
  const double d0 = r[0] + g * v[1] - v[0];
  EXPECT_NEAR(out.advantages[1], d1, 1e-15);
  EXPECT_NEAR(out.advantages[0], d0 + g * l * d1, 1e-15);
  EXPECT_NEAR(out.returns[1], 2.0, 1e-15);
  EXPECT_NEAR(out.returns[0], 1.0 + g * 2.0, 1e-15);
  // Episode 2 alone equals the same computation on its slice.
  const GaeResult tail = ComputeGae(r.tail(3), v.tail(3), m.tail(3), g, l);
  EXPECT_EQ(out.advantages.tail(3), tail.advantages);
  EXPECT_EQ(out.returns.tail(3), tail.returns);
  EXPECT_NEAR(out.returns[2], 3 + g * 4 + g * g * 5, 1e-13);
}

TEST(Gae, NormalisationUsesTheUnbiasedStd) {
  Eigen::VectorXd a(4);
  a << 1, 2, 3, 6;
  const Eigen::VectorXd z = NormalizeAdvantages(a);
  const double mean = 3.0;
  const double std = std::sqrt((4.0 + 1.0 + 0.0 + 9.0) / 3.0);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(z[i], (a[i] - mean) / std, 1e-15);
  // Degenerate inputs do not produce NaN.
  EXPECT_EQ(NormalizeAdvantages(Eigen::VectorXd::Constant(3, 2.0)), Eigen::VectorXd::Zero(3));
  EXPECT_EQ(NormalizeAdvantages(Eigen::VectorXd::Constant(1, 2.0)), Eigen::VectorXd::Zero(1));
}

}  // namespace
}  // namespace teamsrl::rl
