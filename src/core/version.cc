#include "core/version.h"

#ifndef TEAMSRL_VERSION
#error "TEAMSRL_VERSION is set on this file by src/CMakeLists.txt"
#endif
#ifndef TEAMSRL_GIT_DESCRIBE
#error "TEAMSRL_GIT_DESCRIBE is set on this file by src/CMakeLists.txt"
#endif

#ifndef TEAMSRL_SIMD_LEVEL
#error "TEAMSRL_SIMD_LEVEL is set on this file by src/CMakeLists.txt"
#endif

#include <unistd.h>

#include <cstring>

#include "core/cpu_level.h"

namespace teamsrl {

std::string_view Version() { return TEAMSRL_VERSION; }
std::string_view GitDescribe() { return TEAMSRL_GIT_DESCRIBE; }
std::string_view BuildSimd() { return TEAMSRL_SIMD_LEVEL; }

namespace {

// Priority 101: before every C++ static initialiser (65535), any of which the compiler
// may have vectorised for x86-64-v3. This file itself is compiled for the baseline.
__attribute__((constructor(101))) void CheckCpuHasBuildSimd() {
  if (std::strcmp(TEAMSRL_SIMD_LEVEL, "x86-64-v3") != 0 || CpuRunsX86_64V3()) return;
  static const char kMessage[] =
      "teamsrl: this build targets x86-64-v3 (AVX2, FMA), which this CPU lacks; rebuild "
      "with cmake -DTEAMSRL_SIMD=baseline (README \"Build options\")\n";
  (void)!write(2, kMessage, sizeof(kMessage) - 1);
  _exit(70);  // EX_SOFTWARE
}

}  // namespace

}  // namespace teamsrl
