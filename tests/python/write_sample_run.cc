// Writes run files with known contents for the Python readers (check_sample_run.py):
//   OUT_DIR/sample.h5  a finished run with rows in every table, texts, two policies
//   OUT_DIR/killed.h5  a run whose writer was SIGKILLed after flushing 2 iterations
// The values are simple functions of the row index k; check_sample_run.py recomputes them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "io/run_file.h"

namespace {

using namespace teamsrl;      // NOLINT(google-build-using-namespace): a test program
using namespace teamsrl::io;  // NOLINT(google-build-using-namespace)

RootAttributes SampleAttributes() {
  RootAttributes a;
  a.run_name = "sample";
  a.command = "write_sample_run";
  a.config_yaml = "run:\n  name: sample\n  seed: 7\n";
  a.seed = 18446744073709551557ULL;  // needs all 64 bits, unsigned
  a.world_size = 2;
  a.actors = 3;
  a.hostnames = "alpha,beta";
  a.slurm_job_id = "1234";
  a.started_at = "2024-06-01T12:00:00Z";
  a.action_names = {"add_constraints",    "deepening",        "concretizing",
                    "increase_reasoning", "complicate_input", "breadth"};
  a.endpoint_names = {"sim", "local"};
  a.reason_names = {"kept", "unchanged", "refusal"};
  return a;
}

Status WriteSample(const std::string& path) {
  TEAMSRL_ASSIGN_OR_RETURN(RunFile run, RunFile::Create(path, SampleAttributes()));
  std::vector<IterationRow> iterations;
  for (int k = 0; k < 3; ++k) {
    IterationRow r;
    r.iteration = k;
    r.wall_s = 1.5 * (k + 1);
    r.episodes = 3;
    r.steps = 6;
    r.mean_return = 0.25 * k;
    r.std_return = 0.1;
    r.min_return = -1.0;
    r.max_return = 1.0 + k;
    r.policy_loss = -0.5 * k;
    r.value_loss = 0.125;
    r.kl = 0.001 * (k + 1);
    r.entropy = 1.75;
    r.step_size = 0.01;
    r.queries = 10 + k;
    r.prompt_tokens = 1000 * (k + 1);
    r.completion_tokens = 100 * (k + 1);
    r.cache_hits = k;
    r.failed_calls = k == 2 ? 1 : 0;
    iterations.push_back(r);
  }
  run.AppendIterations(iterations);

  std::vector<EpisodeRow> episodes;
  episodes.reserve(4);
  for (int k = 0; k < 4; ++k) episodes.push_back({k / 2, k % 3, k, 100 + k, 2, 0.5 * k, 4});
  run.AppendEpisodes(episodes);

  // Texts: step k has text_id 2k ("instruction k") and reply_id 2k + 1.
  std::vector<StepRow> steps;
  for (int k = 0; k < 6; ++k) {
    StepRow s;
    s.iteration = k / 2;
    s.actor = k % 3;
    s.episode = k / 2;
    s.t = k % 2;
    s.action = k;
    s.reward = 0.1 * k;
    s.logp = -1.0 - k;
    s.text_id = run.AddText("instruction " + std::to_string(k));
    s.reply_id = run.AddText(k % 2 == 0 ? "Equal" : "Not Equal");
    s.failed = k == 5;
    steps.push_back(s);
  }
  run.AppendSteps(steps);

  // Calls: roles 0,1,2,0,1; the last two failed (UNAVAILABLE, DEADLINE_EXCEEDED) with
  // error texts 12 and 13.
  const int32_t statuses[] = {0, 0, 0, static_cast<int32_t>(StatusCode::kUnavailable),
                              static_cast<int32_t>(StatusCode::kDeadlineExceeded)};
  const int32_t http[] = {200, 200, 200, 503, 0};
  const int32_t attempts[] = {1, 1, 1, 5, 2};
  std::vector<CallRow> calls;
  for (int k = 0; k < 5; ++k) {
    CallRow c;
    c.iteration = k / 2;
    c.actor = k % 3;
    c.role = k % 3;
    c.status = statuses[k];
    c.http_status = http[k];
    c.attempts = attempts[k];
    c.latency_ms = 12.5 * k;
    c.prompt_tokens = 100 + k;
    c.completion_tokens = 10 * k;
    c.cached = k == 1;
    c.endpoint = k % 2;
    c.error_id = -1;
    if (k == 3) c.error_id = run.AddText("HTTP 503 from local");
    if (k == 4) c.error_id = run.AddText("timeout after 120 s");
    calls.push_back(c);
  }
  run.AppendCalls(calls);
  const int64_t unicode_id = run.AddText("naïve café ✓");  // id 14
  if (unicode_id != 14) return Internal("unexpected text id " + std::to_string(unicode_id));

  std::vector<BudgetRow> budget;
  budget.reserve(4);
  for (int32_t role = 0; role < 4; ++role) {
    budget.push_back({role, 2 * (role + 1), 100 * (role + 1), 10 * (role + 1), 0.25 * role,
                      role == 3 ? 1000 : 0, 0, role == 3 ? 5.0 : 0.0});
  }
  TEAMSRL_RETURN_IF_ERROR(run.WriteBudget(budget));
  budget[3].queries = 99;  // rewritten whole: only the second version remains
  TEAMSRL_RETURN_IF_ERROR(run.WriteBudget(budget));

  run.AppendSamples({SampleRow{0, 100, 1, 2, 0, 1, 0, 0}, SampleRow{1, 101, 2, 4, 2, 3, 1, 2}});

  TEAMSRL_RETURN_IF_ERROR(run.WritePolicy("snapshot_000001", {0.0, 0.0, 0.0}, {}));
  TEAMSRL_RETURN_IF_ERROR(
      run.WritePolicy("final", {0.5, -1.5, 2.25},
                      {{"type", "categorical"}, {"hidden", "64,64"}, {"obs_dim", "8"}}));
  TEAMSRL_RETURN_IF_ERROR(run.SetAttribute("note", "sample run"));
  TEAMSRL_RETURN_IF_ERROR(run.SetAttribute("best_iteration", 2));
  TEAMSRL_RETURN_IF_ERROR(run.SetAttribute("best_return", 0.5));
  return run.Finish(io::RunStatus::kCompleted);
}

// In a child process: 2 iterations flushed, a third buffered, then SIGKILL.
Status WriteKilled(const std::string& path) {
  pid_t child = fork();
  if (child < 0) return Internal("fork failed");
  if (child == 0) {
    auto run = RunFile::Create(path, SampleAttributes());
    if (!run.ok()) _exit(2);
    for (int k = 0; k < 3; ++k) {
      IterationRow r;
      r.iteration = k;
      r.mean_return = 0.25 * k;
      run->AppendIterations({r});
      run->AddText("text " + std::to_string(k));
      if (k < 2 && !run->Flush().ok()) _exit(3);
    }
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return Internal("the killed writer ended otherwise, status " + std::to_string(status));
  }
  return OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (const Status& status : {WriteSample(dir + "/sample.h5"), WriteKilled(dir + "/killed.h5")}) {
    if (!status.ok()) {
      std::fprintf(stderr, "write_sample_run: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
