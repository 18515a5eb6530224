#include "pipeline/train.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "core/bytes.h"
#include "core/check.h"
#include "core/rng.h"
#include "dist/layout.h"
#include "dist/protocol.h"
#include "env/instruction_env.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "io/run_file.h"
#include "io/safe_file.h"
#include "llm/router.h"
#include "pipeline/actor_record.h"
#include "pipeline/budget.h"
#include "pipeline/call_checks.h"
#include "pipeline/recorder.h"
#include "pipeline/run_inputs.h"
#include "rl/learner.h"
#include "rl/policy.h"
#include "rl/running_mean_std.h"

namespace teamsrl::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

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

// Mean, sample standard deviation, min and max of the episode returns into `row`.
void SetReturnStats(const std::vector<double>& returns, io::IterationRow* row) {
  if (returns.empty()) return;
  double sum = 0.0;
  for (double r : returns) sum += r;
  const auto n = static_cast<double>(returns.size());
  row->mean_return = sum / n;
  double ss = 0.0;
  for (double r : returns) ss += (r - row->mean_return) * (r - row->mean_return);
  row->std_return = returns.size() > 1 ? std::sqrt(ss / (n - 1.0)) : 0.0;
  row->min_return = *std::min_element(returns.begin(), returns.end());
  row->max_return = *std::max_element(returns.begin(), returns.end());
}

// Root: appends one iteration's steps, episodes and calls; returns the iteration row.
io::IterationRow RecordIteration(Recorder& rec, int iteration,
                                 const std::vector<ActorRecord>& actors,
                                 const evol::ActionSet& actions, int episode_length) {
  io::RunFile& file = rec.file();
  io::IterationRow row;
  row.iteration = iteration;
  std::vector<double> returns;
  std::vector<io::StepRow> step_rows;
  std::vector<io::EpisodeRow> episode_rows;
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
    for (const CallRecord& c : a.calls) rec.AddCall(iteration, a.actor, c);
  }
  file.AppendSteps(step_rows);
  file.AppendEpisodes(episode_rows);
  const CallSums sums = rec.TakeSums();
  row.queries = sums.queries;
  row.prompt_tokens = sums.prompt_tokens;
  row.completion_tokens = sums.completion_tokens;
  row.cache_hits = sums.cache_hits;
  row.failed_calls = sums.failed_calls;
  row.limit_wait_s = sums.limit_wait_s;
  SetReturnStats(returns, &row);
  return row;
}

Status CheckOutputFile(const std::string& path, bool overwrite) {
  // PathOccupied, not exists(): a dangling symbolic link counts (io/safe_file.h).
  if (io::PathOccupied(path) && !overwrite) {
    return FailedPrecondition(
        fmt::format("{} exists; pass --overwrite to replace it, or choose another --out", path));
  }
  return OkStatus();
}

// What root sends every rank after an update: the parameters and filter to act with.
std::string EncodeParameters(const rl::Policy& policy, const rl::RunningMeanStd& filter) {
  ByteWriter w;
  w.PutVector(ToStd(policy.Parameters()));
  w.PutVector(filter.State());
  return w.Take();
}

}  // namespace

struct Trainer::State {
  State(const Config& c, const TrainOptions& o, const dist::Comm& m)
      : config(c), options(o), comm(m) {}

  const Config& config;
  const TrainOptions options;
  const dist::Comm& comm;
  DriverHooks no_hooks;
  DriverHooks* hooks = nullptr;
  std::string run_path;

  std::optional<evol::ActionSet> actions;
  std::optional<evol::PromptSet> prompts;
  std::unique_ptr<llm::Router> router;
  std::vector<int64_t> ids;  // this rank's logical actors
  std::vector<Rng> actor_rngs;
  std::unique_ptr<env::InstructionEnv> env;
  std::unique_ptr<rl::Policy> policy;
  std::unique_ptr<rl::Learner> learner;  // root only
  // Frozen during an iteration and updated on root with the iteration's observations in
  // actor order, so it is the same whatever the layout.
  std::optional<rl::RunningMeanStd> filter;
  std::optional<io::DirectoryLock> dir_lock;  // root only: one train per run directory
  std::optional<Recorder> recorder;           // root only
  ProgressSink* progress = nullptr;           // root only

  int iteration = 0;
  bool done = false;
  std::string budget_note;  // the cap that stopped the run, "" if none
  TrainOutcome outcome;
  Clock::time_point start;

