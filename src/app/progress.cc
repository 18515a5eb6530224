#include "app/progress.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/sinks/sink.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "llm/activity.h"

namespace teamsrl::app {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kLiveRedraw = std::chrono::milliseconds(250);
constexpr double kMinLiveGapS = 0.05;  // Update redraws at most 20 times a second
constexpr int kDefaultWidth = 80;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int TerminalWidth(int fd) {
  winsize w{};
  if (fd >= 0 && ::ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 0;
}

// Columns of `s`: UTF-8 continuation bytes take none.
size_t Columns(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string CutToColumns(const std::string& s, size_t cols) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && n++ == cols) return s.substr(0, i);
  }
  return s;
}

std::vector<std::string> SplitFields(const std::string& detail) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (!detail.empty()) {
    const size_t bar = detail.find(" | ", pos);
    out.push_back(detail.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos));
    if (bar == std::string::npos) break;
    pos = bar + 3;
  }
  return out;
}

// Clears the live line around each message of the wrapped sink.
class LiveLineSink : public spdlog::sinks::sink {
 public:
  LiveLineSink(std::shared_ptr<spdlog::sinks::sink> inner, std::function<void(bool)> around)
      : inner_(std::move(inner)), around_(std::move(around)) {}
  void log(const spdlog::details::log_msg& msg) override {
    around_(true);
    inner_->log(msg);
    inner_->flush();
    around_(false);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  std::function<void(bool)> around_;
};

}  // namespace

ProgressLine::ProgressLine(ProgressMode mode, double interval_s, std::FILE* out, int width)
    : mode_(mode), interval_s_(interval_s), out_(out), fixed_width_(width) {
  const bool tty = isatty(fileno(out)) != 0;
  if (mode_ == ProgressMode::kAuto) mode_ = tty ? ProgressMode::kLive : ProgressMode::kLog;
  if (mode_ == ProgressMode::kLive && !tty && fixed_width_ <= 0) {
    tty_fd_ = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  }
}

ProgressLine::~ProgressLine() {
  StopTicker();
  std::lock_guard<std::mutex> lock(mu_);
  if (shown_) std::fputc('\n', out_);
  std::fflush(out_);
  if (tty_fd_ >= 0) ::close(tty_fd_);
}

std::string ProgressLine::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string ProgressLine::Fit(const std::vector<Field>& fields, int width) {
  std::vector<const Field*> kept;
  kept.reserve(fields.size());
  for (const Field& f : fields) kept.push_back(&f);
  const size_t room = static_cast<size_t>(std::max(width - 1, 1));
  auto join = [&] {
    std::string s;
    for (const Field* f : kept) s += (s.empty() ? "" : " | ") + f->text;
    return s;
  };
  std::string line = join();
  while (Columns(line) > room && kept.size() > 1) {
    auto lowest =
        std::min_element(kept.begin() + 1, kept.end(),
                         [](const Field* a, const Field* b) { return a->priority < b->priority; });
    kept.erase(lowest);
    line = join();
  }
  return CutToColumns(line, room);
}

int ProgressLine::Width() const {
  if (fixed_width_ > 0) return fixed_width_;
  if (int w = TerminalWidth(fileno(out_)); w > 0) return w;
  if (int w = TerminalWidth(tty_fd_); w > 0) return w;
  if (const char* c = std::getenv("COLUMNS"); c != nullptr && std::atoi(c) > 0) {
    return std::atoi(c);
  }
  return kDefaultWidth;
}

