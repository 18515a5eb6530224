// End-to-end call rate of `teamsrl train` against an OpenAI-compatible server (issue 3,
// "What it must show"): 32 actors on one rank, the fake server answering every call after
// 100 ms, 10 iterations of the quickstart. Ideal: every actor always has one call in
// flight, so 32 calls per 100 ms. Achieved: the server's completions over the wall time
// of the whole `teamsrl train` process, start-up, learner steps and run-file writes
// included. Target: >= 90 %.
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

int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape): a bench may abort
  int actors = 32, iterations = 10;
  double latency_ms = 100.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--actors") actors = std::atoi(argv[i + 1]);
    if (flag == "--iterations") iterations = std::atoi(argv[i + 1]);
    if (flag == "--latency-ms") latency_ms = std::atof(argv[i + 1]);
  }
  teamsrl::llm::testing::FakeOpenAiServer server;
  if (!server.Start({"--latency-ms", std::to_string(latency_ms)})) {
    std::fprintf(stderr, "fake server: %s\n", server.error().c_str());
    return 1;
  }
  const std::string out =
      (std::filesystem::temp_directory_path() / ("train_http_bench_" + std::to_string(getpid())))
          .string();
  const std::vector<std::string> args = {
      TeamsrlBinary(),
      "train",
      std::string(TEAMSRL_SOURCE_DIR) + "/experiments/quickstart.yaml",
      "--out",
      out,
      "--quiet",
      "--overwrite",
      "--set",
      "train.actors=" + std::to_string(actors),
      "--set",
      "train.iterations=" + std::to_string(iterations),
      "--set",
      "llm.endpoints.fake={backend: openai, base_url: '" + server.base_url() +
          "', model: fake-1, max_concurrency: 256}",
      "--set",
      "llm.roles.rewriter=fake",
      "--set",
      "llm.roles.reviewer=fake"};
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
  return 0;
}