  Status SetUpLocal();
  Status OpenRunFile(const std::vector<std::string>& hosts);
  Status Rollout(std::vector<ActorRecord>* records);
  dist::Decision Update(const dist::Gathered& gathered);
  Status RecordAndSnapshot(const std::vector<ActorRecord>& all, const rl::UpdateStats& stats,
                           Clock::time_point iteration_start);
};

Status Trainer::State::SetUpLocal() {
  TEAMSRL_ASSIGN_OR_RETURN(actions, evol::ActionSet::FromNames(config.env.actions));
  TEAMSRL_ASSIGN_OR_RETURN(prompts, evol::PromptSet::Load(config.env.prompts_dir, *actions));
  const evol::MatchMode match = config.env.reward.match;
  TEAMSRL_ASSIGN_OR_RETURN(
      router, llm::MakeRouter(config.llm, config.run.seed, {comm.rank(), comm.size()}));
  const dist::ActorRange range = dist::LocalActors(config.train.actors, comm.size(), comm.rank());
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
  env = std::make_unique<env::InstructionEnv>(
      env_options, *actions, *prompts, *router, ids,
      std::vector<std::string>(ids.size(), config.env.initial_instruction));
  const int obs_dim = env->obs_dim();
  policy = rl::MakePolicy(config.policy, obs_dim, actions->size(), config.run.seed);
  if (comm.is_root()) {
    learner = rl::MakeLearner(config.algo, config.policy, obs_dim, config.run.seed);
  }
  filter.emplace(obs_dim, config.policy.obs_clip);
  return hooks->AfterSetup(comm.rank());
}

Status Trainer::State::OpenRunFile(const std::vector<std::string>& hosts) {
  // The lock comes first: two `train --overwrite` into one directory would otherwise both
  // "succeed", the file holding one of them.
  const std::filesystem::path dir = std::filesystem::path(run_path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    return InvalidArgument("cannot create directory " + dir.string() +
                           " for the run file: " + ec.message());
  }
  TEAMSRL_ASSIGN_OR_RETURN(io::DirectoryLock lock,
                           io::DirectoryLock::Acquire(dir.empty() ? "." : dir.string()));
  dir_lock.emplace(std::move(lock));
  TEAMSRL_RETURN_IF_ERROR(CheckOutputFile(run_path, options.overwrite));
  RunContext context{options.command, hosts, config.train.actors};
  TEAMSRL_ASSIGN_OR_RETURN(io::RunFile file,
                           io::RunFile::Create(run_path, MakeRootAttributes(config, context)));
  recorder.emplace(config, std::move(file));
  return OkStatus();
}

// This rank's part of one iteration: episodes_per_actor episodes of every local actor, in
// lockstep. Stops at the first call no retry can fix, so no further calls are sent; the
// records made so far are kept, so the run file shows the calls that failed.
Status Trainer::State::Rollout(std::vector<ActorRecord>* out) {
  const int n = env->num_actors();
  std::vector<ActorRecord>& records = *out;
  records.resize(n);
  for (int i = 0; i < n; ++i) records[i].actor = ids[i];
  const int T = config.env.episode_length;
  for (int ep = 0; ep < config.train.episodes_per_actor; ++ep) {
    const int64_t episode = static_cast<int64_t>(iteration) * config.train.episodes_per_actor + ep;
    env->Reset(episode);
    for (int t = 0; t < T; ++t) {
      TEAMSRL_RETURN_IF_ERROR(hooks->BeforeStep(comm.rank(), iteration, ep * T + t));
      std::vector<int> chosen(n);
      std::vector<StepRecord> steps(n);
      for (int i = 0; i < n; ++i) {
        StepRecord& s = steps[i];
        s.raw_obs = env->Observation(i);
        const Eigen::VectorXd obs = filter->Normalize(ToEigen(s.raw_obs));
        s.obs = ToStd(obs);
        const rl::ActionSample a = policy->Act(obs, actor_rngs[i]);
        chosen[i] = a.action;
        s.logp = a.log_prob;
        s.episode = episode;
        s.t = t;
      }
      std::vector<env::ActorStep> outcomes = env->Step(chosen);
      std::vector<CallRecord> step_calls;
      for (int i = 0; i < n; ++i) {
        StepRecord& s = steps[i];
        env::ActorStep& o = outcomes[i];
        s.action = o.action;
        s.reward = o.reward;
        s.failed = o.failed ? 1 : 0;
        s.queries = static_cast<int32_t>(o.calls.size());
        s.instruction = std::move(o.instruction);
        s.reply = std::move(o.reply);
        for (const llm::Completion& c : o.calls) {
          records[i].calls.push_back(ToCallRecord(c));
          step_calls.push_back(records[i].calls.back());
        }
        records[i].steps.push_back(std::move(s));
      }
      TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(step_calls));
    }
  }
  return OkStatus();
}

