// Facts about the run's surroundings for the run file's root attributes.
#pragma once

#include <string>

namespace teamsrl::pipeline {

// Current UTC time as ISO-8601 ("2026-11-25T14:28:01Z").
std::string UtcNow();
// An environment variable's value, or "" when unset.
std::string EnvOr(const char* name);

}  // namespace teamsrl::pipeline
