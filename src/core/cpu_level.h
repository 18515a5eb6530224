// Whether this CPU runs code built for x86-64-v3 (CMake TEAMSRL_SIMD, README "Build
// options"): the level's features that both GCC and Clang 14 can name (AVX, AVX2, FMA,
// BMI1/2; no CPU has these without the level's F16C, LZCNT and MOVBE). Used by the configure-time
// probe (cmake/cpu_has_x86_64_v3.cc) and by the start-up check in core/version.cc, so the two
// agree.
#pragma once

namespace teamsrl {

inline bool CpuRunsX86_64V3() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2");
#else
  return false;
#endif
}

}  // namespace teamsrl
