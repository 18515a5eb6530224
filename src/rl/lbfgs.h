// A small unconstrained L-BFGS minimiser with a strong-Wolfe line search (bracketing and
// cubic-interpolation zoom, Nocedal & Wright alg. 3.5/3.6). It stands in for scipy's
// fmin_l_bfgs_b as pytorch-trpo calls it for the value net (maxiter=25, m=10,
// pgtol=1e-5, factr=1e7, line search ftol=1e-3 / gtol=0.9, first trial step 1/||d||);
// the iterates are not bit-identical to scipy's but follow the same rules.
#pragma once

#include <Eigen/Dense>
#include <cfloat>
#include <functional>

namespace teamsrl::rl {

// Returns f(x) and writes the gradient into *grad (already sized to x.size()).
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd* grad)>;

struct LbfgsOptions {
  int max_iterations = 25;                           // scipy maxiter
  int history = 10;                                  // scipy m: curvature pairs kept
  double gradient_tol = 1e-5;                        // scipy pgtol: stop when max_i |g_i| <= this
  double relative_decrease_tol = 1e7 * DBL_EPSILON;  // scipy factr * machine epsilon
  int max_evaluations = 15000;                       // scipy maxfun
  int max_line_search_evaluations = 20;
  double c1 = 1e-3;  // sufficient decrease (Armijo)
  double c2 = 0.9;   // curvature
};

enum class LbfgsStop {
  kGradientTol,
  kRelativeDecrease,
  kMaxIterations,
  kMaxEvaluations,
  kLineSearchFailed,  // no decrease along the search direction
};
const char* LbfgsStopName(LbfgsStop stop);

struct LbfgsResult {
  Eigen::VectorXd x;
  double f = 0.0;
  Eigen::VectorXd grad;
  int iterations = 0;
  int evaluations = 0;
  LbfgsStop stop = LbfgsStop::kMaxIterations;
};

LbfgsResult MinimizeLbfgs(const Objective& objective, const Eigen::VectorXd& x0,
                          const LbfgsOptions& options = {});

}  // namespace teamsrl::rl
