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

}  // namespace teamsrl
