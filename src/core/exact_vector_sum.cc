#include "core/exact_vector_sum.h"

#include <bit>
#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "core/exact_sum.h"

namespace teamsrl {
namespace {

// Range entries of an element no term touches: below any real bit position.
constexpr long long kNone = -(1LL << 40);
// Fast path: the terms' bits span at most this many positions, so 2^24 terms fit in 126.
constexpr int kFastBits = 102;
constexpr long long kMaxTerms = 1LL << 24;
constexpr int kDigitBits = 43;
constexpr long long kDigitMask = (1LL << kDigitBits) - 1;
constexpr int kFastWords = 3;
constexpr int kSlowWords = ExactSum::kLimbs + 3;  // limbs, then nan, +inf, -inf

// Bit positions (as powers of two) of a finite non-zero double's highest and lowest set
// bits.
void BitRange(double x, long long* high, long long* low) {
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  const uint64_t m = biased == 0 ? fraction : (fraction | (uint64_t{1} << 52));
  const int shift = (biased == 0 ? 0 : biased - 1) - 1074;  // x = m * 2^shift
  *high = shift + 63 - std::countl_zero(m);
  *low = shift + std::countr_zero(m);
}

struct ElementRange {
  long long high, low;
  bool non_finite;
  bool empty() const { return high == kNone; }
  bool fast() const { return !non_finite && (empty() || high - low + 1 <= kFastBits); }
};

ElementRange At(const std::vector<long long>& range, size_t dim, size_t e) {
  return {range[e], -range[dim + e], range[2 * dim + e] != 0};
}

// The integer v * 2^low rounded once to a double. (double)v rounds v correctly; the
// scaling is exact unless the result leaves the normal range, where the exact sum of the
// three digit parts (each exactly a double) is rounded instead.
double Round(__int128 v, long long low) {
  if (v == 0) return 0.0;
  const double scaled = std::ldexp(static_cast<double>(v), static_cast<int>(low));
  if (std::isnormal(scaled) && std::fabs(scaled) < 0x1p1000) return scaled;
  ExactSum s;
  for (int k = 0; k < kFastWords; ++k) {
    const __int128 part =
        k + 1 < kFastWords ? (v >> (kDigitBits * k)) & kDigitMask : v >> (kDigitBits * k);
    s.Add(std::ldexp(static_cast<double>(part), static_cast<int>(low + kDigitBits * k)));
  }
  return s.Value();
}

}  // namespace

ExactVectorSum::ExactVectorSum(int dim) : dim_(dim) {
  TEAMSRL_CHECK(dim >= 0) << "ExactVectorSum: negative dimension";
}

void ExactVectorSum::Add(std::span<const double> term) {
  TEAMSRL_CHECK(term.size() == static_cast<size_t>(dim_))
      << "ExactVectorSum: a term of " << term.size() << " values for " << dim_ << " elements";
  terms_.insert(terms_.end(), term.begin(), term.end());
}

std::vector<long long> ExactVectorSum::Range() const {
  const size_t d = static_cast<size_t>(dim_);
  std::vector<long long> out(3 * d, kNone);
  for (size_t e = 0; e < d; ++e) out[2 * d + e] = 0;
  for (size_t at = 0; at < terms_.size(); ++at) {
    const size_t e = at % d;
    const double x = terms_[at];
    if (x == 0.0) continue;
    if (!std::isfinite(x)) {
      out[2 * d + e] = 1;
      continue;
    }
    long long high = 0, low = 0;
    BitRange(x, &high, &low);
    out[e] = std::max(out[e], high);
    out[d + e] = std::max(out[d + e], -low);
  }
  return out;
}

std::vector<long long> ExactVectorSum::Digits(const std::vector<long long>& range) const {
  const size_t d = static_cast<size_t>(dim_);
  TEAMSRL_CHECK(range.size() == 3 * d) << "ExactVectorSum: a range of the wrong size";
  const size_t count = d == 0 ? 0 : terms_.size() / d;
  // 2^-low per fast element (0 for the others), so that scaling is one exact product; a
  // lowest bit below 2^-1023 has no such double and scales with ldexp.
  // Slow and empty elements are skipped (kSkip): a non-finite term must not be scaled.
  enum Mode : char { kSkip, kScale, kLdexp };
  std::vector<double> scale(d, 0.0);
  std::vector<char> mode(d, kSkip);
  for (size_t e = 0; e < d; ++e) {
    const ElementRange r = At(range, d, e);
    if (!r.fast() || r.empty()) continue;
    if (r.low > -1023) {
      mode[e] = kScale;
      scale[e] = std::ldexp(1.0, static_cast<int>(-r.low));
    } else {
      mode[e] = kLdexp;
    }
  }
  std::vector<__int128> acc(d, 0);
  for (size_t t = 0; t < count; ++t) {
    const double* term = terms_.data() + t * d;
    for (size_t e = 0; e < d; ++e) {
      // Exact: the term is a multiple of 2^low below 2^(low + kFastBits).
      if (mode[e] == kScale) {
        acc[e] += static_cast<__int128>(term[e] * scale[e]);
      } else if (mode[e] == kLdexp) {
        acc[e] += static_cast<__int128>(std::ldexp(term[e], static_cast<int>(range[d + e])));
      }
    }
  }
  std::vector<long long> out;
  out.reserve(d * kFastWords + 1);
  for (size_t e = 0; e < d; ++e) {
    if (At(range, d, e).fast()) {
      const __int128 v = acc[e];
      out.push_back(static_cast<long long>(v & kDigitMask));
      out.push_back(static_cast<long long>((v >> kDigitBits) & kDigitMask));
      out.push_back(static_cast<long long>(v >> (2 * kDigitBits)));
      continue;
    }
    ExactSum s;
    for (size_t t = 0; t < count; ++t) s.Add(terms_[t * d + e]);
    const ExactSum::Wire w = s.ToWire();
    out.insert(out.end(), w.limbs.begin(), w.limbs.end());
    out.push_back(w.nan);
    out.push_back(w.pos_inf);
    out.push_back(w.neg_inf);
  }
  out.push_back(static_cast<long long>(count));
  return out;
}

std::vector<double> ExactVectorSum::Totals(const std::vector<long long>& range,
                                           const std::vector<long long>& digits) {
  TEAMSRL_CHECK(range.size() % 3 == 0 && !digits.empty())
      << "ExactVectorSum: malformed range or digits";
  const size_t d = range.size() / 3;
  TEAMSRL_CHECK(digits.back() < kMaxTerms)
      << "ExactVectorSum: " << digits.back() << " terms per element, at most " << kMaxTerms;
  std::vector<double> out(d);
  size_t at = 0;
  for (size_t e = 0; e < d; ++e) {
    const ElementRange r = At(range, d, e);
    const size_t words = r.fast() ? kFastWords : kSlowWords;
    TEAMSRL_CHECK(at + words < digits.size()) << "ExactVectorSum: digits do not fit the range";
    if (r.fast()) {
      const __int128 v = static_cast<__int128>(digits[at]) +
                         static_cast<__int128>(digits[at + 1]) * (__int128{1} << kDigitBits) +
                         static_cast<__int128>(digits[at + 2]) * (__int128{1} << (2 * kDigitBits));
      out[e] = r.empty() ? 0.0 : Round(v, r.low);
    } else {
      ExactSum::Wire w;
      for (int i = 0; i < ExactSum::kLimbs; ++i) w.limbs[static_cast<size_t>(i)] = digits[at + i];
      w.nan = digits[at + ExactSum::kLimbs] != 0 ? 1 : 0;
      w.pos_inf = digits[at + ExactSum::kLimbs + 1] != 0 ? 1 : 0;
      w.neg_inf = digits[at + ExactSum::kLimbs + 2] != 0 ? 1 : 0;
      out[e] = ExactSum::FromWire(w).Value();
    }
    at += words;
  }
  TEAMSRL_CHECK(at + 1 == digits.size()) << "ExactVectorSum: digits do not fit the range";
  return out;
}

}  // namespace teamsrl
