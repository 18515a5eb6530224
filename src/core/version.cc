#include "core/version.h"

#ifndef TEAMSRL_VERSION
#error "TEAMSRL_VERSION is set on this file by src/CMakeLists.txt"
#endif
#ifndef TEAMSRL_GIT_DESCRIBE
#error "TEAMSRL_GIT_DESCRIBE is set on this file by src/CMakeLists.txt"
#endif

namespace teamsrl {

std::string_view Version() { return TEAMSRL_VERSION; }
std::string_view GitDescribe() { return TEAMSRL_GIT_DESCRIBE; }

}  // namespace teamsrl
