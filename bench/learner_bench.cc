// Times one learner update of the rl layer (TRPO by default) on the paper's shapes: a
// 6-64-64-6 policy, batches of 6 to 200 steps in 6-step episodes. Prints a table of
// milliseconds per update (wall mean, wall min, CPU mean).
//   learner_bench [repetitions]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/rng.h"
#include "rl/learner.h"
#include "rl/policy.h"

namespace {

using teamsrl::Rng;
using teamsrl::rl::AlgoConfig;
using teamsrl::rl::PolicyConfig;
namespace rl = teamsrl::rl;

rl::Batch MakeBatch(const rl::Policy& policy, Rng& rng, int steps) {
  rl::Batch batch;
  batch.obs = Eigen::MatrixXd::Zero(steps, 6);
  batch.rewards.resize(steps);
  batch.masks.resize(steps);
  batch.logp_old.resize(steps);
  int last = -1;
  for (int i = 0; i < steps; ++i) {
    if (last >= 0 && i % 6 != 0) batch.obs(i, last) = 1.0;  // one-hot of the last action
    const rl::ActionSample s = policy.Act(batch.obs.row(i).transpose(), rng);
    batch.actions.push_back(s.action);
    batch.logp_old[i] = s.log_prob;
    batch.rewards[i] = rng.Uniform() < 0.3 + 0.1 * s.action ? 1.0 : 0.0;
    batch.masks[i] = (i % 6 == 5 || i == steps - 1) ? 0.0 : 1.0;
    last = (i % 6 == 5) ? -1 : s.action;
  }
  return batch;
}

// CPU time of this thread in ms: robust to other processes competing for the cores.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 50;
  std::printf("%-10s %-16s %6s %10s %10s %10s\n", "algo", "policy", "steps", "wall_mean",
              "wall_min", "cpu_mean");
  for (const std::string algo_type : {"trpo", "ppo", "reinforce"}) {
    for (const std::string policy_type : {"gaussian_argmax", "categorical"}) {
      for (int steps : {6, 48, 200}) {
        rl::PolicyConfig pc;
        pc.type = *teamsrl::EnumFromName<rl::PolicyType>(policy_type);
        rl::AlgoConfig algo;
        algo.type = *teamsrl::EnumFromName<rl::AlgoType>(algo_type);
        auto policy = rl::MakePolicy(pc, 6, 6, 543);
        auto learner = rl::MakeLearner(algo, pc, 6, 543);
        Rng rng(1);
        double total = 0.0, best = 1e300, cpu = 0.0;
        for (int r = 0; r < reps; ++r) {
          const rl::Batch batch = MakeBatch(*policy, rng, steps);
          const double c0 = ThreadCpuMs();
          const auto t0 = std::chrono::steady_clock::now();
          learner->Update(*policy, batch);
          const auto t1 = std::chrono::steady_clock::now();
          cpu += ThreadCpuMs() - c0;
          const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
          total += ms;
          best = std::min(best, ms);
        }
        std::printf("%-10s %-16s %6d %10.3f %10.3f %10.3f\n", algo_type.c_str(),
                    policy_type.c_str(), steps, total / reps, best, cpu / reps);
      }
    }
  }
  return 0;
}
