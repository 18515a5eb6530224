#include "core/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace teamsrl {
namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "used in a signal handler");

extern "C" void OnStopSignal(int signal) {
  int none = 0;
  if (g_stop_signal.compare_exchange_strong(none, signal)) {
    static const char kMsg[] =
        "teamsrl: stop requested by signal; finishing the current iteration, then saving\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  }
}

}  // namespace

void InstallStopSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // I/O and MPI waits continue; the flag is read between steps
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &sa, nullptr);
}

int StopSignal() { return g_stop_signal.load(); }

void SetStopSignalForTest(int signal) { g_stop_signal.store(signal); }

std::string SignalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace teamsrl
