// Prints the figures of the training path (run under mpirun -np 2; see README "Benchmarks"):
//  1. environment steps per second per rank with the simulator at latency 0 (a step is a
//     rewrite call and a review call);
//  2. the learner's time per update (TRPO, paper network) for several batch sizes;
//  3. the wall time of one training iteration with 16 actors over the ranks and a
//     simulated latency of 50 ms, against the latency-bound ideal of
//     episode_length x 2 calls x 50 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/rng.h"
#include "dist/comm.h"
#include "env/instruction_env.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "llm/router.h"
#include "pipeline/train.h"
#include "rl/learner.h"
#include "rl/policy.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

teamsrl::Config LoadOrDie(const std::vector<std::string>& overrides) {
  auto config = teamsrl::LoadConfig(TEAMSRL_SOURCE_DIR "/experiments/paper_train.yaml", overrides);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    std::exit(1);
  }
  return *config;
}

double EnvStepsPerSecond(const teamsrl::dist::Comm& comm, int actors, int steps) {
  teamsrl::Config config = LoadOrDie({});
  auto actions = *teamsrl::evol::ActionSet::FromNames(config.env.actions);
  auto prompts = *teamsrl::evol::PromptSet::Load(config.env.prompts_dir, actions);
  auto made = teamsrl::llm::MakeRouter(config.llm, config.run.seed);
  std::unique_ptr<teamsrl::llm::Router> router = std::move(made).value();
  std::vector<int64_t> ids(actors);
  std::iota(ids.begin(), ids.end(), static_cast<int64_t>(comm.rank()) * actors);
  teamsrl::env::InstructionEnv env(
      {}, actions, prompts, *router, ids,
      std::vector<std::string>(actors, config.env.initial_instruction));
  teamsrl::Rng rng(comm.rank() + 1);
  std::vector<int> a(actors);
  const auto t0 = Clock::now();
  int done = 0;
  for (int s = 0; s < steps; ++s) {
    if (s % 6 == 0) env.Reset(s / 6);
    for (int& x : a) x = static_cast<int>(rng.UniformInt(actions.size()));
    done += static_cast<int>(env.Step(a).size());
  }
  return done / Seconds(t0, Clock::now());
}

void LearnerTimes() {
  teamsrl::Config config = LoadOrDie({});
  for (int steps : {6, 48, 192, 1536}) {
    auto policy = teamsrl::rl::MakePolicy(config.policy, 6, 6, 543);
    auto learner = teamsrl::rl::MakeLearner(config.algo, config.policy, 6, 543);
    teamsrl::Rng rng(7);
    teamsrl::rl::Batch b;
    b.obs = Eigen::MatrixXd::Zero(steps, 6);
    b.rewards.resize(steps);
    b.masks.resize(steps);
    b.logp_old.resize(steps);
    for (int i = 0; i < steps; ++i) {
      if (i % 6 != 0) b.obs(i, b.actions.back()) = 1.0;
      auto s = policy->Act(b.obs.row(i).transpose(), rng);
      b.actions.push_back(s.action);
      b.logp_old[i] = s.log_prob;
      b.rewards[i] = rng.Uniform() < 0.5 ? 1.0 : 0.0;
      b.masks[i] = i % 6 == 5 ? 0.0 : 1.0;
    }
    const int reps = 20;
    const auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) (void)learner->Update(*policy, b);
    std::printf("learner: TRPO update, batch %5d steps: %8.3f ms\n", steps,
                1e3 * Seconds(t0, Clock::now()) / reps);
  }
}

}  // namespace

int main(int argc, char** argv) {
  teamsrl::dist::MpiSession mpi(&argc, &argv);
  teamsrl::dist::Comm comm;

  // 1. Environment throughput, every rank at once (as in a run).
  comm.Barrier();
  const double sps = EnvStepsPerSecond(comm, 64, 1200);
  std::vector<std::string> all = comm.Gather(std::to_string(sps));
  if (comm.is_root()) {
    for (int r = 0; r < comm.size(); ++r) {
      std::printf("env: rank %d: %.0f steps/s (64 actors, sim latency 0; target >= 20000)\n", r,
                  std::stod(all[r]));
    }
    // 2. Learner.
    LearnerTimes();
  }
  comm.Barrier();

  // 3. One iteration, 16 actors over the ranks, 50 ms simulated latency.
  const int iterations = 6;
  teamsrl::Config config =
      LoadOrDie({"train.actors=16", "train.iterations=" + std::to_string(iterations),
                 "llm.endpoints.sim.latency_ms=50", "run.out_dir=/tmp/teamsrl_train_bench"});
  teamsrl::pipeline::TrainOptions options;
  options.overwrite = true;
  auto outcome = teamsrl::pipeline::RunTrain(config, options, comm);
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s\n", outcome.status().ToString().c_str());
    return 1;
  }
  if (comm.is_root()) {
    const double ideal = config.env.episode_length * 2 * 0.050;
    std::vector<double> s = outcome->iteration_seconds;
    std::sort(s.begin(), s.end());
    const double median = s[s.size() / 2];
    std::printf(
        "iteration: 16 actors on %d ranks, latency 50 ms: median %.1f ms, min %.1f, max "
        "%.1f; ideal %.0f ms; overhead %.1f%% (target <= 15%%)\n",
        comm.size(), 1e3 * median, 1e3 * s.front(), 1e3 * s.back(), 1e3 * ideal,
        100.0 * (median / ideal - 1.0));
  }
  return 0;
}