std::vector<ProgressLine::Field> ProgressLine::Fields(Clock::time_point now) const {
  std::vector<Field> f;
  const double pct =
      100.0 * static_cast<double>(done_) / static_cast<double>(std::max<int64_t>(total_, 1));
  f.push_back({fmt::format("{} {}/{} ({:.0f}%)", label_, done_, total_, pct), 100});
  int prio = 90;
  for (std::string& d : SplitFields(detail_)) {
    const bool failed = d.starts_with("failed");
    f.push_back({std::move(d), failed ? 95 : prio});
    prio -= 5;
  }
  const llm::ActivitySnapshot a = llm::Activity::Process().Snapshot();
  if (a.in_flight > 0) f.push_back({fmt::format("in flight {}", a.in_flight), 50});
  if (a.limited_now > 0) {
    f.push_back(
        {fmt::format("waiting on rate limit (rate-limited {})", FormatDuration(a.limit_wait_s)),
         93});
  } else if (a.limit_wait_s >= 0.5) {
    f.push_back({fmt::format("rate-limited {}", FormatDuration(a.limit_wait_s)), 55});
  }
  const double elapsed = Seconds(now - start_);
  f.push_back({"elapsed " + FormatDuration(elapsed), 70});
  // The pace up to the last unit done, times the units left, counting down until the
  // next one (recomputing from `now` would make it grow between iterations).
  const double at_update = Seconds(updated_at_ - start_);
  const double eta = done_ > 0 ? std::max(0.0, at_update / static_cast<double>(done_) *
                                                       static_cast<double>(total_ - done_) -
                                                   Seconds(now - updated_at_))
                               : NAN;
  f.push_back({"eta " + FormatDuration(eta), 75});
  return f;
}

void ProgressLine::DrawLocked(Clock::time_point now) {
  if (mode_ == ProgressMode::kLive) {
    fmt::print(out_, "\r\033[K{}", Fit(Fields(now), Width()));
    shown_ = true;
    drawn_ = true;
  } else {
    std::string line;
    for (const Field& f : Fields(now)) line += (line.empty() ? "" : " | ") + f.text;
    fmt::print(out_, "{}\n", line);
    last_log_ = now;
    logged_done_ = done_;
  }
  std::fflush(out_);
}

void ProgressLine::ClearLocked() {
  if (!shown_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  shown_ = false;
}

void ProgressLine::Start(const std::string& label, int64_t total) {
  StopTicker();
  std::lock_guard<std::mutex> lock(mu_);
  label_ = label;
  total_ = total;
  done_ = 0;
  detail_.clear();
  start_ = Clock::now();
  last_log_ = start_;
  updated_at_ = start_;
  logged_done_.reset();
  started_ = true;
  if (mode_ == ProgressMode::kOff) return;
  stop_ = false;
  ticker_ = std::thread([this] { Tick(); });
}

void ProgressLine::Tick() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto period = mode_ == ProgressMode::kLive
                          ? std::chrono::duration_cast<Clock::duration>(kLiveRedraw)
                          : std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(std::max(interval_s_, 0.1)));
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
    const Clock::time_point now = Clock::now();
    // Log mode: a line per interval even when no unit finished, so a slow iteration
    // still shows a pulse in the job's log.
    if (mode_ == ProgressMode::kLive || Seconds(now - last_log_) >= interval_s_) DrawLocked(now);
  }
}

void ProgressLine::StopTicker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ProgressLine::Update(int64_t done, const std::string& detail) {
  if (mode_ == ProgressMode::kOff) return;
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = Clock::now();
  const bool last = done >= total_;
  done_ = done;
  detail_ = detail;
  updated_at_ = now;
  const double since = Seconds(now - last_log_);
  if (mode_ == ProgressMode::kLive) {
    if (last || since >= kMinLiveGapS || !shown_) {
      DrawLocked(now);
      last_log_ = now;
    }
    return;
  }
  if (last || !logged_done_ || since >= interval_s_) DrawLocked(now);
}

void ProgressLine::Finish(const std::string& detail) {
  StopTicker();
  if (mode_ == ProgressMode::kOff) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (shown_) std::fputc('\n', out_);
  shown_ = false;
  fmt::print(out_, "{} done in {} | {}\n", label_, FormatDuration(Seconds(Clock::now() - start_)),
             detail);
  std::fflush(out_);
  started_ = false;
}

std::string ProgressLine::ResultLead() const {
  const bool drawn = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    return drawn_;
  }();
  return drawn && isatty(fileno(stdout)) != 0 ? "\r\033[K" : "";
}

void ProgressLine::WrapLogger(spdlog::logger& logger) {
  if (mode_ != ProgressMode::kLive) return;
  auto around = [this](bool before) {
    if (before) {
      mu_.lock();
      ClearLocked();
    } else {
      if (started_ && !stop_) DrawLocked(Clock::now());
      mu_.unlock();
    }
  };
  for (auto& s : logger.sinks()) s = std::make_shared<LiveLineSink>(s, around);
}

}  // namespace teamsrl::app
