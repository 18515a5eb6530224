// End-to-end call rate of `teamsrl train` against an OpenAI-compatible server (issue 3,
// "What it must show"): 32 actors on one rank, the fake server answering every call after
// 100 ms, 10 iterations of the quickstart. Ideal: every actor always has one call in
// flight, so 32 calls per 100 ms. Achieved: the server's completions over the wall time
// of the whole `teamsrl train` process, start-up, learner steps and run-file writes
// included. Target: >= 90 %.
// Then the same calls without training (issue 15): this program again, as a process that
// only steps the quickstart's environment (the same prompts, the same lockstep: every
// actor's rewrite, then its review, every actor before the next step) with uniform
// actions, against the same server; the ratio of the two whole-process wall times is what
// the learner, the recording and the run file cost. Target: within 3 %.
//
//   build/bin/train_http_bench [--actors N] [--iterations N] [--latency-ms MS]
// Finds `teamsrl` next to itself (or $TEAMSRL_BIN).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../tests/llm/openai/openai_fake_server.h"
#include "config/config.h"
#include "core/rng.h"
#include "env/instruction_env.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "llm/router.h"

namespace {

std::string TeamsrlBinary() {
  if (const char* b = std::getenv("TEAMSRL_BIN"); b != nullptr) return b;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "teamsrl").string();
}

int Run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  argv.reserve(copy.size() + 1);
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::vector<std::string> EndpointOverrides(const std::string& base_url, int actors,
                                           int iterations) {
  return {"train.actors=" + std::to_string(actors),
          "train.iterations=" + std::to_string(iterations),
          "llm.endpoints.fake={backend: openai, base_url: '" + base_url +
              "', model: fake-1, max_concurrency: 256}",
          "llm.roles.rewriter=fake", "llm.roles.reviewer=fake"};
}

// The calls-only client: train's rollouts without the learner, recording or run file.
int CallsOnly(const std::string& base_url, int actors, int iterations) {
  auto config = teamsrl::LoadConfig(TEAMSRL_SOURCE_DIR "/experiments/quickstart.yaml",
                                    EndpointOverrides(base_url, actors, iterations));
  if (!config.ok()) return 1;
  auto actions = teamsrl::evol::ActionSet::FromNames(config->env.actions);
  auto prompts = teamsrl::evol::PromptSet::Load(config->env.prompts_dir, *actions);
  auto router = teamsrl::llm::MakeRouter(config->llm, config->run.seed);
  if (!actions.ok() || !prompts.ok() || !router.ok()) return 1;
  teamsrl::env::EnvOptions options;
  options.episode_length = config->env.episode_length;
  options.rewriter_sampling = teamsrl::llm::SamplingFor(config->llm, teamsrl::llm::Role::kRewriter);
  options.reviewer_sampling = teamsrl::llm::SamplingFor(config->llm, teamsrl::llm::Role::kReviewer);
  std::vector<int64_t> ids(static_cast<size_t>(actors));
  for (int a = 0; a < actors; ++a) ids[static_cast<size_t>(a)] = a;
  teamsrl::env::InstructionEnv env(
      options, *actions, *prompts, **router, ids,
      std::vector<std::string>(ids.size(), config->env.initial_instruction));
  teamsrl::Rng rng(1);
  std::vector<int> chosen(ids.size());
  for (int it = 0; it < iterations; ++it) {
    env.Reset(it);
    for (int t = 0; t < options.episode_length; ++t) {
      for (int& a : chosen) a = static_cast<int>(rng.UniformInt(actions->size()));
      (void)env.Step(chosen);
    }
  }
  return 0;
}

int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape): a bench may abort
  int actors = 32, iterations = 10;
  double latency_ms = 100.0;
  std::string calls_only_url;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--actors") actors = std::atoi(argv[i + 1]);
    if (flag == "--iterations") iterations = std::atoi(argv[i + 1]);
    if (flag == "--latency-ms") latency_ms = std::atof(argv[i + 1]);
    if (flag == "--calls-only-url") calls_only_url = argv[i + 1];
  }
  if (!calls_only_url.empty()) return CallsOnly(calls_only_url, actors, iterations);
  teamsrl::llm::testing::FakeOpenAiServer server;
  if (!server.Start({"--latency-ms", std::to_string(latency_ms)})) {
    std::fprintf(stderr, "fake server: %s\n", server.error().c_str());
    return 1;
  }
  const std::string out =
      (std::filesystem::temp_directory_path() / ("train_http_bench_" + std::to_string(getpid())))
          .string();
  std::vector<std::string> args = {
      TeamsrlBinary(), "train", std::string(TEAMSRL_SOURCE_DIR) + "/experiments/quickstart.yaml",
      "--out",         out,     "--quiet",
      "--overwrite"};
  for (const std::string& o : EndpointOverrides(server.base_url(), actors, iterations)) {
    args.emplace_back("--set");
    args.push_back(o);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = Run(args);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(out);
  if (rc != 0) {
    std::fprintf(stderr, "teamsrl train exited with %d\n", rc);
    return 1;
  }
  const nlohmann::json stats = nlohmann::json::parse(server.StatsJson(), nullptr, false);
  const double calls = stats.value("completions", 0.0);
  const double late_ms = stats.value("late_ms_total", 0.0);
  const double ideal_rate = actors * 1000.0 / latency_ms;
  const double rate = calls / wall;
  std::printf("train over HTTP: %d actors, 1 rank, %d iterations, %.0f ms latency\n", actors,
              iterations, latency_ms);
  std::printf("  calls %.0f in %.2f s (start-up included): %.1f calls/s, ideal %.1f: %.1f %%\n",
              calls, wall, rate, ideal_rate, 100.0 * rate / ideal_rate);
  std::printf("  server timer lateness: %.2f ms per call (server not the bottleneck if ~0)\n",
              calls > 0 ? late_ms / calls : 0.0);
  const auto c0 = std::chrono::steady_clock::now();
  const int calls_rc = Run({std::filesystem::read_symlink("/proc/self/exe").string(), "--actors",
                            std::to_string(actors), "--iterations", std::to_string(iterations),
                            "--calls-only-url", server.base_url()});
  const double calls_wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  if (calls_rc != 0) {
    std::fprintf(stderr, "the calls-only client exited with %d\n", calls_rc);
    return 1;
  }
  std::printf(
      "  the same calls without training (a process that only steps the environment): %.2f "
      "s; train takes %.1f %% longer (target <= 3 %%)\n",
      calls_wall, 100.0 * (wall / calls_wall - 1.0));
  return 0;
}
