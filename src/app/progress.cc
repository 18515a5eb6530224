#include "app/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace teamsrl::app {

ProgressLine::ProgressLine(double interval_s, std::FILE* out)
    : interval_s_(interval_s),
      out_(out),
      tty_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void ProgressLine::Start(const std::string& label, int64_t total) {
  label_ = label;
  total_ = total;
  start_ = std::chrono::steady_clock::now();
  last_print_ = start_;
  last_done_ = -1;
  finished_ = false;
}

ProgressLine::~ProgressLine() {
  if (tty_ && !finished_ && last_done_ >= 0) std::fputc('\n', out_);
}

std::string ProgressLine::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

void ProgressLine::Update(int64_t done, const std::string& detail) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  const bool last = done >= total_;
  // A terminal line is redrawn at most 10 times a second; logs once per interval.
  const double min_gap = tty_ ? 0.1 : interval_s_;
  if (!last && since < min_gap && last_done_ >= 0) return;
  const double eta =
      done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : NAN;
  std::string line = fmt::format(
      "{} {}/{} ({:.0f}%) | {} | elapsed {} | eta {}", label_, done, total_,
      100.0 * static_cast<double>(done) / static_cast<double>(std::max<int64_t>(total_, 1)), detail,
      FormatDuration(elapsed), FormatDuration(eta));
  if (tty_) {
    fmt::print(out_, "\r\033[K{}", line);
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
  last_print_ = now;
  last_done_ = done;
}

void ProgressLine::Finish(const std::string& detail) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_ && last_done_ >= 0) std::fputc('\n', out_);
  fmt::print(out_, "{} done in {} | {}\n", label_, FormatDuration(elapsed), detail);
  std::fflush(out_);
  finished_ = true;
}

}  // namespace teamsrl::app
