// TEAMSRL_CHECK: broken invariants (programmer errors). Always on, also in release builds.
//   TEAMSRL_CHECK(i < n) << "index " << i;
// A failed check calls the fatal handler (default: print and abort). The MPI layer installs
// a handler that aborts the whole world naming the rank, so no rank hangs on a dead peer.
#pragma once

#include <functional>
#include <sstream>
#include <string>

namespace teamsrl {

using FatalHandler = std::function<void(const std::string& message)>;

// Replaces the handler; returns the previous one. The handler must not return.
FatalHandler SetFatalHandler(FatalHandler handler);
[[noreturn]] void Fatal(const std::string& message);

namespace internal {
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace teamsrl

#define TEAMSRL_CHECK(cond) \
  if (cond) {               \
  } else                    \
    ::teamsrl::internal::CheckFailure(__FILE__, __LINE__, #cond)
