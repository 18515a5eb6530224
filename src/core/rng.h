// Deterministic random streams. Everything random in a run draws from an Rng derived from
// (run seed, stream ids), e.g. (seed, kActorStream, actor): the same numbers whatever the
// number of ranks, the compiler's <random> or the platform (std:: distributions are not
// portable, so the distributions here are our own).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace teamsrl {

// SplitMix64 finaliser: a good 64-bit mixing function.
uint64_t Mix64(uint64_t x);
// Order-sensitive combination of several 64-bit values into one.
uint64_t HashCombine(std::initializer_list<uint64_t> values);
// FNV-1a then Mix64: a stable 64-bit hash of bytes (not cryptographic).
uint64_t HashBytes(std::string_view bytes, uint64_t seed = 0);

// Named stream families, so different uses of one seed never share numbers.
enum class StreamKind : uint64_t {
  kActor = 1,
  kPolicyInit = 2,
  kSim = 3,
  kSeedOrder = 4,
  kGenerate = 5,
  kBaseline = 6,
};

// xoshiro256** with a serialisable 256-bit state.
class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Rng(uint64_t seed = 0);
  static Rng ForStream(uint64_t run_seed, StreamKind kind, uint64_t id);

  uint64_t NextU64();
  // Uniform in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t UniformInt(uint64_t n);
  // Standard normal (Box-Muller, one value cached).
  double Normal();

  State state() const { return state_; }
  void set_state(const State& s) {
    state_ = s;
    has_cached_normal_ = false;
  }

  // Everything that decides the next draws, the Box-Muller spare included (a checkpoint
  // that dropped it would shift every later normal by one).
  struct Snapshot {
    State state{};
    bool has_cached_normal = false;
    double cached_normal = 0.0;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot snapshot() const { return {state_, has_cached_normal_, cached_normal_}; }
  void restore(const Snapshot& s) {
    state_ = s.state;
    has_cached_normal_ = s.has_cached_normal;
    cached_normal_ = s.cached_normal;
  }

 private:
  State state_{};
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

// A uniform [0,1) number that is a pure function of a hash (for keyed, stateless draws).
inline double HashToUnit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace teamsrl
