#include "pipeline/train.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "core/bytes.h"
#include "core/check.h"
#include "core/rng.h"
#include "core/version.h"
#include "dist/layout.h"
#include "env/instruction_env.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "io/run_file.h"
#include "llm/router.h"
#include "pipeline/actor_record.h"
#include "pipeline/budget.h"
#include "pipeline/progress.h"
#include "pipeline/run_info.h"
#include "rl/learner.h"
#include "rl/policy.h"
#include "rl/running_mean_std.h"

namespace teamsrl::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// TEAMSRL_FAULT="rank=R,iteration=I": rank R fails in the middle of iteration I. Lets the
// tests prove that one rank's failure ends the whole job with a clear message.
struct FaultInjection {
  int rank = -1;
  int iteration = -1;
};

FaultInjection ReadFaultInjection() {
  FaultInjection f;
  const std::string env = EnvOr("TEAMSRL_FAULT");
  if (!env.empty() &&
      std::sscanf(env.c_str(), "rank=%d,iteration=%d", &f.rank, &f.iteration) != 2) {
    f = FaultInjection{};
  }
  return f;
}

// What root sends to every rank after an update.
struct Control {
  bool stop = false;
  bool budget_exhausted = false;  // a clean stop: the run's query/token/cost cap was reached
  std::string error;
  std::vector<double> policy_params;
  std::vector<double> filter_state;
};

std::string EncodeControl(const Control& c) {
  ByteWriter w;
  w.Put<int8_t>(c.stop ? 1 : 0);
  w.Put<int8_t>(c.budget_exhausted ? 1 : 0);
  w.PutString(c.error);
  w.PutVector(c.policy_params);
  w.PutVector(c.filter_state);
  return w.Take();
}

Control DecodeControl(const std::string& bytes) {
  ByteReader r(bytes);
  Control c;
  c.stop = r.Get<int8_t>() != 0;
  c.budget_exhausted = r.Get<int8_t>() != 0;
  c.error = r.GetString();
  c.policy_params = r.GetVector<double>();
  c.filter_state = r.GetVector<double>();
  return c;
}

