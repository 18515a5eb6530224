#include "core/exact_sum.h"

#include <bit>
#include <cmath>
#include <limits>

namespace teamsrl {
namespace {

constexpr int64_t kDigit = int64_t{1} << 32;
constexpr int64_t kNormalizeEvery = int64_t{1} << 30;  // < 2^31: no limb can overflow
constexpr int kScale = 1074;                           // limb 0's digit 0 is 2^-1074

using Limbs = std::array<int64_t, ExactSum::kLimbs>;

// Carries upward so that every limb but the top one is a balanced digit in [-2^31, 2^31):
// the one representation of the accumulated integer with such digits, and one whose limbs
// above the value's highest bit are zero whatever its sign (so a reduction can send only
// the limbs in use).
void Carry(Limbs& limbs) {
  for (int i = 0; i + 1 < ExactSum::kLimbs; ++i) {
    const int64_t carry = (limbs[i] + kDigit / 2) >> 32;  // round-half-up division by 2^32
    limbs[i] -= carry * kDigit;
    limbs[i + 1] += carry;
  }
}

// Carries a non-negative integer into plain digits in [0, 2^32).
void CarryUnsigned(Limbs& limbs) {
  for (int i = 0; i + 1 < ExactSum::kLimbs; ++i) {
    const int64_t carry = limbs[i] >> 32;  // floor division by 2^32 (arithmetic shift)
    limbs[i] -= carry * kDigit;
    limbs[i + 1] += carry;
  }
}

// Bit `pos` of the non-negative integer held in carried `digits`.
int Bit(const Limbs& digits, int pos) {
  return static_cast<int>((static_cast<uint64_t>(digits[pos / 32]) >> (pos % 32)) & 1u);
}

// Bits [pos, pos + count) as an integer, count <= 64.
uint64_t Bits(const Limbs& digits, int pos, int count) {
  uint64_t out = 0;
  for (int k = count - 1; k >= 0; --k)
    out = (out << 1) | static_cast<uint64_t>(Bit(digits, pos + k));
  return out;
}

// Whether any bit below `pos` is set.
bool AnyBelow(const Limbs& digits, int pos) {
  for (int i = 0; i < pos / 32; ++i) {
    if (digits[i] != 0) return true;
  }
  const int rest = pos % 32;
  return rest > 0 && (static_cast<uint64_t>(digits[pos / 32]) & ((uint64_t{1} << rest) - 1)) != 0;
}

// The non-negative integer in `digits` times 2^-1074, rounded once to nearest even.
double RoundMagnitude(const Limbs& digits) {
  if (digits[ExactSum::kLimbs - 1] >= kDigit) return std::numeric_limits<double>::infinity();
  int top = ExactSum::kLimbs - 1;
  while (top >= 0 && digits[top] == 0) --top;
  if (top < 0) return 0.0;
  const int msb = 32 * top + 31 - std::countl_zero(static_cast<uint32_t>(digits[top]));
  if (msb < 53) {  // fewer than 54 bits: exact (a subnormal, or the smallest normals)
    return std::ldexp(static_cast<double>(Bits(digits, 0, msb + 1)), -kScale);
  }
  int low = msb - 52;  // the last bit the 53-bit significand keeps
  uint64_t q = Bits(digits, low, 53);
  const bool half = Bit(digits, low - 1) != 0;
  if (half && (AnyBelow(digits, low - 1) || (q & 1u) != 0)) ++q;
  if (q == (uint64_t{1} << 53)) {
    q >>= 1;
    ++low;
  }
  const int exponent = low - kScale;
  if (exponent + 52 > std::numeric_limits<double>::max_exponent - 1) {
    return std::numeric_limits<double>::infinity();
  }
  return std::ldexp(static_cast<double>(q), exponent);  // exact: q < 2^53
}

}  // namespace

void ExactSum::Add(double x) {
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const bool negative = (bits >> 63) != 0;
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  if (biased == 0x7ff) {
    if (fraction != 0) {
      nan_ = true;
    } else {
      (negative ? neg_inf_ : pos_inf_) = true;
    }
    return;
  }
  if (biased == 0 && fraction == 0) return;
  // x = m * 2^(shift - 1074) with m < 2^53: subnormals have shift 0.
  const uint64_t m = biased == 0 ? fraction : (fraction | (uint64_t{1} << 52));
  const int shift = biased == 0 ? 0 : biased - 1;
  const int limb = shift / 32;
  const unsigned __int128 v = static_cast<unsigned __int128>(m) << (shift % 32);
  const int64_t parts[3] = {static_cast<int64_t>(v & 0xffffffffu),
                            static_cast<int64_t>((v >> 32) & 0xffffffffu),
                            static_cast<int64_t>(v >> 64)};
  for (int k = 0; k < 3; ++k) limbs_[limb + k] += negative ? -parts[k] : parts[k];
  if (++pending_ >= kNormalizeEvery) Normalize();
}

void ExactSum::Add(std::span<const double> xs) {
  for (double x : xs) Add(x);
}

void ExactSum::Normalize() {
  Carry(limbs_);
  pending_ = 0;
}

void ExactSum::Merge(const ExactSum& other) {
  ExactSum carried = other;
  carried.Normalize();
  Normalize();
  for (int i = 0; i < kLimbs; ++i) limbs_[i] += carried.limbs_[i];
  pending_ = 1;  // every limb is below 2^33 now
  nan_ = nan_ || other.nan_;
  pos_inf_ = pos_inf_ || other.pos_inf_;
  neg_inf_ = neg_inf_ || other.neg_inf_;
}

double ExactSum::Value() const {
  if (nan_ || (pos_inf_ && neg_inf_)) return std::numeric_limits<double>::quiet_NaN();
  if (pos_inf_) return std::numeric_limits<double>::infinity();
  if (neg_inf_) return -std::numeric_limits<double>::infinity();
  Limbs digits = limbs_;
  Carry(digits);
  int top = kLimbs - 1;  // with balanced digits the highest non-zero limb has the sign
  while (top > 0 && digits[top] == 0) --top;
  const bool negative = digits[top] < 0;
  if (negative) {
    for (int64_t& d : digits) d = -d;
  }
  CarryUnsigned(digits);  // |sum| in plain digits
  const double magnitude = RoundMagnitude(digits);
  return negative ? -magnitude : magnitude;
}

ExactSum::Wire ExactSum::ToWire() const {
  Wire w;
  w.limbs = limbs_;
  Carry(w.limbs);
  w.nan = nan_ ? 1 : 0;
  w.pos_inf = pos_inf_ ? 1 : 0;
  w.neg_inf = neg_inf_ ? 1 : 0;
  return w;
}

ExactSum ExactSum::FromWire(const Wire& wire) {
  ExactSum s;
  s.limbs_ = wire.limbs;  // possibly a limb-wise sum of several wires: carry it
  s.Normalize();
  s.nan_ = wire.nan != 0;
  s.pos_inf_ = wire.pos_inf != 0;
  s.neg_inf_ = wire.neg_inf != 0;
  return s;
}

double ExactTotal(std::span<const double> xs) {
  ExactSum s;
  s.Add(xs);
  return s.Value();
}

}  // namespace teamsrl
