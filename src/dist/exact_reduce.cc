#include "dist/exact_reduce.h"

#include <algorithm>

#include "core/check.h"

namespace teamsrl::dist {
namespace {

// Non-finite terms per element, packed in one integer that the ranks' sum keeps apart:
// counts of NaN, +inf and -inf in bits [0, 20), [20, 40), [40, 60) (fewer than 2^20 ranks).
constexpr int kFlagBits = 20;

long long PackFlags(const ExactSum::Wire& w) {
  return static_cast<long long>(w.nan) + (static_cast<long long>(w.pos_inf) << kFlagBits) +
         (static_cast<long long>(w.neg_inf) << (2 * kFlagBits));
}

void UnpackFlags(long long packed, ExactSum::Wire* w) {
  const long long mask = (1LL << kFlagBits) - 1;
  w->nan = (packed & mask) != 0 ? 1 : 0;
  w->pos_inf = ((packed >> kFlagBits) & mask) != 0 ? 1 : 0;
  w->neg_inf = ((packed >> (2 * kFlagBits)) & mask) != 0 ? 1 : 0;
}

}  // namespace

std::vector<double> ExactAllReduce(const Comm& comm, const std::vector<ExactSum>& local) {
  const long long n = static_cast<long long>(local.size());
  TEAMSRL_CHECK(comm.AllReduceMax(n) == n && -comm.AllReduceMax(-n) == n)
      << "ExactAllReduce: the ranks hold different numbers of elements";
  std::vector<ExactSum::Wire> wires;
  wires.reserve(local.size());
  int lo = ExactSum::kLimbs, hi = -1;  // the limbs in use, over every element and rank
  for (const ExactSum& s : local) {
    wires.push_back(s.ToWire());
    for (int i = 0; i < ExactSum::kLimbs; ++i) {
      if (wires.back().limbs[i] == 0) continue;
      lo = std::min(lo, i);
      hi = std::max(hi, i);
    }
  }
  lo = static_cast<int>(-comm.AllReduceMax(-lo));
  hi = static_cast<int>(comm.AllReduceMax(hi));
  const int width = hi >= lo ? hi - lo + 1 : 0;
  std::vector<long long> packed;
  packed.reserve(local.size() * static_cast<size_t>(width + 1));
  for (const ExactSum::Wire& w : wires) {
    for (int i = lo; i < lo + width; ++i) packed.push_back(w.limbs[i]);
    packed.push_back(PackFlags(w));
  }
  comm.AllReduceSum(packed);
  std::vector<double> out;
  out.reserve(local.size());
  for (size_t e = 0; e < local.size(); ++e) {
    ExactSum::Wire w;
    const size_t at = e * static_cast<size_t>(width + 1);
    for (int i = 0; i < width; ++i) w.limbs[lo + i] = packed[at + i];
    UnpackFlags(packed[at + width], &w);
    out.push_back(ExactSum::FromWire(w).Value());
  }
  return out;
}

std::vector<double> ExactAllReduce(const Comm& comm, const ExactVectorSum& local,
                                   long long* words) {
  std::vector<long long> range = local.Range();
  const long long n = local.dim();
  range.push_back(n);  // the dimension check rides on the same reduction
  range.push_back(-n);
  comm.AllReduceMax(range);
  TEAMSRL_CHECK(range[range.size() - 2] == n && range.back() == -n)
      << "ExactAllReduce: the ranks hold different numbers of elements";
  range.resize(range.size() - 2);
  std::vector<long long> digits = local.Digits(range);
  if (words != nullptr)
    *words = static_cast<long long>(range.size()) + 2 + static_cast<long long>(digits.size());
  comm.AllReduceSum(digits);
  return ExactVectorSum::Totals(range, digits);
}

}  // namespace teamsrl::dist