// Root: the rows of the iteration, the failed-call share, and the snapshots.
Status Trainer::State::RecordAndSnapshot(const std::vector<ActorRecord>& all,
                                         const rl::UpdateStats& stats,
                                         Clock::time_point iteration_start) {
  io::IterationRow row =
      RecordIteration(*recorder, iteration, all, *actions, config.env.episode_length);
  row.policy_loss = stats.policy_loss;
  row.value_loss = stats.value_loss;
  row.kl = stats.kl;
  row.entropy = stats.entropy;
  row.step_size = stats.step_size;
  row.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  io::RunFile& file = recorder->file();
  file.AppendIterations({row});
  TEAMSRL_RETURN_IF_ERROR(recorder->Flush());
  if (config.train.snapshot_every > 0 && (iteration + 1) % config.train.snapshot_every == 0) {
    // The filter the policy would act with next, so generation from a snapshot
    // normalises observations exactly as training would have.
    const std::string name = fmt::format("snapshot_{:06d}", iteration + 1);
    TEAMSRL_RETURN_IF_ERROR(file.WritePolicy(name, ToStd(policy->Parameters()),
                                             {{"architecture", policy->Describe()}}));
    TEAMSRL_RETURN_IF_ERROR(file.WritePolicy(name + "_obs_filter", filter->State(), {}));
  }
  outcome.iterations = iteration + 1;
  outcome.iteration_seconds.push_back(
      std::chrono::duration<double>(Clock::now() - iteration_start).count());
  outcome.last_mean_return = row.mean_return;
  if (progress) {
    progress->Update(iteration + 1,
                     fmt::format("return {:.3f} | {}", row.mean_return, QueriesDetail(*recorder)));
  }
  CallTally tally{row.queries, row.failed_calls};
  return CheckFailedShare(tally, config.llm.max_failed_share);
}

// Root: decides what every rank does after the iteration.
dist::Decision Trainer::State::Update(const dist::Gathered& gathered) {
  const auto iteration_start = Clock::now();
  dist::Decision d;
  d.status = gathered.status;
  std::vector<ActorRecord> all;
  for (const std::string& bytes : gathered.payloads) DecodeActors(bytes, &all);
  if (!d.status.ok()) {  // no update from a partial iteration, but its calls are recorded
    for (const ActorRecord& a : all) {
      for (const CallRecord& c : a.calls) recorder->AddCall(iteration, a.actor, c);
    }
    (void)recorder->Flush();
  }
  if (d.status.ok()) {
    rl::Batch batch = BuildBatch(all, env->obs_dim(), config.env.episode_length);
    const rl::UpdateStats stats = learner->Update(*policy, batch);
    for (const ActorRecord& a : all) {
      for (const StepRecord& s : a.steps) filter->Push(ToEigen(s.raw_obs));
    }
    d.status = dist::NameRank(RecordAndSnapshot(all, stats, iteration_start), 0);
  }
  if (d.status.ok()) {
    budget_note = BudgetReached(config, recorder->totals());
    d.stop = !budget_note.empty() && iteration + 1 < config.train.iterations;
    if (!d.stop) budget_note.clear();
  }
  d.payload = EncodeParameters(*policy, *filter);
  return d;
}

Trainer::Trainer(const Config& config, const TrainOptions& options, const dist::Comm& comm)
    : s_(std::make_unique<State>(config, options, comm)) {
  s_->hooks = options.hooks != nullptr ? options.hooks : &s_->no_hooks;
  const std::string out_dir = options.out_dir.empty() ? config.run.out_dir : options.out_dir;
  s_->run_path = (std::filesystem::path(out_dir) / "run.h5").string();
  s_->outcome.run_file = s_->run_path;
}

Trainer::~Trainer() = default;