Eigen::VectorXd ToEigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}
std::vector<double> ToStd(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

// The learner's batch: every actor's steps in actor order, episodes contiguous.
rl::Batch BuildBatch(const std::vector<ActorRecord>& actors, int obs_dim, int episode_length) {
  size_t n = 0;
  for (const ActorRecord& a : actors) n += a.steps.size();
  rl::Batch b;
  b.obs.resize(static_cast<Eigen::Index>(n), obs_dim);
  b.actions.reserve(n);
  b.rewards.resize(static_cast<Eigen::Index>(n));
  b.masks.resize(static_cast<Eigen::Index>(n));
  b.logp_old.resize(static_cast<Eigen::Index>(n));
  Eigen::Index row = 0;
  for (const ActorRecord& a : actors) {
    for (const StepRecord& s : a.steps) {
      b.obs.row(row) = ToEigen(s.obs).transpose();
      b.actions.push_back(s.action);
      b.rewards[row] = s.reward;
      b.masks[row] = s.t == episode_length - 1 ? 0.0 : 1.0;
      b.logp_old[row] = s.logp;
      ++row;
    }
  }
  return b;
}

// Root: appends one iteration's steps, episodes and calls; returns the iteration row.
io::IterationRow RecordIteration(io::RunFile& file, int iteration,
                                 const std::vector<ActorRecord>& actors,
                                 const evol::ActionSet& actions, int episode_length,
                                 Totals* totals) {
  io::IterationRow row;
  row.iteration = iteration;
  std::vector<double> returns;
  std::vector<io::StepRow> step_rows;
  std::vector<io::EpisodeRow> episode_rows;
  std::vector<io::CallRow> call_rows;
  for (const ActorRecord& a : actors) {
    double ret = 0.0;
    int64_t queries = 0;
    for (const StepRecord& st : a.steps) {
      io::StepRow sr;
      sr.iteration = iteration;
      sr.actor = a.actor;
      sr.episode = st.episode;
      sr.t = st.t;
      sr.action = static_cast<int32_t>(actions.at(st.action));
      sr.reward = st.reward;
      sr.logp = st.logp;
      sr.text_id = file.AddText(st.instruction);
      sr.reply_id = st.reply.empty() ? -1 : file.AddText(st.reply);
      sr.failed = st.failed;
      step_rows.push_back(sr);
      ret += st.reward;
      queries += st.queries;
      ++row.steps;
      if (st.t == episode_length - 1) {
        io::EpisodeRow er;
        er.iteration = iteration;
        er.actor = a.actor;
        er.episode = st.episode;
        er.seed_index = 0;
        er.length = episode_length;
        er.return_ = ret;
        er.queries = queries;
        episode_rows.push_back(er);
        returns.push_back(ret);
        ret = 0.0;
        queries = 0;
        ++row.episodes;
      }
    }
    for (const CallRecord& c : a.calls) {
      io::CallRow cr;
      cr.iteration = iteration;
      cr.actor = a.actor;
      cr.role = c.role;
      cr.status = c.status;
      cr.http_status = c.http_status;
      cr.attempts = c.attempts;
      cr.latency_ms = c.latency_ms;
      cr.prompt_tokens = c.prompt_tokens;
      cr.completion_tokens = c.completion_tokens;
      cr.cached = c.cached;
      cr.endpoint = c.role;  // the run file's endpoint table lists the roles' endpoints
      cr.error_id = c.error.empty() ? -1 : file.AddText(c.error);
      call_rows.push_back(cr);
      ++row.queries;
      row.prompt_tokens += c.prompt_tokens;
      row.completion_tokens += c.completion_tokens;
      row.cache_hits += c.cached;
      row.failed_calls += c.status != 0 ? 1 : 0;
      totals->queries[c.role] += 1;
      totals->prompt_tokens[c.role] += c.prompt_tokens;
      totals->completion_tokens[c.role] += c.completion_tokens;
    }
  }
  file.AppendSteps(step_rows);
  file.AppendEpisodes(episode_rows);
  file.AppendCalls(call_rows);
  if (!returns.empty()) {
    double sum = 0.0;
    for (double r : returns) sum += r;
    const auto n = static_cast<double>(returns.size());
    row.mean_return = sum / n;
    double ss = 0.0;
    for (double r : returns) ss += (r - row.mean_return) * (r - row.mean_return);
    row.std_return = returns.size() > 1 ? std::sqrt(ss / (n - 1.0)) : 0.0;
    row.min_return = *std::min_element(returns.begin(), returns.end());
    row.max_return = *std::max_element(returns.begin(), returns.end());
  }
  return row;
}

// Collects one iteration on this rank: episodes_per_actor episodes of every local actor.
// Throws std::runtime_error on a local failure (caught by the caller and reported).
std::vector<ActorRecord> Rollout(const Config& config, int iteration, env::InstructionEnv& env,
                                 const rl::Policy& policy, const rl::RunningMeanStd& filter,
                                 std::vector<Rng>& actor_rngs, const std::vector<int64_t>& ids,
                                 bool inject_fault) {
  const int n = env.num_actors();
  std::vector<ActorRecord> records(n);
  for (int i = 0; i < n; ++i) records[i].actor = ids[i];
  const int T = config.env.episode_length;
  for (int ep = 0; ep < config.train.episodes_per_actor; ++ep) {
    const int64_t episode = static_cast<int64_t>(iteration) * config.train.episodes_per_actor + ep;
    env.Reset(episode);
    for (int t = 0; t < T; ++t) {
      if (inject_fault && ep == 0 && t == T / 2) {
        throw std::runtime_error(
            fmt::format("injected fault (TEAMSRL_FAULT) in iteration {}", iteration));
      }
      std::vector<int> actions(n);
      std::vector<StepRecord> steps(n);
      for (int i = 0; i < n; ++i) {
        StepRecord& s = steps[i];
        s.raw_obs = env.Observation(i);
        const Eigen::VectorXd obs = filter.Normalize(ToEigen(s.raw_obs));
        s.obs = ToStd(obs);
        const rl::ActionSample a = policy.Act(obs, actor_rngs[i]);
        actions[i] = a.action;
        s.logp = a.log_prob;
        s.episode = episode;
        s.t = t;
      }
      std::vector<env::ActorStep> outcomes = env.Step(actions);
      for (int i = 0; i < n; ++i) {
        StepRecord& s = steps[i];
        env::ActorStep& o = outcomes[i];
        s.action = o.action;
        s.reward = o.reward;
        s.failed = o.failed ? 1 : 0;
        s.queries = static_cast<int32_t>(o.calls.size());
        s.instruction = std::move(o.instruction);
        s.reply = std::move(o.reply);
        for (const llm::Completion& c : o.calls) records[i].calls.push_back(ToCallRecord(c));
        records[i].steps.push_back(std::move(s));
      }
    }
  }
  return records;
}

// Every rank's setup status -> the first failure (by rank) on every rank, or OK.
Status AgreeOnStatus(const dist::Comm& comm, const Status& local) {
  ByteWriter w;
  w.Put<int32_t>(static_cast<int32_t>(local.code()));
  w.PutString(local.message());
  for (const std::string& bytes : comm.AllGather(w.Take())) {
    ByteReader r(bytes);
    const auto code = static_cast<StatusCode>(r.Get<int32_t>());
    if (code != StatusCode::kOk) return Status(code, r.GetString());
  }
  return OkStatus();
}

Status CheckOutputFile(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !overwrite) {
    return FailedPrecondition(
        fmt::format("{} exists; pass --overwrite to replace it, or choose another --out", path));
  }
  return OkStatus();
}

}  // namespace

