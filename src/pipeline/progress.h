// Progress output of long runs: on a terminal a live line rewritten in place (iteration,
// mean return, queries, ETA); otherwise (batch jobs, pipes) one log line per interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace teamsrl::pipeline {

class Progress {
 public:
  // `total` units of work (iterations); `interval_s` between log lines when not a tty.
  Progress(std::string label, int64_t total, double interval_s, std::FILE* out = stderr);
  ~Progress();

  // Reports that `done` units are finished; `detail` is appended ("ret 3.50 | q 1200").
  void Update(int64_t done, const std::string& detail);
  // Ends the live line (a newline on a terminal) and prints a final line.
  void Finish(const std::string& detail);

  // "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);

 private:
  std::string label_;
  int64_t total_;
  double interval_s_;
  std::FILE* out_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  int64_t last_done_ = -1;
};

}  // namespace teamsrl::pipeline
