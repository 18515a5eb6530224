// Progress output of long runs, the app's ProgressSink: on a terminal a live line rewritten
// in place (iteration, mean return, queries, ETA); otherwise (batch jobs, pipes) one log
// line per `run.progress_interval_s`.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "pipeline/progress_sink.h"

namespace teamsrl::app {

class ProgressLine : public pipeline::ProgressSink {
 public:
  // `interval_s` between log lines when `out` is not a terminal.
  explicit ProgressLine(double interval_s, std::FILE* out = stderr);
  ~ProgressLine() override;

  void Start(const std::string& label, int64_t total) override;
  // Redraws the line (at most ten times a second) or logs it (once per interval).
  void Update(int64_t done, const std::string& detail) override;
  // Ends the live line (a newline on a terminal) and prints a final line.
  void Finish(const std::string& detail) override;

  // "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);

 private:
  std::string label_;
  int64_t total_ = 0;
  double interval_s_;
  std::FILE* out_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  int64_t last_done_ = -1;
};

}  // namespace teamsrl::app
