// The program's version and the `git describe` of the tree it was built from. Only
// version.cc sees the strings (src/CMakeLists.txt sets them on that one source file), so a
// new commit recompiles one file instead of every target that links teamsrl_core.
#pragma once

#include <string_view>

namespace teamsrl {

// The CMake project version, e.g. "0.1.0".
std::string_view Version();
// `git describe --always --dirty --tags` at configure time; "unknown" outside a git tree.
std::string_view GitDescribe();
// The instruction set the build targets (CMake TEAMSRL_SIMD, resolved): "baseline",
// "x86-64-v3" or "native". A program built for x86-64-v3 checks the CPU before any other
// code runs and exits with a message naming the option instead of dying of SIGILL.
std::string_view BuildSimd();

}  // namespace teamsrl
