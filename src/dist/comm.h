// The MPI wrapper: the only place that talks to MPI. Ranks host logical actors; root
// (rank 0) gathers their results in rank order, which is actor order (see layout.h),
// so every reduction happens in a fixed order whatever the number of ranks.
#pragma once

#include <string>
#include <vector>

namespace teamsrl::dist {

// Owns MPI_Init/MPI_Finalize for the process (move-only, one per process). Installs a
// fatal handler so a failed check on any rank aborts the whole job naming the rank,
// instead of leaving the other ranks waiting in a collective.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

class Comm {
 public:
  Comm();  // MPI_COMM_WORLD
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  void Barrier() const;
  // Root's bytes replace every other rank's.
  void Broadcast(std::string& bytes) const;
  void Broadcast(std::vector<double>& values) const;
  // Root receives every rank's bytes in rank order; other ranks get an empty vector.
  std::vector<std::string> Gather(const std::string& local) const;
  // Every rank receives every rank's bytes in rank order.
  std::vector<std::string> AllGather(const std::string& local) const;
  long long AllReduceMax(long long value) const;
  long long AllReduceSum(long long value) const;
  // Element-wise integer sum over the ranks, in place: exact, so the result does not
  // depend on the reduction's order (dist/exact_reduce.h builds on it).
  // The vector forms wait by polling (yielding the core), not sleeping: they serve the
  // distributed learner, whose ranks reach each reduction together.
  void AllReduceSum(std::vector<long long>& values) const;
  void AllReduceMax(std::vector<long long>& values) const;  // element-wise, in place
  // Each rank's host name, in rank order (collective).
  std::vector<std::string> HostNames() const;

  // Ends every rank of the job at once; for errors only this rank has seen.
  [[noreturn]] void Abort(int exit_code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace teamsrl::dist
