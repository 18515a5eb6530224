// Configure-time probe for TEAMSRL_SIMD=auto (CMakeLists.txt): exits 0 when the build
// machine's CPU runs x86-64-v3 code.
#include "core/cpu_level.h"

int main() { return teamsrl::CpuRunsX86_64V3() ? 0 : 1; }
