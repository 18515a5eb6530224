#include "core/check.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace teamsrl {
namespace {
std::mutex& HandlerMutex() {
  static std::mutex m;
  return m;
}
FatalHandler& Handler() {
  static FatalHandler handler;
  return handler;
}
}  // namespace

FatalHandler SetFatalHandler(FatalHandler handler) {
  std::lock_guard<std::mutex> lock(HandlerMutex());
  FatalHandler old = std::move(Handler());
  Handler() = std::move(handler);
  return old;
}

void Fatal(const std::string& message) {
  FatalHandler handler;
  {
    std::lock_guard<std::mutex> lock(HandlerMutex());
    handler = Handler();
  }
  if (handler) handler(message);
  std::fprintf(stderr, "teamsrl: fatal: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

namespace internal {
CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << file << ":" << line << ": check failed: " << condition << " ";
}
CheckFailure::~CheckFailure() { Fatal(stream_.str()); }
}  // namespace internal

}  // namespace teamsrl
