// Where a driver reports how far it is. The terminal line is the app's (app/progress.h);
// drivers only see this interface, on root, so a test or another front end (a sweep
// runner) can plug in its own. No sink: no progress output.
#pragma once

#include <cstdint>
#include <string>

namespace teamsrl::pipeline {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // `total` units of work (iterations, seeds) of the run called `label`.
  virtual void Start(const std::string& label, int64_t total) = 0;
  // `done` units are finished; `detail` says more ("return 3.50 | queries 1200").
  virtual void Update(int64_t done, const std::string& detail) = 0;
  virtual void Finish(const std::string& detail) = 0;
};

}  // namespace teamsrl::pipeline
