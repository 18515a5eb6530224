#include "core/exact_vector_sum.h"

#include <algorithm>
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

// A finite double's exponent field, subnormals counted as 1: the term is below
// 2^(b - 1022) and a multiple of 2^(b - 1075), its significand's last place. Range() keeps
// the largest and smallest b per element: two integer maxima per term, no bit scans; the
// lowest bit is then a bound, not the exact lowest set bit, which costs at most 52 bits of
// window and keeps every term an exact multiple of it.
int ExponentField(uint64_t bits) { return std::max(static_cast<int>((bits >> 52) & 0x7ff), 1); }

struct ElementRange {
  long long high, low;
  bool non_finite;
  bool empty() const { return high == kNone; }
  bool fast() const { return !non_finite && (empty() || high - low + 1 <= kFastBits); }
};

inline ElementRange At(const std::vector<long long>& range, size_t dim, size_t e) {
  if (range[e] == kNone) return {kNone, kNone, range[2 * dim + e] != 0};
  return {range[e] - 1023, -range[dim + e] - 1075, range[2 * dim + e] != 0};
}

// 2^e for a normal e (-1022 <= e <= 1023), from its bits: exact, and no library call.
inline double PowerOfTwo(long long e) {
  return std::bit_cast<double>(static_cast<uint64_t>(e + 1023) << 52);
}

// v correctly rounded to a double; through int64 when it fits (one instruction instead of
// the library's 128-bit conversion), which rounds alike.
inline double ToDouble(__int128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return static_cast<double>(static_cast<int64_t>(v));
  return static_cast<double>(v);
}

// The integer v * 2^low rounded once to a double. (double)v rounds v correctly; the
// scaling is exact unless the result leaves the normal range, where the exact sum of the
// three digit parts (each exactly a double) is rounded instead.
double Round(__int128 v, long long low) {
  if (v == 0) return 0.0;
  const double rounded = ToDouble(v);
  const double scaled = low >= -1022 && low <= 1023 ? rounded * PowerOfTwo(low)
                                                    : std::ldexp(rounded, static_cast<int>(low));
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
  const size_t d = static_cast<size_t>(dim);
  range_.assign(3 * d, kNone);
  std::fill(range_.begin() + static_cast<std::ptrdiff_t>(2 * d), range_.end(), 0);
}

void ExactVectorSum::Add(std::span<const double> term) {
  TEAMSRL_CHECK(term.size() == static_cast<size_t>(dim_))
      << "ExactVectorSum: a term of " << term.size() << " values for " << dim_ << " elements";
  terms_.push_back(term.data());
  const size_t d = static_cast<size_t>(dim_);
  long long* high = range_.data();
  long long* neg_low = range_.data() + d;
  long long* non_finite = range_.data() + 2 * d;
  for (size_t e = 0; e < d; ++e) {
    const uint64_t bits = std::bit_cast<uint64_t>(term[e]);
    if ((bits << 1) == 0) continue;  // +-0
    const int b = ExponentField(bits);
    if (b == 0x7ff) {
      non_finite[e] = 1;
      continue;
    }
    high[e] = std::max<long long>(high[e], b);
    neg_low[e] = std::max<long long>(neg_low[e], -b);
  }
}

std::vector<long long> ExactVectorSum::Range() const { return range_; }

std::vector<long long> ExactVectorSum::Digits(const std::vector<long long>& range) const {
  const size_t d = static_cast<size_t>(dim_);
  TEAMSRL_CHECK(range.size() == 3 * d) << "ExactVectorSum: a range of the wrong size";
  const size_t count = terms_.size();
  // 2^-low per fast element (0 for the others), so that scaling is one exact product; a
  // lowest bit below 2^-1023 has no such double and scales with ldexp.
  // Slow and empty elements are skipped (kSkip): a non-finite term must not be scaled.
  enum Mode : char { kSkip, kScale, kLdexp };
  std::vector<double> scale(d, 0.0);
  std::vector<int> shift(d, 0);  // -low, for kLdexp
  std::vector<char> mode(d, kSkip);
  for (size_t e = 0; e < d; ++e) {
    const ElementRange r = At(range, d, e);
    if (!r.fast() || r.empty()) continue;
    if (r.low > -1023) {
      mode[e] = kScale;
      scale[e] = PowerOfTwo(-r.low);  // -r.low < 1023, and > -1022 as r.low <= 971
    } else {
      mode[e] = kLdexp;
      shift[e] = static_cast<int>(-r.low);
    }
  }
  // Each scaled term, an integer-valued double below 2^102, is split as h * 2^52 + r: h
  // its top part (truncated, |h| < 2^50), r the rest, an integer below 2^52 and so exact in
  // both the subtraction and the cast. The parts are summed in int64, which holds 2^11 of
  // them, and every kBlock terms go into the 128-bit totals: no 128-bit arithmetic and no
  // library call (a direct conversion to __int128 makes one) per term.
  constexpr size_t kBlock = size_t{1} << 11;
  std::vector<__int128> acc(d, 0);
  std::vector<int64_t> high(d, 0), rest(d, 0);
  const auto add = [&](size_t e, double x) {
    const auto h = static_cast<int64_t>(x * 0x1p-52);  // truncated toward zero
    high[e] += h;
    rest[e] += static_cast<int64_t>(x - static_cast<double>(h) * 0x1p52);
  };
  for (size_t begin = 0; begin < count; begin += kBlock) {
    const size_t end = std::min(count, begin + kBlock);
    for (size_t t = begin; t < end; ++t) {
      const double* term = terms_[t];
      for (size_t e = 0; e < d; ++e) {
        // Exact: the term is a multiple of 2^low below 2^(low + kFastBits).
        if (mode[e] == kScale) {
          add(e, term[e] * scale[e]);
        } else if (mode[e] == kLdexp) {
          add(e, std::ldexp(term[e], shift[e]));
        }
      }
    }
    for (size_t e = 0; e < d; ++e) {
      acc[e] += static_cast<__int128>(high[e]) * (__int128{1} << 52) + rest[e];
      high[e] = rest[e] = 0;
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
    for (size_t t = 0; t < count; ++t) s.Add(terms_[t][e]);
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
