#include "rl/adam.h"

#include <gtest/gtest.h>

#include <cmath>

namespace teamsrl::rl {
namespace {

TEST(Adam, FirstStepHasTheLearningRateAsMagnitude) {
  Adam adam(3, AdamOptions{.learning_rate = 0.01});
  Eigen::VectorXd p = Eigen::VectorXd::Zero(3);
  adam.Step((Eigen::VectorXd(3) << 5.0, -0.1, 0.0).finished(), &p);
  // m_hat = g, v_hat = g^2: step = lr * g / (|g| + eps).
  EXPECT_NEAR(p[0], -0.01, 1e-9);
  EXPECT_NEAR(p[1], 0.01, 1e-7);
  EXPECT_EQ(p[2], 0.0);
  EXPECT_EQ(adam.steps(), 1);
}

TEST(Adam, MatchesAHandComputedSecondStep) {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Adam adam(1, AdamOptions{.learning_rate = lr});
  Eigen::VectorXd p = Eigen::VectorXd::Constant(1, 1.0);
  adam.Step(Eigen::VectorXd::Constant(1, 2.0), &p);
  adam.Step(Eigen::VectorXd::Constant(1, -1.0), &p);
  double m = (1 - b1) * 2.0, v = (1 - b2) * 4.0, x = 1.0;
  x -= lr / (1 - b1) * m / (std::sqrt(v) / std::sqrt(1 - b2) + eps);
  m = b1 * m + (1 - b1) * -1.0;
  v = b2 * v + (1 - b2) * 1.0;
  x -= lr / (1 - b1 * b1) * m / (std::sqrt(v) / std::sqrt(1 - b2 * b2) + eps);
  EXPECT_NEAR(p[0], x, 1e-14);
}

TEST(Adam, MinimisesAQuadratic) {
  Adam adam(2, AdamOptions{.learning_rate = 0.05});
  Eigen::VectorXd p = Eigen::Vector2d(3.0, -2.0);
  const Eigen::Vector2d target(0.5, 1.5);
  for (int i = 0; i < 2000; ++i) adam.Step(2.0 * (p - target), &p);
  EXPECT_LT((p - target).norm(), 1e-3);
}

}  // namespace
}  // namespace teamsrl::rl
