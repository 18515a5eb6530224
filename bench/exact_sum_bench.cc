// The reproducible summation's cost against a plain double sum (issue 15 item 2): ns per
// element of core/exact_sum.h's ExactSum::Add and of `sum += x`, over 10^7 doubles of mixed
// sign and magnitude, best of 5 passes; and the cost of rounding the result (Value) and of
// merging two accumulators. Then the distributed learner's form (core/exact_vector_sum.h):
// 64 term vectors of 5,004 elements summed element-wise, plain against exact.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/exact_sum.h"
#include "core/exact_vector_sum.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double BestNs(int passes, F&& f) {
  double best = 1e300;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main() {
  const size_t n = 10'000'000;
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> unit(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-60, 60);
  std::vector<double> xs(n);
  for (double& x : xs) x = std::ldexp(unit(gen), exponent(gen)) * ((gen() & 1) ? 1 : -1);
  volatile double sink = 0.0;
  const double plain = BestNs(5, [&] {
    double s = 0.0;
    for (double x : xs) s += x;
    sink = s;
  });
  const double exact = BestNs(5, [&] {
    teamsrl::ExactSum s;
    s.Add(xs);
    sink = s.Value();
  });
  teamsrl::ExactSum a, b;
  a.Add(xs);
  b.Add(xs);
  const double value = BestNs(5, [&] { sink = a.Value(); });
  const double merge = BestNs(5, [&] {
    teamsrl::ExactSum c = a;
    c.Merge(b);
    sink = c.Value();
  });
  std::printf("elements                 %zu\n", n);
  std::printf("plain double sum         %.2f ns/element\n", plain / n);
  std::printf("ExactSum::Add            %.2f ns/element (%.1fx)\n", exact / n, exact / plain);
  std::printf("ExactSum::Value          %.0f ns (once per reduction)\n", value);
  std::printf("Merge + Value            %.0f ns (per rank in a reduction)\n", merge);
  std::printf("wire size                %zu bytes per accumulator\n",
              sizeof(teamsrl::ExactSum::Wire::limbs));

  // The distributed learner's form: 64 actors' terms of a 5,004-parameter gradient
  // (gradient-like: one scale, mixed signs), summed element-wise.
  const int dim = 5004, terms = 64;
  std::normal_distribution<double> normal;
  std::vector<std::vector<double>> grads(terms, std::vector<double>(dim));
  for (auto& g : grads) {
    for (double& x : g) x = 1e-3 * normal(gen);
  }
  const double vplain = BestNs(20, [&] {
    std::vector<double> total(dim, 0.0);
    for (const auto& g : grads) {
      for (int e = 0; e < dim; ++e) total[e] += g[e];
    }
    sink = total[0];
  });
  const double vexact = BestNs(20, [&] {
    teamsrl::ExactVectorSum v(dim);
    for (const auto& g : grads) v.Add(g);
    const std::vector<long long> range = v.Range();
    sink = teamsrl::ExactVectorSum::Totals(range, v.Digits(range))[0];
  });
  const double per = static_cast<double>(dim) * terms;
  std::printf(
      "vector sum, %d terms x %d elements: plain %.2f ns/term-element, "
      "ExactVectorSum %.2f ns (%.1fx), %.0f us per reduction\n",
      terms, dim, vplain / per, vexact / per, vexact / vplain, vexact / 1e3);
  (void)sink;
  return 0;
}
