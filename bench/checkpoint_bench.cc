// Prints the cost of a training checkpoint (README "Benchmarks"; issue 11's target: under
// 1 % of an iteration with 100 ms simulated latency). For the paper preset (1 actor) and
// for 512 actors: trains one iteration with the real Trainer at 100 ms latency (so the
// checkpoint holds real parameters, actor states and carried-over instructions), then
// times WriteCheckpoint (encode, temporary file, fsync, rename) of that checkpoint 20
// times and prints its size, the median write time and its share of the iteration.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "dist/comm.h"
#include "pipeline/checkpoint.h"
#include "pipeline/train.h"

namespace {

using Clock = std::chrono::steady_clock;

void Measure(const teamsrl::dist::Comm& comm, const char* label, int actors) {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/teamsrl_ckpt_bench_" +
                          std::to_string(actors);
  std::filesystem::remove_all(dir);
  auto config = teamsrl::LoadConfig(TEAMSRL_SOURCE_DIR "/experiments/paper_train.yaml",
                                    {"train.iterations=1", "train.actors=" + std::to_string(actors),
                                     "llm.endpoints.sim.latency_ms=100", "train.snapshot_every=0"});
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    std::exit(1);
  }
  teamsrl::pipeline::TrainOptions options;
  options.out_dir = dir;
  teamsrl::pipeline::Trainer trainer(*config, options, comm);
  if (!trainer.Setup().ok()) std::exit(1);
  const auto start = Clock::now();
  const teamsrl::Status run = trainer.Iteration();  // its checkpoint included
  const double iteration_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!run.ok() || trainer.Finish(run).status != teamsrl::io::RunStatus::kCompleted) {
    std::fprintf(stderr, "training failed\n");
    std::exit(1);
  }
  if (!comm.is_root()) return;
  const std::string path = dir + "/" + teamsrl::pipeline::kCheckpointFile;
  auto checkpoint = teamsrl::pipeline::ReadCheckpoint(path);
  if (!checkpoint.ok()) {
    std::fprintf(stderr, "%s\n", checkpoint.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = Clock::now();
    if (!teamsrl::pipeline::WriteCheckpoint(path, *checkpoint).ok()) std::exit(1);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "%-13s actors %4d  checkpoint %8.1f KiB  write median %6.2f ms (max %6.2f)  "
      "iteration %7.1f ms  share %.3f %%\n",
      label, actors, static_cast<double>(std::filesystem::file_size(path)) / 1024.0,
      ms[ms.size() / 2], ms.back(), iteration_ms, 100.0 * ms[ms.size() / 2] / iteration_ms);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  teamsrl::dist::Comm comm;
  Measure(comm, "paper preset", 1);
  Measure(comm, "512 actors", 512);
  return 0;
}
