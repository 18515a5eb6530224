// `teamsrl sweep GRID.yaml --check-reproducible`: the promise "same config and seed on the
// simulator, bitwise-identical results, also across rank counts and reruns" checked on a
// sweep's outputs. Tasks that differ only in their launch (the grid's `ranks:` and
// `repeats:`) must have written the same run: each is compared with the first of its
// group by io::DiffRunFiles (timing columns left out).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sweep/grid.h"

namespace teamsrl::sweep {

struct ReproPair {
  std::string reference, other;                // task ids
  std::string launch_reference, launch_other;  // "ranks=1 repeat=0"
  std::string stage;
  bool identical = false;
  std::string detail;  // the diff's report (its differing lines), or why it was not compared
};

struct ReproReport {
  std::vector<ReproPair> pairs;
  int groups = 0;
  bool all_identical() const;
  std::string Format() const;
};

// Compares every task with the first of its group (same stage and overrides); eval tasks
// are covered by their run files. A task without its completed output is reported as
// not comparable (and the report is then not all identical).
ReproReport CheckReproducible(const Manifest& manifest);

}  // namespace teamsrl::sweep
