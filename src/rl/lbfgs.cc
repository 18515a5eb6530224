#include "rl/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <utility>
#include <vector>

#include "core/check.h"

namespace teamsrl::rl {
namespace {

struct Point {
  double a = 0.0;      // step length
  double f = 0.0;      // objective
  double slope = 0.0;  // directional derivative g . d
  Eigen::VectorXd x;
  Eigen::VectorXd g;
};

// Minimiser of the cubic interpolating (a, fa, da) and (b, fb, db), safeguarded to stay
// well inside the interval; bisection when the cubic is unusable.
double CubicStep(const Point& p, const Point& q) {
  const double lo = std::min(p.a, q.a);
  const double hi = std::max(p.a, q.a);
  const double mid = 0.5 * (lo + hi);
  const double d1 = p.slope + q.slope - 3.0 * (p.f - q.f) / (p.a - q.a);
  const double disc = d1 * d1 - p.slope * q.slope;
  if (!(disc >= 0.0)) return mid;
  const double d2 = std::copysign(std::sqrt(disc), q.a - p.a);
  const double denom = q.slope - p.slope + 2.0 * d2;
  if (denom == 0.0) return mid;
  const double a = q.a - (q.a - p.a) * (q.slope + d2 - d1) / denom;
  const double margin = 0.1 * (hi - lo);
  if (!std::isfinite(a) || a < lo + margin || a > hi - margin) return mid;
  return a;
}

class LineSearch {
 public:
  LineSearch(const Objective& objective, const LbfgsOptions& options, int* evaluations)
      : objective_(objective), options_(options), evaluations_(evaluations) {}

  // Searches along d from `start` (a = 0); returns true and the accepted point in *out
  // when some step decreased f (strong Wolfe when the budget allowed).
  bool Run(const Point& start, const Eigen::VectorXd& d, double a0, Point* out) {
    start_ = &start;
    d_ = &d;
    budget_ = options_.max_line_search_evaluations;
    Point prev = start;
    double a = a0;
    for (int i = 0; budget_ > 0; ++i) {
      Point cur = Evaluate(a);
      if (!SufficientDecrease(cur) || (i > 0 && cur.f >= prev.f)) {
        return Zoom(std::move(prev), std::move(cur), out);
      }
      if (std::abs(cur.slope) <= -options_.c2 * start.slope) {
        *out = std::move(cur);
        return true;
      }
      if (cur.slope >= 0.0) return Zoom(std::move(cur), std::move(prev), out);
      prev = std::move(cur);
      a *= 2.0;
    }
    return Fallback(prev, out);
  }

 private:
  Point Evaluate(double a) {
    Point p;
    p.a = a;
    p.x = start_->x + a * *d_;
    p.g.resize(p.x.size());
    p.f = objective_(p.x, &p.g);
    p.slope = p.g.dot(*d_);
    ++*evaluations_;
    --budget_;
    return p;
  }

  bool SufficientDecrease(const Point& p) const {
    return std::isfinite(p.f) && p.f <= start_->f + options_.c1 * p.a * start_->slope;
  }

  // `lo` satisfies sufficient decrease with the lowest f seen in the bracket.
  bool Zoom(Point lo, Point hi, Point* out) {
    while (budget_ > 0) {
      Point cur = Evaluate(CubicStep(lo, hi));
      if (!SufficientDecrease(cur) || cur.f >= lo.f) {
        hi = std::move(cur);
        continue;
      }
      if (std::abs(cur.slope) <= -options_.c2 * start_->slope) {
        *out = std::move(cur);
        return true;
      }
      if (cur.slope * (hi.a - lo.a) >= 0.0) hi = lo;
      lo = std::move(cur);
    }
    return Fallback(lo, out);
  }

  bool Fallback(const Point& best, Point* out) const {
    if (best.a > 0.0 && best.f < start_->f) {
      *out = best;
      return true;
    }
    return false;
  }

