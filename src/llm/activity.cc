#include "llm/activity.h"

#include <cmath>

namespace teamsrl::llm {

Activity& Activity::Process() {
  static Activity activity;
  return activity;
}

void Activity::Completed(bool ok) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (!ok) failed_.fetch_add(1, std::memory_order_relaxed);
}

void Activity::AddLimitWait(double seconds) {
  if (!(seconds > 0.0)) return;
  limit_wait_us_.fetch_add(std::llround(seconds * 1e6), std::memory_order_relaxed);
}

ActivitySnapshot Activity::Snapshot() const {
  ActivitySnapshot s;
  s.in_flight = in_flight_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.limit_wait_s = static_cast<double>(limit_wait_us_.load(std::memory_order_relaxed)) / 1e6;
  s.limited_now = limited_now_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace teamsrl::llm
