#include "dist/comm.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/check.h"
#include "dist/launcher.h"

namespace teamsrl::dist {
namespace {

// False when no MPI launcher started this process (issue 15): a world of one needs no
// MPI, and MPI_Init as a singleton starts a daemon and costs about 0.35 s of every
// single-process command. Set once by MpiSession, before any Comm exists.
bool g_mpi = true;

int WorldRank() {
  if (!g_mpi) return 0;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// MPI counts are int; our messages are far below 2 GiB, but say so if one is not.
int CheckedCount(size_t n) {
  TEAMSRL_CHECK(n <= static_cast<size_t>(INT_MAX)) << "MPI message too large: " << n;
  return static_cast<int>(n);
}

// Waits for a non-blocking collective without spinning: a rank with no actors, or one
// waiting for root's learner, would otherwise hold a core at ~100 % in MPI's busy poll
// (issue 10 item 10). The first ~100 us poll tightly, so fast collectives keep their
// latency; then sleeps grow to 2 ms, about 500 cheap wake-ups a second while idle.
// MPI_Test also drives the progress of libnbc's schedule, so it is called on each wake-up.
void Wait(MPI_Request* request) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  auto nap = std::chrono::microseconds(20);
  int done = 0;
  while (true) {
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (Clock::now() - start < std::chrono::microseconds(100)) continue;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(2000));
  }
}

// For the distributed learner's reductions (exact_reduce.h): every rank is in the same
// update and arrives within microseconds, dozens of times an iteration, so a sleep of up
// to 2 ms per round of a collective would dominate (with 8 ranks on 2 cores it cost over a
// second an iteration). Polls, yielding the core between polls so oversubscribed ranks
// still progress; after 50 ms (a rank far behind) it falls back to Wait's sleeps.
void WaitEager(MPI_Request* request) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  int done = 0;
  while (Clock::now() - start < std::chrono::milliseconds(50)) {
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::yield();
  }
  Wait(request);
}

// Starts a non-blocking collective with `start` (which fills in the request) and waits.
template <typename Start>
void Blocking(Start start, void (*wait)(MPI_Request*) = Wait) {
  MPI_Request request;
  start(&request);
  wait(&request);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!UnderMpiLauncher()) {
    g_mpi = false;
    SetFatalHandler([](const std::string& message) {
      std::fprintf(stderr, "teamsrl: rank 0: fatal: %s\n", message.c_str());
      std::fflush(stderr);
      std::_Exit(70);
    });
    return;
  }
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(argc, argv);
  // A communication error is never recoverable here: abort the job rather than hang.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  SetFatalHandler([](const std::string& message) {
    std::fprintf(stderr, "teamsrl: rank %d: fatal: %s\n", WorldRank(), message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 70);
  });
}

MpiSession::~MpiSession() {
  SetFatalHandler(nullptr);
  if (!g_mpi) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm::Comm() {
  if (!g_mpi) return;  // rank 0 of 1
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void Comm::Barrier() const {
  if (size_ == 1) return;  // a world of one (with or without MPI) has nothing to exchange
  Blocking([](MPI_Request* r) { return MPI_Ibarrier(MPI_COMM_WORLD, r); });
}

void Comm::Broadcast(std::string& bytes) const {
  if (size_ == 1) return;
  unsigned long long n = bytes.size();
  Blocking([&](MPI_Request* r) {
    return MPI_Ibcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD, r);
  });
  bytes.resize(n);
  if (n > 0)
    Blocking([&](MPI_Request* r) {
      return MPI_Ibcast(bytes.data(), CheckedCount(n), MPI_BYTE, 0, MPI_COMM_WORLD, r);
    });
}

void Comm::Broadcast(std::vector<double>& values) const {
  if (size_ == 1) return;
  unsigned long long n = values.size();
  Blocking([&](MPI_Request* r) {
    return MPI_Ibcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD, r);
  });
  values.resize(n);
  if (n > 0)
    Blocking([&](MPI_Request* r) {
      return MPI_Ibcast(values.data(), CheckedCount(n), MPI_DOUBLE, 0, MPI_COMM_WORLD, r);
    });
}

std::vector<std::string> Comm::Gather(const std::string& local) const {
  if (size_ == 1) return {local};
  int n = CheckedCount(local.size());
  std::vector<int> counts(is_root() ? size_ : 0);
  Blocking([&](MPI_Request* r) {
    return MPI_Igather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, r);
  });
  std::vector<int> displs;
  std::string all;
  if (is_root()) {
    displs.resize(size_);
    size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[r] = CheckedCount(total);
      total += counts[r];
    }
    all.resize(total);
  }
  Blocking([&](MPI_Request* r) {
    return MPI_Igatherv(local.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(),
                        MPI_BYTE, 0, MPI_COMM_WORLD, r);
  });
  std::vector<std::string> out;
  if (is_root()) {
    out.reserve(size_);
    for (int r = 0; r < size_; ++r) out.push_back(all.substr(displs[r], counts[r]));
  }
  return out;
}

std::vector<std::string> Comm::AllGather(const std::string& local) const {
  if (size_ == 1) return {local};
  int n = CheckedCount(local.size());
  std::vector<int> counts(size_);
  Blocking([&](MPI_Request* r) {
    return MPI_Iallgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD, r);
  });
  std::vector<int> displs(size_);
  size_t total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[r] = CheckedCount(total);
    total += counts[r];
  }
  std::string all(total, '\0');
  Blocking([&](MPI_Request* r) {
    return MPI_Iallgatherv(local.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(),
                           MPI_BYTE, MPI_COMM_WORLD, r);
  });
  std::vector<std::string> out;
  out.reserve(size_);
  for (int r = 0; r < size_; ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

long long Comm::AllReduceMax(long long value) const {
  if (size_ == 1) return value;
  long long out = 0;
  Blocking([&](MPI_Request* r) {
    return MPI_Iallreduce(&value, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD, r);
  });
  return out;
}

long long Comm::AllReduceSum(long long value) const {
  if (size_ == 1) return value;
  long long out = 0;
  Blocking([&](MPI_Request* r) {
    return MPI_Iallreduce(&value, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD, r);
  });
  return out;
}

namespace {
void AllReduceInPlace(std::vector<long long>& values, MPI_Op op) {
  if (values.empty()) return;
  std::vector<long long> out(values.size());
  Blocking(
      [&](MPI_Request* r) {
        return MPI_Iallreduce(values.data(), out.data(), CheckedCount(values.size()), MPI_LONG_LONG,
                              op, MPI_COMM_WORLD, r);
      },
      WaitEager);
  values = std::move(out);
}
}  // namespace

void Comm::AllReduceSum(std::vector<long long>& values) const {
  if (size_ > 1) AllReduceInPlace(values, MPI_SUM);
}
void Comm::AllReduceMax(std::vector<long long>& values) const {
  if (size_ > 1) AllReduceInPlace(values, MPI_MAX);
}

std::vector<std::string> Comm::HostNames() const {
  if (!g_mpi) {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return {name};
  }
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  return AllGather(std::string(name, len));
}

void Comm::Abort(int exit_code) const {
  std::fflush(stdout);
  std::fflush(stderr);
  if (g_mpi) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace teamsrl::dist