Result<TrainOutcome> RunTrain(const Config& config, const TrainOptions& options,
                              const dist::Comm& comm) {
  const std::string out_dir = options.out_dir.empty() ? config.run.out_dir : options.out_dir;
  const std::string run_path = (std::filesystem::path(out_dir) / "run.h5").string();

  // Setup can fail on one rank only (a file system hiccup, a cache directory): agree on
  // the outcome before the first collective, so no rank waits for one that has left.
  Result<evol::ActionSet> actions_or = evol::ActionSet::FromNames(config.env.actions);
  Result<evol::PromptSet> prompts_or =
      actions_or.ok() ? evol::PromptSet::Load(config.env.prompts_dir, *actions_or)
                      : Result<evol::PromptSet>(actions_or.status());
  Result<evol::MatchMode> match_or = evol::MatchModeFromName(config.env.reward.match);
  Result<std::unique_ptr<llm::Router>> router_or = llm::MakeRouter(config.llm, config.run.seed);
  Status local = !actions_or.ok()   ? actions_or.status()
                 : !prompts_or.ok() ? prompts_or.status()
                 : !match_or.ok()   ? match_or.status()
                                    : router_or.status();
  TEAMSRL_RETURN_IF_ERROR(AgreeOnStatus(comm, local));
  const evol::ActionSet actions = std::move(actions_or).value();
  const evol::PromptSet prompts = std::move(prompts_or).value();
  const evol::MatchMode match = *match_or;
  std::unique_ptr<llm::Router> router = std::move(router_or).value();

  // Root alone knows whether it can write; share the verdict so no rank runs on alone.
  std::optional<io::RunFile> file;
  std::string open_error;
  const std::vector<std::string> hosts = comm.HostNames();
  if (comm.is_root()) {
    if (Status st = CheckOutputFile(run_path, options.overwrite); !st.ok()) {
      open_error = st.message();
    }
  }
  if (comm.is_root() && open_error.empty()) {
    io::RootAttributes attrs;
    attrs.teamsrl_version = std::string(Version());
    attrs.git_describe = std::string(GitDescribe());
    attrs.command = options.command;
    attrs.config_yaml = config.resolved_yaml;
    attrs.run_name = config.run.name;
    attrs.seed = config.run.seed;
    attrs.world_size = comm.size();
    attrs.actors = config.train.actors;
    std::string joined;
    for (const std::string& h : hosts) joined += (joined.empty() ? "" : ",") + h;
    attrs.hostnames = joined;
    attrs.slurm_job_id = EnvOr("SLURM_JOB_ID");
    attrs.slurm_array_task_id = EnvOr("SLURM_ARRAY_TASK_ID");
    attrs.started_at = UtcNow();
    attrs.action_names = evol::ActionNames();
    attrs.endpoint_names = llm::EndpointNamesByRole(config.llm);
    Result<io::RunFile> created = io::RunFile::Create(run_path, attrs);
    if (created.ok()) {
      file.emplace(std::move(created).value());
    } else {
      open_error = created.status().ToString();
    }
  }
  comm.Broadcast(open_error);
  if (!open_error.empty()) return FailedPrecondition(open_error);

  // Local actors, their RNG streams and the environment.
  const dist::ActorRange range = dist::LocalActors(config.train.actors, comm.size(), comm.rank());
  std::vector<int64_t> ids;
  std::vector<Rng> actor_rngs;
  for (int a = range.begin; a < range.end; ++a) {
    ids.push_back(a);
    actor_rngs.push_back(Rng::ForStream(config.run.seed, StreamKind::kActor, a));
  }
  env::EnvOptions env_options;
  env_options.episode_length = config.env.episode_length;
  env_options.carry_over = config.env.carry_over;
  env_options.match = match;
  env_options.query_cost = config.env.reward.query_cost;
  env_options.rewriter_sampling = llm::SamplingFor(config.llm, llm::Role::kRewriter);
  env_options.reviewer_sampling = llm::SamplingFor(config.llm, llm::Role::kReviewer);
  env::InstructionEnv env(env_options, actions, prompts, *router, ids,
                          std::vector<std::string>(ids.size(), config.env.initial_instruction));

  const int obs_dim = env.obs_dim();
  std::unique_ptr<rl::Policy> policy =
      rl::MakePolicy(config.policy, obs_dim, actions.size(), config.run.seed);
  std::unique_ptr<rl::Learner> learner;
  if (comm.is_root()) {
    learner = rl::MakeLearner(config.algo, config.policy, obs_dim, config.run.seed);
  }
  // The observation filter is frozen during an iteration and updated on root with the
  // iteration's observations in actor order, so it is the same whatever the layout.
  rl::RunningMeanStd filter(obs_dim, config.policy.obs_clip);

  const FaultInjection fault = ReadFaultInjection();
  std::unique_ptr<Progress> progress;
  if (comm.is_root() && !options.quiet) {
    progress = std::make_unique<Progress>(config.run.name, config.train.iterations,
                                          config.train.progress_interval_s);
  }
  Totals totals;
  TrainOutcome outcome;
  outcome.run_file = run_path;
  std::string failure;
  std::string budget_note;  // root: which cap was reached
  bool budget_exhausted = false;
  const auto train_start = Clock::now();
  for (int it = 0; it < config.train.iterations; ++it) {
    const auto iteration_start = Clock::now();
    std::vector<ActorRecord> local;
    std::string local_error;
    try {
      local = Rollout(config, it, env, *policy, filter, actor_rngs, ids,
                      fault.rank == comm.rank() && fault.iteration == it);
    } catch (const std::exception& e) {
      local_error = fmt::format("rank {}: {}", comm.rank(), e.what());
      local.clear();
    }
    std::vector<std::string> gathered = comm.Gather(EncodeRankResult(local_error, local));
    Control control;
    if (comm.is_root()) {
      std::vector<ActorRecord> all;
      for (const std::string& bytes : gathered) {
        std::string err = DecodeRankResult(bytes, &all);
        if (!err.empty() && control.error.empty()) control.error = err;
      }
      if (control.error.empty()) {
        try {
          rl::Batch batch = BuildBatch(all, obs_dim, config.env.episode_length);
          rl::UpdateStats stats = learner->Update(*policy, batch);
          for (const ActorRecord& a : all) {
            for (const StepRecord& s : a.steps) filter.Push(ToEigen(s.raw_obs));
          }
          io::IterationRow row =
              RecordIteration(*file, it, all, actions, config.env.episode_length, &totals);
          row.policy_loss = stats.policy_loss;
          row.value_loss = stats.value_loss;
          row.kl = stats.kl;
          row.entropy = stats.entropy;
          row.step_size = stats.step_size;
          row.wall_s = std::chrono::duration<double>(Clock::now() - train_start).count();
          file->AppendIterations({row});
          Status st = file->WriteBudget(BudgetRows(config, totals));
          if (st.ok()) st = file->Flush();
          if (!st.ok()) throw std::runtime_error(st.ToString());
          if (config.train.snapshot_every > 0 && (it + 1) % config.train.snapshot_every == 0) {
            // The filter the policy would act with next, so generation from a snapshot
            // normalises observations exactly as training would have.
            const std::string name = fmt::format("snapshot_{:06d}", it + 1);
            Status snap = file->WritePolicy(name, ToStd(policy->Parameters()),
                                            {{"architecture", policy->Describe()}});
            if (snap.ok()) snap = file->WritePolicy(name + "_obs_filter", filter.State(), {});
            if (!snap.ok()) throw std::runtime_error(snap.ToString());
          }
          outcome.iterations = it + 1;
          outcome.iteration_seconds.push_back(
              std::chrono::duration<double>(Clock::now() - iteration_start).count());
          outcome.last_mean_return = row.mean_return;
          if (progress) {
            progress->Update(it + 1, fmt::format("return {:.3f} | queries {}", row.mean_return,
                                                 totals.all_queries()));
          }
          budget_note = BudgetReached(config, totals);
          control.budget_exhausted = !budget_note.empty() && it + 1 < config.train.iterations;
        } catch (const std::exception& e) {
          control.error = fmt::format("rank 0: {}", e.what());
        }
      }
      control.stop = !control.error.empty() || control.budget_exhausted;
      control.policy_params = ToStd(policy->Parameters());
      control.filter_state = filter.State();
    }
    std::string bytes = comm.is_root() ? EncodeControl(control) : std::string();
    comm.Broadcast(bytes);
    if (!comm.is_root()) {
      control = DecodeControl(bytes);
      policy->SetParameters(ToEigen(control.policy_params));
      TEAMSRL_CHECK(filter.SetState(control.filter_state).ok()) << "bad filter state";
    }
    if (control.stop) {
      failure = control.error;
      budget_exhausted = control.budget_exhausted;
      break;
    }
  }

  if (comm.is_root()) {
    std::map<std::string, std::string> attrs = {{"architecture", policy->Describe()},
                                                {"type", policy->Type()}};
    std::string names;
    for (const std::string& n : actions.Names()) names += (names.empty() ? "" : ",") + n;
    attrs["actions"] = names;
    Status st = file->WritePolicy("final", ToStd(policy->Parameters()), attrs);
    if (st.ok()) st = file->WritePolicy("final_obs_filter", filter.State(), {});
    if (st.ok()) st = file->WriteBudget(BudgetRows(config, totals));
    if (!failure.empty()) (void)file->SetAttribute("error", failure);
    if (budget_exhausted) {
      (void)file->SetAttribute("stop_reason", budget_note);
      spdlog::warn("stopping after iteration {}: {}", outcome.iterations, budget_note);
    }
    Status fin = file->Finish(!failure.empty()   ? "failed"
                              : budget_exhausted ? "budget_exhausted"
                                                 : "completed");
    if (st.ok()) st = fin;
    if (!st.ok() && failure.empty()) failure = "rank 0: " + st.ToString();
    if (progress && failure.empty()) {
      progress->Finish(fmt::format("return {:.3f} | queries {} | {}", outcome.last_mean_return,
                                   totals.all_queries(), run_path));
    }
  }
  // Root's final writes can fail on root alone; every rank must return the same verdict.
  comm.Broadcast(failure);
  outcome.status = !failure.empty()   ? "failed"
                   : budget_exhausted ? "budget_exhausted"
                                      : "completed";
  if (!failure.empty()) return Internal(failure);
  return outcome;
}

}  // namespace teamsrl::pipeline
