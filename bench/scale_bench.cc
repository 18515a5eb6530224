// Prints where a training iteration's time goes and what it moves, for either
// dist.aggregate mode (issue 15; README "Distributed learner"):
//   mpirun -np R build/bin/scale_bench --actors N --latency-ms L [--aggregate MODE]
//       [--algo trpo|ppo|reinforce] [--iterations K] [--block-actors B]
// runs the quickstart (the paper's network) with N actors over R ranks against the
// simulator at latency L and prints, from root: the median iteration wall time against the
// latency-bound ideal (episode_length x 2 calls x L: every actor's rewrite and review of a
// step run concurrently), root's median time in its own rollouts (policy, simulator and
// env), the gather, the learner, recording (staging the rows) and the file writes, and
// the bytes of one iteration (root's gather, one rank's share of the learner's
// reductions, the broadcast). The first iteration is left out (warm-up).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "dist/comm.h"
#include "pipeline/train.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int actors = 32;
  int latency_ms = 0;
  int iterations = 10;
  int block_actors = 1;
  std::string aggregate = "trajectories";
  std::string algo = "trpo";
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--actors") {
      a.actors = std::atoi(v.c_str());
    } else if (k == "--latency-ms") {
      a.latency_ms = std::atoi(v.c_str());
    } else if (k == "--iterations") {
      a.iterations = std::atoi(v.c_str());
    } else if (k == "--block-actors") {
      a.block_actors = std::atoi(v.c_str());
    } else if (k == "--aggregate") {
      a.aggregate = v;
    } else if (k == "--algo") {
      a.algo = v;
    } else {
      std::fprintf(stderr, "scale_bench: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape): a bench may abort
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  teamsrl::dist::Comm comm;
  const Args args = Parse(argc, argv);
  auto config =
      teamsrl::LoadConfig(TEAMSRL_SOURCE_DIR "/experiments/quickstart.yaml",
                          {"train.actors=" + std::to_string(args.actors),
                           "train.iterations=" + std::to_string(args.iterations + 1),
                           "llm.endpoints.sim.latency_ms=" + std::to_string(args.latency_ms),
                           "dist.aggregate=" + args.aggregate, "algo.type=" + args.algo,
                           "dist.block_actors=" + std::to_string(args.block_actors),
                           "train.checkpoint_every=0", "run.out_dir=/tmp/teamsrl_scale_bench"});
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  teamsrl::pipeline::TrainOptions options;
  options.overwrite = true;
  teamsrl::pipeline::Trainer trainer(*config, options, comm);
  teamsrl::Status st = trainer.Setup();
  std::vector<double> wall;
  while (st.ok() && !trainer.done()) {
    comm.Barrier();
    const auto t0 = Clock::now();
    st = trainer.Iteration();
    wall.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const teamsrl::pipeline::TrainOutcome outcome = trainer.Finish(st);
  if (!st.ok() || !outcome.error.ok()) {
    std::fprintf(stderr, "%s\n", (st.ok() ? outcome.error : st).ToString().c_str());
    return 1;
  }
  if (!comm.is_root()) return 0;
  wall.erase(wall.begin());
  std::vector<double> rollout, gather, learner, record, write;
  for (size_t i = 1; i < outcome.timings.size(); ++i) {
    rollout.push_back(outcome.timings[i].rollout_s);
    gather.push_back(outcome.timings[i].gather_s);
    learner.push_back(outcome.timings[i].learner_s);
    record.push_back(outcome.timings[i].record_s);
    write.push_back(outcome.timings[i].write_s);
  }
  const teamsrl::pipeline::IterationTiming& last = outcome.timings.back();
  const double ideal = config->env.episode_length * 2 * args.latency_ms * 1e-3;
  const double median = Median(wall);
  std::printf(
      "%s %s: %d actors on %d ranks (blocks of %d), latency %d ms: iteration median %.1f ms "
      "(min %.1f, max %.1f)",
      args.aggregate.c_str(), args.algo.c_str(), args.actors, comm.size(),
      config->dist.block_actors, args.latency_ms, 1e3 * median,
      1e3 * *std::min_element(wall.begin(), wall.end()),
      1e3 * *std::max_element(wall.begin(), wall.end()));
  if (ideal > 0) std::printf(", ideal %.0f ms = %.1f %%", 1e3 * ideal, 100.0 * ideal / median);
  std::printf(
      "\n  root: rollout %.1f ms, gather %.1f ms, learner %.1f ms, record %.1f ms, write %.1f "
      "ms; bytes/iteration: gathered %lld, reductions %lld per rank, broadcast %lld\n",
      1e3 * Median(rollout), 1e3 * Median(gather), 1e3 * Median(learner), 1e3 * Median(record),
      1e3 * Median(write), static_cast<long long>(last.gathered_bytes),
      static_cast<long long>(last.reduce_bytes), static_cast<long long>(last.broadcast_bytes));
  return 0;
}
