// The resolved configuration as YAML (internal to the loader): every schema key with its
// final value, in schema order, for Config::resolved_yaml and the run file.
#pragma once

#include <string>

#include "config/config.h"

namespace teamsrl::internal {

// Block-style YAML of every key of `c` (per-endpoint keys once per endpoint), lists in flow
// style, strings that a YAML reader would take for a bool, null or number double-quoted.
// `c` is only read; it is non-const because the schema's field accessors take Config&.
// May throw YAML::Exception.
std::string ResolvedYaml(Config& c);

}  // namespace teamsrl::internal
