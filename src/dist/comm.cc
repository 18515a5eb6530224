#include "dist/comm.h"

#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "core/check.h"

namespace teamsrl::dist {
namespace {

int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// MPI counts are int; our messages are far below 2 GiB, but say so if one is not.
int CheckedCount(size_t n) {
  TEAMSRL_CHECK(n <= static_cast<size_t>(INT_MAX)) << "MPI message too large: " << n;
  return static_cast<int>(n);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
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
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm::Comm() {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void Comm::Barrier() const { MPI_Barrier(MPI_COMM_WORLD); }

void Comm::Broadcast(std::string& bytes) const {
  unsigned long long n = bytes.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  bytes.resize(n);
  if (n > 0) MPI_Bcast(bytes.data(), CheckedCount(n), MPI_BYTE, 0, MPI_COMM_WORLD);
}

void Comm::Broadcast(std::vector<double>& values) const {
  unsigned long long n = values.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  values.resize(n);
  if (n > 0) MPI_Bcast(values.data(), CheckedCount(n), MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

std::vector<std::string> Comm::Gather(const std::string& local) const {
  int n = CheckedCount(local.size());
  std::vector<int> counts(is_root() ? size_ : 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
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
  MPI_Gatherv(local.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0,
              MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (is_root()) {
    out.reserve(size_);
    for (int r = 0; r < size_; ++r) out.push_back(all.substr(displs[r], counts[r]));
  }
  return out;
}

std::vector<std::string> Comm::AllGather(const std::string& local) const {
  int n = CheckedCount(local.size());
  std::vector<int> counts(size_);
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<int> displs(size_);
  size_t total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[r] = CheckedCount(total);
    total += counts[r];
  }
  std::string all(total, '\0');
  MPI_Allgatherv(local.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                 MPI_COMM_WORLD);
  std::vector<std::string> out;
  out.reserve(size_);
  for (int r = 0; r < size_; ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

long long Comm::AllReduceMax(long long value) const {
  long long out = 0;
  MPI_Allreduce(&value, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

long long Comm::AllReduceSum(long long value) const {
  long long out = 0;
  MPI_Allreduce(&value, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

std::vector<std::string> Comm::HostNames() const {
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  return AllGather(std::string(name, len));
}

void Comm::Abort(int exit_code) const {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace teamsrl::dist