  const Objective& objective_;
  const LbfgsOptions& options_;
  int* evaluations_;
  const Point* start_ = nullptr;
  const Eigen::VectorXd* d_ = nullptr;
  int budget_ = 0;
};

}  // namespace

const char* LbfgsStopName(LbfgsStop stop) {
  switch (stop) {
    case LbfgsStop::kGradientTol:
      return "gradient_tol";
    case LbfgsStop::kRelativeDecrease:
      return "relative_decrease";
    case LbfgsStop::kMaxIterations:
      return "max_iterations";
    case LbfgsStop::kMaxEvaluations:
      return "max_evaluations";
    case LbfgsStop::kLineSearchFailed:
      return "line_search_failed";
  }
  return "unknown";
}

LbfgsResult MinimizeLbfgs(const Objective& objective, const Eigen::VectorXd& x0,
                          const LbfgsOptions& options) {
  TEAMSRL_CHECK(options.history > 0 && options.max_line_search_evaluations > 0)
      << "L-BFGS: history and line-search budget must be positive";
  LbfgsResult result;
  Point cur;
  cur.x = x0;
  cur.g.resize(x0.size());
  cur.f = objective(cur.x, &cur.g);
  result.evaluations = 1;

  std::deque<Eigen::VectorXd> s_hist;
  std::deque<Eigen::VectorXd> y_hist;
  std::deque<double> rho_hist;
  LineSearch line_search(objective, options, &result.evaluations);

  auto finish = [&](LbfgsStop stop) {
    result.x = std::move(cur.x);
    result.f = cur.f;
    result.grad = std::move(cur.g);
    result.stop = stop;
    return result;
  };

  if (cur.g.lpNorm<Eigen::Infinity>() <= options.gradient_tol) {
    return finish(LbfgsStop::kGradientTol);
  }
  while (result.iterations < options.max_iterations) {
    // Two-loop recursion: d = -H g.
    Eigen::VectorXd d = -cur.g;
    const int m = static_cast<int>(s_hist.size());
    std::vector<double> alpha(m);
    for (int i = m - 1; i >= 0; --i) {
      alpha[i] = rho_hist[i] * s_hist[i].dot(d);
      d -= alpha[i] * y_hist[i];
    }
    if (m > 0) d *= 1.0 / (rho_hist.back() * y_hist.back().squaredNorm());
    for (int i = 0; i < m; ++i) {
      const double beta = rho_hist[i] * y_hist[i].dot(d);
      d += (alpha[i] - beta) * s_hist[i];
    }
    cur.slope = cur.g.dot(d);
    if (!(cur.slope < 0.0)) {  // not a descent direction: restart from steepest descent
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
      d = -cur.g;
      cur.slope = -cur.g.squaredNorm();
    }
    const double a0 = s_hist.empty() ? 1.0 / d.norm() : 1.0;
    cur.a = 0.0;
    Point next;
    if (!line_search.Run(cur, d, a0, &next)) return finish(LbfgsStop::kLineSearchFailed);
    ++result.iterations;

    Eigen::VectorXd s = next.x - cur.x;
    Eigen::VectorXd y = next.g - cur.g;
    const double sy = s.dot(y);
    if (sy > DBL_EPSILON * y.squaredNorm()) {  // keep H positive definite
      if (static_cast<int>(s_hist.size()) == options.history) {
        s_hist.pop_front();
        y_hist.pop_front();
        rho_hist.pop_front();
      }
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
    }
    const double f_old = cur.f;
    cur = std::move(next);
    if (cur.g.lpNorm<Eigen::Infinity>() <= options.gradient_tol) {
      return finish(LbfgsStop::kGradientTol);
    }
    const double scale = std::max({std::abs(f_old), std::abs(cur.f), 1.0});
    if ((f_old - cur.f) / scale <= options.relative_decrease_tol) {
      return finish(LbfgsStop::kRelativeDecrease);
    }
    if (result.evaluations >= options.max_evaluations) return finish(LbfgsStop::kMaxEvaluations);
  }
  return finish(LbfgsStop::kMaxIterations);
}

}  // namespace teamsrl::rl