Status Trainer::Setup() {
  State& s = *s_;
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(s.comm, s.SetUpLocal()));
  TEAMSRL_RETURN_IF_ERROR(AgreeOnRunInputs(
      s.comm, s.config,
      fmt::format("train --out {} --overwrite {}", s.run_path, s.options.overwrite)));
  const std::vector<std::string> hosts = s.comm.HostNames();
  TEAMSRL_RETURN_IF_ERROR(
      dist::ShareRootStatus(s.comm, s.comm.is_root() ? s.OpenRunFile(hosts) : OkStatus()));
  if (s.comm.is_root() && s.options.progress != nullptr) {
    s.progress = s.options.progress;
    s.progress->Start(s.config.run.name, s.config.train.iterations);
  }
  s.start = Clock::now();
  s.done = s.config.train.iterations == 0;
  return OkStatus();
}

Status Trainer::Iteration() {
  State& s = *s_;
  TEAMSRL_CHECK(!s.done) << "Iteration after the last one";
  std::vector<ActorRecord> local;
  const Status rolled = s.Rollout(&local);
  const dist::Gathered gathered = dist::GatherWithStatus(s.comm, rolled, EncodeActors(local));
  dist::Decision d;
  if (s.comm.is_root()) d = s.Update(gathered);
  d = dist::Follow(s.comm, d);
  if (!s.comm.is_root()) {
    ByteReader r(d.payload);
    s.policy->SetParameters(ToEigen(r.GetVector<double>()));
    TEAMSRL_CHECK(s.filter->SetState(r.GetVector<double>()).ok()) << "bad filter state";
  }
  TEAMSRL_RETURN_IF_ERROR(d.status);
  ++s.iteration;
  s.done = d.stop || s.iteration == s.config.train.iterations;
  if (d.stop) s.outcome.status = io::RunStatus::kBudgetExhausted;
  return OkStatus();
}

bool Trainer::done() const { return s_->done; }

TrainOutcome Trainer::Finish(const Status& run) {
  State& s = *s_;
  TrainOutcome& outcome = s.outcome;
  if (!run.ok()) {
    outcome.status = io::RunStatus::kFailed;
    outcome.error = run;
  }
  Status st = OkStatus();
  if (s.comm.is_root()) {
    std::map<std::string, std::string> attrs = {{"architecture", s.policy->Describe()},
                                                {"type", s.policy->Type()}};
    std::string names;
    for (const std::string& n : s.actions->Names()) names += (names.empty() ? "" : ",") + n;
    attrs["actions"] = names;
    io::RunFile& file = s.recorder->file();
    st = file.WritePolicy("final", ToStd(s.policy->Parameters()), attrs);
    if (st.ok()) st = file.WritePolicy("final_obs_filter", s.filter->State(), {});
    if (st.ok()) st = s.recorder->Flush();
    if (!run.ok()) (void)file.SetAttribute("error", run.message());
    if (outcome.status == io::RunStatus::kBudgetExhausted) {
      (void)file.SetAttribute("stop_reason", s.budget_note);
      // A count, not an index: "after iteration 6" read as seven when the last index was 5.
      spdlog::warn("stopping after {} of {} iterations: {}", outcome.iterations,
                   s.config.train.iterations, s.budget_note);
    }
    const Status fin = file.Finish(outcome.status);
    if (st.ok()) st = fin;
    if (s.progress && run.ok() && st.ok()) {
      s.progress->Finish(fmt::format("return {:.3f} | queries {} | {}", outcome.last_mean_return,
                                     s.recorder->totals().all_queries(), s.run_path));
    }
  }
  // Root's final writes can fail on root alone; every rank must return the same verdict.
  st = dist::ShareRootStatus(s.comm, dist::NameRank(st, 0));
  if (!st.ok() && outcome.error.ok()) {
    outcome.status = io::RunStatus::kFailed;
    outcome.error = st;
  }
  return outcome;
}

Result<TrainOutcome> RunTrain(const Config& config, const TrainOptions& options,
                              const dist::Comm& comm) {
  Trainer trainer(config, options, comm);
  TEAMSRL_RETURN_IF_ERROR(trainer.Setup());
  Status run = OkStatus();
  while (run.ok() && !trainer.done()) run = trainer.Iteration();
  return trainer.Finish(run);
}

}  // namespace teamsrl::pipeline
