// Progress output of long runs, the app's ProgressSink (`--progress`, README "Progress").
//
// live: one line rewritten in place ("\r" + erase), redrawn four times a second by a
//   ticker thread, so elapsed time, calls in flight and rate-limit waits move between
//   iterations too; fitted to the terminal's width (fields dropped by priority, then
//   cut), so a narrow pane never wraps into stacked fragments. Log messages clear the
//   line, print, and redraw it (WrapLogger).
// log: one plain line per `run.progress_interval_s` (batch jobs, pipes), also between
//   iterations, and always the last unit.
// off: nothing.
// auto: live when `out` is a terminal, else log. Under mpirun a rank's stderr is a pipe
//   even when mpirun's is a terminal, so the scripts pass `--progress live` when their
//   own stderr is one; the width then comes from the controlling terminal (/dev/tty).
//
// The line's live fields (in flight, rate-limited) are this process's (root's) LLM
// traffic (llm/activity.h); the driver's fields (return, queries, failed) are the run's.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/enum_names.h"
#include "pipeline/progress_sink.h"

namespace teamsrl::app {

enum class ProgressMode : int { kAuto = 0, kLive = 1, kLog = 2, kOff = 3 };

class ProgressLine : public pipeline::ProgressSink {
 public:
  // `interval_s` between log lines. `width` > 0 fixes the live line's width (tests);
  // 0 asks the terminal each redraw.
  ProgressLine(ProgressMode mode, double interval_s, std::FILE* out = stderr, int width = 0);
  ~ProgressLine() override;
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The mode `auto` resolved to.
  ProgressMode mode() const { return mode_; }

  void Start(const std::string& label, int64_t total) override;
  // `detail`: the driver's fields, separated by " | ".
  void Update(int64_t done, const std::string& detail) override;
  // Ends the live line and prints a final line (not in mode off).
  void Finish(const std::string& detail) override;

  // In live mode, makes `logger`'s sinks clear the line before a message and redraw it
  // after; the line must outlive the logger's use.
  void WrapLogger(spdlog::logger& logger);

  // What a result line printed on another stream (stdout) after Finish starts with: "\r"
  // and erase when a live line was drawn and stdout is a terminal, else nothing. mpirun
  // forwards a rank's stdout and stderr through separate channels, so the result line can
  // reach the terminal before the live line's closing newline; led this way it replaces
  // the live line instead of being glued onto its end.
  std::string ResultLead() const;

  // "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);

  struct Field {
    std::string text;
    int priority = 0;  // higher stays longer when the line is too wide
  };
  // Joins `fields` with " | " in their order, dropping the lowest-priority ones (never
  // the first) until the line fits in width - 1 columns, then cutting it (at a UTF-8
  // boundary): writing the last column makes some terminals wrap.
  static std::string Fit(const std::vector<Field>& fields, int width);

 private:
  std::vector<Field> Fields(std::chrono::steady_clock::time_point now) const;
  int Width() const;
  void DrawLocked(std::chrono::steady_clock::time_point now);
  void ClearLocked();
  void StopTicker();
  void Tick();

  ProgressMode mode_;
  double interval_s_;
  std::FILE* out_;
  int fixed_width_;
  int tty_fd_ = -1;  // the controlling terminal, for its width when `out` is not one

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::thread ticker_;
  bool stop_ = false;
  bool started_ = false;
  bool shown_ = false;  // a live line is on screen
  bool drawn_ = false;  // a live line was drawn at some point
  std::string label_;
  int64_t total_ = 0;
  int64_t done_ = 0;
  std::string detail_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_log_;
  std::chrono::steady_clock::time_point updated_at_;  // of the last Update
  std::optional<int64_t> logged_done_;                // log mode: the units of the last line
};

}  // namespace teamsrl::app

template <>
struct teamsrl::EnumNameTable<teamsrl::app::ProgressMode> {
  static constexpr std::string_view kNames[] = {"auto", "live", "log", "off"};
};
