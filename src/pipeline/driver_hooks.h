// The drivers' test seam, after LevelDB's Env: the one place a test reaches into train,
// generate and baseline to make one rank fail at a chosen point. Production passes no
// hooks, so nothing here is read from the environment.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace teamsrl::pipeline {

class DriverHooks {
 public:
  virtual ~DriverHooks() = default;
  // After this rank's local setup; a non-OK status is this rank's setup failure.
  virtual Status AfterSetup(int rank) {
    (void)rank;
    return OkStatus();
  }
  // Before each batched step: `round` is the iteration (train) or chunk (generate,
  // baseline), `step` the step within it. Non-OK: this rank fails there.
  virtual Status BeforeStep(int rank, int64_t round, int step) {
    (void)rank;
    (void)round;
    (void)step;
    return OkStatus();
  }
};

}  // namespace teamsrl::pipeline
