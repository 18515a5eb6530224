#include "pipeline/train.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>

#include "core/bytes.h"
#include "core/check.h"
#include "core/rng.h"
#include "core/stop_signal.h"
#include "dist/layout.h"
#include "dist/protocol.h"
#include "env/instruction_env.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "io/run_file.h"
#include "io/run_reader.h"
#include "io/safe_file.h"
#include "llm/router.h"
#include "pipeline/actor_record.h"
#include "pipeline/budget.h"
#include "pipeline/call_checks.h"
#include "pipeline/checkpoint.h"
#include "pipeline/rank_sum.h"
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
rl::Batch BuildBatch(std::span<const ActorRecord> actors, int obs_dim, int episode_length) {
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

// Root: appends one iteration's steps, episodes and calls; returns the iteration row and
// the number of reviewer replies in `replies`.
io::IterationRow RecordIteration(Recorder& rec, int iteration,
                                 const std::vector<ActorRecord>& actors,
                                 const evol::ActionSet& actions, int episode_length,
                                 int64_t* replies) {
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
      if (!st.reply.empty()) {
        ++*replies;
        if (!evol::IsExactVerdict(st.reply)) ++row.malformed_replies;
      }
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

uint64_t ParametersHash(const Eigen::VectorXd& params) {
  return HashBytes({reinterpret_cast<const char*>(params.data()),
                    static_cast<size_t>(params.size()) * sizeof(double)});
}

// What root sends every rank after an update: the parameters (under `dist.aggregate:
// gradients` only their hash: every rank has computed them) and filter to act with, and
// the stop signal every rank now stops for (0: none).
std::string EncodeParameters(const rl::Policy& policy, bool send_parameters,
                             const rl::RunningMeanStd& filter, int stop_signal) {
  ByteWriter w;
  w.PutVector(send_parameters ? ToStd(policy.Parameters()) : std::vector<double>{});
  w.Put<uint64_t>(ParametersHash(policy.Parameters()));
  w.PutVector(filter.State());
  w.Put<int32_t>(stop_signal);
  return w.Take();
}

// What a rank sends root after its rollouts: its actors' records, the stop signal it has
// seen (0: none) and each actor's state for a checkpoint (its random stream and the
// instruction it carries into the next episode), in the order of `ids`.
std::string EncodeRollout(const std::vector<ActorRecord>& records,
                          const std::vector<ActorState>& states, int stop_signal) {
  ByteWriter w;
  w.PutString(EncodeActors(records));
  w.Put<int32_t>(stop_signal);
  w.Put<uint64_t>(states.size());
  for (const ActorState& a : states) PutActorState(w, a);
  return w.Take();
}

struct GatheredRollout {
  std::vector<ActorRecord> records;
  std::vector<ActorState> states;
  int stop_signal = 0;
};

void DecodeRollout(const std::string& bytes, GatheredRollout* out) {
  ByteReader r(bytes);
  DecodeActors(r.GetString(), &out->records);
  const int sig = r.Get<int32_t>();
  if (out->stop_signal == 0) out->stop_signal = sig;
  const auto n = r.Get<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) out->states.push_back(GetActorState(r));
}

// The kind of stop a signal means on a cluster (README "Running on SLURM"): the
// templates ask for SIGUSR1 shortly before the time limit; SLURM preempts and cancels
// with SIGTERM; SIGINT is someone at a terminal. Index into TrainCheckpoint::stops.
int StopKind(int signal) {
  if (signal == SIGUSR1) return 0;
  if (signal == SIGINT) return 2;
  return 1;
}
constexpr const char* kStopKinds[] = {"time_limit", "preempted", "interrupted"};

// Root: what the run file says of a signal stop, and the running count of each kind.
void NotePreemption(io::RunFile& file, const TrainOutcome& outcome, const Config& config,
                    const std::array<int64_t, 3>& stops) {
  (void)file.SetAttribute("stop_signal", SignalName(outcome.stop_signal));
  (void)file.SetAttribute("stop_kind", kStopKinds[StopKind(outcome.stop_signal)]);
  for (int k = 0; k < 3; ++k) {
    (void)file.SetAttribute(std::string(kStopKinds[k]) + "_stops", stops[static_cast<size_t>(k)]);
  }
  (void)file.SetAttribute(
      "stop_reason",
      fmt::format("{} after {} of {} iterations; continue with train --resume",
                  SignalName(outcome.stop_signal), outcome.iterations, config.train.iterations));
  spdlog::warn(
      "stopped by {} after {} of {} iterations; checkpoint written, continue with "
      "`teamsrl train ... --resume`",
      SignalName(outcome.stop_signal), outcome.iterations, config.train.iterations);
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
  // Root only, or every rank under dist.aggregate: gradients (with rank_sum its sums).
  std::unique_ptr<rl::Learner> learner;
  std::unique_ptr<RankSum> rank_sum;
  // Schedule iteration: frozen during an iteration and updated on root with the
  // iteration's observations in actor order, so it is the same whatever the layout.
  // Schedule step: the actors' filters merged in actor order (what snapshots and the
  // final policy save for generation); the actors act with their own.
  std::optional<rl::RunningMeanStd> filter;
  std::vector<rl::RunningMeanStd> actor_filters;  // schedule step: this rank's actors'
  std::optional<io::DirectoryLock> dir_lock;      // root only: one train per run directory
  std::optional<Recorder> recorder;               // root only
  ProgressSink* progress = nullptr;               // root only

  int iteration = 0;
  bool done = false;
  // Root: reviewer replies so far (this segment) and those not exactly Equal / Not Equal.
  int64_t replies = 0, malformed_replies = 0;
  bool warned_malformed = false;
  std::string budget_note;  // the cap that stopped the run, "" if none
  TrainOutcome outcome;
  IterationTiming timing;  // this iteration's
  Clock::time_point start;
  std::string checkpoint_path;
  std::optional<TrainCheckpoint> resume_from;  // root: read in OpenRunFile
  bool finished = false;  // root: resume_from is the end of a run whose file is completed
  int64_t restarts = 0;
  std::array<int64_t, 3> stops{};  // signal stops by kind (kStopKinds), over all segments

  bool gradients() const { return config.dist.aggregate == Aggregate::kGradients; }
  // Actors per learner part: a block under gradients; trajectories has one part, on root.
  int BlockActors() const { return gradients() ? config.dist.block_actors : 1; }
  Status SetUpLocal();
  void WarnOfMalformedReplies(int64_t new_replies, int64_t new_malformed);
  Status OpenRunFile(const std::vector<std::string>& hosts);
  Status CreateRunFile(const std::vector<std::string>& hosts, bool overwrite);
  Status ReopenRunFile(const std::vector<std::string>& hosts);
  dist::Decision ResumeDecision();
  void Restore(const TrainCheckpoint& c);
  std::vector<ActorState> LocalActorStates() const;
  Status Rollout(std::vector<ActorRecord>* records);
  void UpdateFilter(const std::vector<ActorRecord>& all, const std::vector<ActorState>& states);
  std::optional<rl::UpdateStats> LocalUpdate(const Status& rolled,
                                             const std::vector<ActorRecord>& local);
  dist::Decision Update(const dist::Gathered& gathered,
                        const std::optional<rl::UpdateStats>& local_stats);
  Status RecordAndSnapshot(const std::vector<ActorRecord>& all, const rl::UpdateStats& stats,
                           Clock::time_point iteration_start);
  bool CheckpointDue(int stop_signal) const;
  Status SaveCheckpoint(std::vector<ActorState> actors);
};

Status Trainer::State::SetUpLocal() {
  TEAMSRL_ASSIGN_OR_RETURN(actions, evol::ActionSet::FromNames(config.env.actions));
  TEAMSRL_ASSIGN_OR_RETURN(prompts, evol::PromptSet::Load(config.env.prompts_dir, *actions,
                                                          config.env.reviewer_template));
  const evol::MatchMode match = config.env.reward.match;
  TEAMSRL_ASSIGN_OR_RETURN(
      router, llm::MakeRouter(config.llm, config.run.seed, {comm.rank(), comm.size()}));
  const dist::ActorRange range =
      dist::LocalActorGroups(config.train.actors, BlockActors(), comm.size(), comm.rank());
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
  policy = rl::MakePolicy(config.policy, obs_dim, actions->size(), config.run.seed,
                          actions->IndexOf(evol::Action::kBreadth).value_or(-1));
  if (comm.is_root() || gradients()) {
    learner = rl::MakeLearner(config.algo, config.policy, obs_dim, config.run.seed);
  }
  if (gradients()) rank_sum = std::make_unique<RankSum>(comm);
  filter.emplace(obs_dim, config.policy.obs_clip);
  if (config.policy.obs_filter_schedule == rl::ObsFilterSchedule::kStep) {
    actor_filters.assign(ids.size(), rl::RunningMeanStd(obs_dim, config.policy.obs_clip));
  }
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
  if (options.resume == ResumeMode::kNo) return CreateRunFile(hosts, options.overwrite);
  Result<TrainCheckpoint> c = ReadCheckpoint(checkpoint_path);
  if (c.status().code() == StatusCode::kNotFound) {
    if (options.resume == ResumeMode::kStrict) {
      return FailedPrecondition(fmt::format(
          "--resume: no checkpoint in {} (a run writes one every train.checkpoint_every "
          "iterations and when stopped by a signal); --resume=auto starts afresh instead",
          dir.empty() ? "." : dir.string()));
    }
    // Nothing to continue from: whatever run file is there holds less than one checkpoint.
    if (io::PathOccupied(run_path)) {
      spdlog::warn("no checkpoint in {}: starting the run afresh", dir.string());
    }
    return CreateRunFile(hosts, /*overwrite=*/true);
  }
  if (!c.ok()) return c.status();
  const std::vector<std::string> differ =
      ResumeConfigDifferences(c->config_yaml, config.resolved_yaml);
  if (!differ.empty()) {
    std::string keys;
    for (const std::string& k : differ) keys += (keys.empty() ? "" : ", ") + k;
    return FailedPrecondition(fmt::format(
        "--resume: the configuration differs from the checkpoint's in {}; resume with the "
        "run's own configuration, or start over with --overwrite",
        keys));
  }
  if (c->actors.size() != static_cast<size_t>(config.train.actors)) {
    return DataLoss(checkpoint_path + ": holds " + std::to_string(c->actors.size()) +
                    " actors for train.actors " + std::to_string(config.train.actors));
  }
  resume_from = std::move(*c);
  return ReopenRunFile(hosts);
}

Status Trainer::State::CreateRunFile(const std::vector<std::string>& hosts, bool overwrite) {
  TEAMSRL_RETURN_IF_ERROR(CheckOutputFile(run_path, overwrite));
  // A checkpoint of an older run in this directory must never resume into the new file.
  std::error_code ec;
  std::filesystem::remove(checkpoint_path, ec);
  RunContext context{options.command, hosts, config.train.actors};
  TEAMSRL_ASSIGN_OR_RETURN(io::RunFile file,
                           io::RunFile::Create(run_path, MakeRootAttributes(config, context)));
  for (const auto& [name, value] : options.labels) {
    TEAMSRL_RETURN_IF_ERROR(file.SetAttribute(name, value));
  }
  recorder.emplace(config, std::move(file));
  return OkStatus();
}

// Root, resuming: the run file cut back to the checkpoint, without the policies written
// after it, and the attributes of this segment (who runs it now, how often restarted).
Status Trainer::State::ReopenRunFile(const std::vector<std::string>& hosts) {
  const TrainCheckpoint& c = *resume_from;
  if (c.iterations_done >= config.train.iterations) {
    // Killed after its last checkpoint but before the file was finished (final policy,
    // status): resumed, it writes them; a completed file is left alone.
    finished = io::RunFileCompleted(run_path);
    if (finished) return OkStatus();
  }
  TEAMSRL_ASSIGN_OR_RETURN(io::RunFile file, io::RunFile::OpenForResume(run_path, c.rows));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<std::string> names, file.PolicyNames());
  for (const std::string& name : names) {
    int n = 0;
    const bool kept = std::sscanf(name.c_str(), "snapshot_%d", &n) == 1 && n <= c.iterations_done;
    if (!kept) TEAMSRL_RETURN_IF_ERROR(file.RemovePolicy(name));
  }
  RunContext context{options.command, hosts, config.train.actors};
  const io::RootAttributes now = MakeRootAttributes(config, context);
  // Restore() sets `restarts` on every rank; the file needs it before that.
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("restarts", c.restarts + 1));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("world_size", now.world_size));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("hostnames", now.hostnames));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("command", now.command));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("slurm_job_id", now.slurm_job_id));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("slurm_restart_count", now.slurm_restart_count));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("slurm_nodelist", now.slurm_nodelist));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("launcher", now.launcher));
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("resumed_at", io::CurrentTimeIso8601()));
  for (const auto& [name, value] : options.labels) {
    TEAMSRL_RETURN_IF_ERROR(file.SetAttribute(name, value));
  }
  // This segment has not been stopped (yet): the counts of earlier stops stay.
  if (file.GetAttribute("stop_signal").ok()) {
    TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("stop_signal", ""));
    TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("stop_kind", ""));
  }
  recorder.emplace(config, std::move(file));
  recorder->RestoreTotals(c.totals, c.failed_calls, c.limit_wait_s);
  return OkStatus();
}

// Root, after OpenRunFile: what every rank resumes from (the checkpoint's bytes, empty
// for a fresh start), or a stop: the checkpoint is of a finished run.
dist::Decision Trainer::State::ResumeDecision() {
  dist::Decision d;
  if (!resume_from) return d;
  if (finished) {
    d.stop = true;
    return d;
  }
  d.payload = EncodeCheckpoint(*resume_from);
  return d;
}

// Every rank: the state the checkpoint saved, for this rank's actors.
void Trainer::State::Restore(const TrainCheckpoint& c) {
  iteration = static_cast<int>(c.iterations_done);
  policy->SetParameters(ToEigen(c.policy));
  TEAMSRL_CHECK(filter->SetState(c.filter).ok()) << "bad filter state in the checkpoint";
  for (size_t i = 0; i < ids.size(); ++i) {
    const ActorState& a = c.actors[static_cast<size_t>(ids[i])];
    actor_rngs[i].restore(a.rng);
    env->set_instruction(static_cast<int>(i), a.instruction);
    if (!actor_filters.empty()) {
      TEAMSRL_CHECK(actor_filters[i].SetState(a.obs_filter).ok())
          << "bad actor filter state in the checkpoint";
    }
  }
  outcome.iterations = static_cast<int>(c.iterations_done);
  outcome.last_mean_return = c.last_mean_return;
  outcome.resumed = true;
  restarts = c.restarts + 1;
  stops = c.stops;
  if (learner) {
    learner->SetValueParameters(ToEigen(c.value));
    TEAMSRL_CHECK(learner->SetOptimizerState(c.optimizer).ok()) << "bad optimiser state";
  }
}

std::vector<ActorState> Trainer::State::LocalActorStates() const {
  std::vector<ActorState> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    out.push_back({actor_rngs[i].snapshot(), env->instruction(static_cast<int>(i)),
                   actor_filters.empty() ? std::vector<double>{} : actor_filters[i].State()});
  }
  return out;
}

bool Trainer::State::CheckpointDue(int stop_signal) const {
  const int done_now = iteration + 1;
  const int every = config.train.checkpoint_every;
  return stop_signal != 0 || !budget_note.empty() || done_now == config.train.iterations ||
         (every > 0 && done_now % every == 0);
}

// Root, right after the iteration's rows are flushed: the state to continue from.
Status Trainer::State::SaveCheckpoint(std::vector<ActorState> actors) {
  TrainCheckpoint c;
  c.config_yaml = config.resolved_yaml;
  c.iterations_done = iteration + 1;
  c.policy = ToStd(policy->Parameters());
  c.value = ToStd(learner->ValueParameters());
  c.optimizer = learner->OptimizerState();
  c.filter = filter->State();
  c.actors = std::move(actors);
  c.totals = recorder->totals();
  c.failed_calls = recorder->failed_calls();
  c.limit_wait_s = recorder->limit_wait_s();
  c.rows = recorder->file().committed_rows();
  c.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  c.last_mean_return = outcome.last_mean_return;
  c.restarts = restarts;
  c.stops = stops;
  return WriteCheckpoint(checkpoint_path, c);
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
        const Eigen::VectorXd obs = actor_filters.empty()
                                        ? filter->Normalize(ToEigen(s.raw_obs))
                                        : actor_filters[i].Filter(ToEigen(s.raw_obs));
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
    // The released code filters the state after the last step too (it is never acted on).
    for (int i = 0; i < static_cast<int>(actor_filters.size()); ++i) {
      actor_filters[i].Push(ToEigen(env->Observation(i)));
    }
  }
  return OkStatus();
}

// Root: once the share of reviewer replies the exact match does not know passes
// run.malformed_reply_warn_share (after 100 replies, so a few odd replies early do not), says
// so: under `exact` each of them is an Equal, so training is under-rewarded.
void Trainer::State::WarnOfMalformedReplies(int64_t new_replies, int64_t new_malformed) {
  replies += new_replies;
  malformed_replies += new_malformed;
  if (warned_malformed || !evol::MalformedRepliesPastShare(replies, malformed_replies,
                                                           config.run.malformed_reply_warn_share)) {
    return;
  }
  warned_malformed = true;
  const double share = static_cast<double>(malformed_replies) / replies;
  spdlog::warn(
      "{} of {} reviewer replies ({:.1f} %) were neither exactly `Equal` nor `Not Equal`{}; "
      "column malformed_replies of /train/iterations counts them per iteration",
      malformed_replies, replies, 100.0 * share,
      config.env.reward.match == evol::MatchMode::kExact
          ? " and earned 0 under env.reward.match: exact (normalized reads \"not equal.\" too)"
          : "");
}

// Root: the rows of the iteration, the failed-call share, and the snapshots.
Status Trainer::State::RecordAndSnapshot(const std::vector<ActorRecord>& all,
                                         const rl::UpdateStats& stats,
                                         Clock::time_point iteration_start) {
  const auto record_start = Clock::now();
  int64_t iteration_replies = 0;
  io::IterationRow row = RecordIteration(*recorder, iteration, all, *actions,
                                         config.env.episode_length, &iteration_replies);
  row.policy_loss = stats.policy_loss;
  row.value_loss = stats.value_loss;
  row.kl = stats.kl;
  row.entropy = stats.entropy;
  row.step_size = stats.step_size;
  row.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  WarnOfMalformedReplies(iteration_replies, row.malformed_replies);
  io::RunFile& file = recorder->file();
  file.AppendIterations({row});
  timing.record_s = std::chrono::duration<double>(Clock::now() - record_start).count();
  // Written while the next iteration runs; a checkpoint (committed_rows) waits for it.
  TEAMSRL_RETURN_IF_ERROR(recorder->StartFlush());
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

// Root, after the learner step: the filter generation and the next iteration use.
void Trainer::State::UpdateFilter(const std::vector<ActorRecord>& all,
                                  const std::vector<ActorState>& states) {
  if (config.policy.obs_filter_schedule == rl::ObsFilterSchedule::kIteration) {
    for (const ActorRecord& a : all) {
      for (const StepRecord& s : a.steps) filter->Push(ToEigen(s.raw_obs));
    }
    return;
  }
  rl::RunningMeanStd merged(filter->dim(), filter->clip());
  for (const ActorState& a : states) {
    rl::RunningMeanStd actor(filter->dim(), filter->clip());
    TEAMSRL_CHECK(actor.SetState(a.obs_filter).ok()) << "bad actor filter state";
    merged.Merge(actor);
  }
  filter = merged;
}

// Every rank, under dist.aggregate: gradients: the learner on this rank's actors, its sums
// across the ranks (collective), unless some rank's rollout failed (then no rank updates).
std::optional<rl::UpdateStats> Trainer::State::LocalUpdate(const Status& rolled,
                                                           const std::vector<ActorRecord>& local) {
  if (!dist::AgreeOnStatus(comm, rolled).ok()) return std::nullopt;
  const auto t0 = Clock::now();
  // The rank's range starts at a block boundary (SetUpLocal), so its blocks are the
  // config's whatever the rank count.
  const size_t block = static_cast<size_t>(BlockActors());
  std::vector<rl::Batch> parts;
  parts.reserve((local.size() + block - 1) / block);
  for (size_t begin = 0; begin < local.size(); begin += block) {
    const size_t n = std::min(block, local.size() - begin);
    parts.push_back(
        BuildBatch({local.data() + begin, n}, env->obs_dim(), config.env.episode_length));
  }
  const int64_t bytes_before = rank_sum->bytes();
  rl::UpdateStats stats = learner->UpdateParts(*policy, parts, *rank_sum);
  timing.learner_s = std::chrono::duration<double>(Clock::now() - t0).count();
  timing.reduce_bytes = rank_sum->bytes() - bytes_before;
  return stats;
}

// Root: decides what every rank does after the iteration.
dist::Decision Trainer::State::Update(const dist::Gathered& gathered,
                                      const std::optional<rl::UpdateStats>& local_stats) {
  const auto iteration_start = Clock::now();
  dist::Decision d;
  d.status = gathered.status;
  GatheredRollout rollout;
  for (const std::string& bytes : gathered.payloads) DecodeRollout(bytes, &rollout);
  const std::vector<ActorRecord>& all = rollout.records;
  if (!d.status.ok()) {  // no update from a partial iteration, but its calls are recorded
    for (const ActorRecord& a : all) {
      for (const CallRecord& c : a.calls) recorder->AddCall(iteration, a.actor, c);
    }
    (void)recorder->Flush();
  }
  if (d.status.ok()) {
    rl::UpdateStats stats;
    if (gradients()) {
      TEAMSRL_CHECK(local_stats.has_value()) << "the ranks disagree on the rollouts' status";
      stats = *local_stats;
    } else {
      const auto t0 = Clock::now();
      const rl::Batch batch = BuildBatch(all, env->obs_dim(), config.env.episode_length);
      stats = learner->Update(*policy, batch);
      timing.learner_s = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    UpdateFilter(all, rollout.states);
    const auto t0 = Clock::now();
    d.status = dist::NameRank(RecordAndSnapshot(all, stats, iteration_start), 0);
    timing.write_s = std::chrono::duration<double>(Clock::now() - t0).count() - timing.record_s;
  }
  // Root's own signal counts too: it may arrive after root sent its rollout.
  const int stop_signal = rollout.stop_signal != 0 ? rollout.stop_signal : StopSignal();
  if (d.status.ok()) {
    budget_note = BudgetReached(config, recorder->totals());
    d.stop = !budget_note.empty() && iteration + 1 < config.train.iterations;
    if (!d.stop) budget_note.clear();
  }
  const bool signalled =
      d.status.ok() && stop_signal != 0 && iteration + 1 < config.train.iterations;
  if (signalled) ++stops[static_cast<size_t>(StopKind(stop_signal))];
  if (d.status.ok() && CheckpointDue(signalled ? stop_signal : 0)) {
    const auto t0 = Clock::now();
    d.status = dist::NameRank(SaveCheckpoint(std::move(rollout.states)), 0);
    timing.write_s += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  if (signalled) d.stop = true;
  d.payload = EncodeParameters(*policy, !gradients(), *filter, signalled ? stop_signal : 0);
  timing.broadcast_bytes = static_cast<int64_t>(d.payload.size());
  return d;
}

Trainer::Trainer(const Config& config, const TrainOptions& options, const dist::Comm& comm)
    : s_(std::make_unique<State>(config, options, comm)) {
  s_->hooks = options.hooks != nullptr ? options.hooks : &s_->no_hooks;
  const std::string out_dir = options.out_dir.empty() ? config.run.out_dir : options.out_dir;
  s_->run_path = (std::filesystem::path(out_dir) / "run.h5").string();
  s_->checkpoint_path = (std::filesystem::path(out_dir) / kCheckpointFile).string();
  s_->outcome.run_file = s_->run_path;
}

Trainer::~Trainer() = default;

Status Trainer::Setup() {
  State& s = *s_;
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(s.comm, s.SetUpLocal()));
  const int block = s.BlockActors();
  const int blocks = (s.config.train.actors + block - 1) / block;
  if (s.comm.is_root() && block > 1 && blocks < s.comm.size()) {
    spdlog::warn(
        "dist.block_actors={} makes {} block(s) of the {} actors for {} ranks: {} rank(s) host "
        "no actors; a smaller block keeps them busy (it changes the results, the rank count "
        "does not)",
        block, blocks, s.config.train.actors, s.comm.size(), s.comm.size() - blocks);
  }
  TEAMSRL_RETURN_IF_ERROR(AgreeOnRunInputs(
      s.comm, s.config,
      fmt::format("train --out {} --overwrite {}", s.run_path, s.options.overwrite)));
  const std::vector<std::string> hosts = s.comm.HostNames();
  TEAMSRL_RETURN_IF_ERROR(
      dist::ShareRootStatus(s.comm, s.comm.is_root() ? s.OpenRunFile(hosts) : OkStatus()));
  const dist::Decision resume =
      dist::Follow(s.comm, s.comm.is_root() ? s.ResumeDecision() : dist::Decision{});
  s.start = Clock::now();
  if (resume.stop) {  // a finished run: nothing to do, nothing touched
    s.outcome.already_complete = true;
    s.done = true;
    return OkStatus();
  }
  if (!resume.payload.empty()) {
    Result<TrainCheckpoint> c = DecodeCheckpoint(resume.payload, "the broadcast checkpoint");
    TEAMSRL_CHECK(c.ok()) << c.status().message();
    s.Restore(*c);
    s.start -=
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c->wall_s));
    if (s.comm.is_root()) {
      spdlog::info("resuming '{}' after iteration {} of {} (restart {})", s.config.run.name,
                   c->iterations_done, s.config.train.iterations, c->restarts + 1);
    }
  }
  if (s.comm.is_root() && s.options.progress != nullptr) {
    s.progress = s.options.progress;
    s.progress->Start(s.config.run.name, s.config.train.iterations);
  }
  s.done = s.iteration >= s.config.train.iterations;
  // A resumed run whose caps are already reached starts no iteration.
  if (!s.done && s.comm.is_root()) s.budget_note = BudgetReached(s.config, s.recorder->totals());
  const dist::Decision budget =
      dist::Follow(s.comm, dist::Decision{OkStatus(), !s.budget_note.empty(), ""});
  if (budget.stop) {
    s.done = true;
    s.outcome.status = io::RunStatus::kBudgetExhausted;
  }
  return OkStatus();
}

Status Trainer::Iteration() {
  State& s = *s_;
  TEAMSRL_CHECK(!s.done) << "Iteration after the last one";
  s.timing = IterationTiming{};
  std::vector<ActorRecord> local;
  const auto rollout_start = Clock::now();
  const Status rolled = s.Rollout(&local);
  s.timing.rollout_s = std::chrono::duration<double>(Clock::now() - rollout_start).count();
  std::optional<rl::UpdateStats> stats;
  if (s.gradients()) stats = s.LocalUpdate(rolled, local);
  const auto gather_start = Clock::now();
  const std::string rollout = EncodeRollout(local, s.LocalActorStates(), StopSignal());
  const dist::Gathered gathered = dist::GatherWithStatus(s.comm, rolled, rollout);
  s.timing.gather_s = std::chrono::duration<double>(Clock::now() - gather_start).count();
  s.timing.gather_bytes = static_cast<int64_t>(rollout.size());
  for (const std::string& p : gathered.payloads) s.timing.gathered_bytes += p.size();
  dist::Decision d;
  if (s.comm.is_root()) d = s.Update(gathered, stats);
  d = dist::Follow(s.comm, d);
  ByteReader r(d.payload);
  const std::vector<double> params = r.GetVector<double>();
  const auto params_hash = r.Get<uint64_t>();
  const std::vector<double> filter_state = r.GetVector<double>();
  const int stop_signal = r.Get<int32_t>();
  if (!s.comm.is_root()) {
    if (!params.empty()) s.policy->SetParameters(ToEigen(params));
    TEAMSRL_CHECK(s.filter->SetState(filter_state).ok()) << "bad filter state";
  }
  // Under gradients every rank computed the parameters itself: a difference would be a
  // bug in the reductions' reproducibility, so it stops the run rather than diverge.
  TEAMSRL_CHECK(ParametersHash(s.policy->Parameters()) == params_hash)
      << "rank " << s.comm.rank() << "'s policy parameters differ from root's after the update";
  if (s.comm.is_root()) s.outcome.timings.push_back(s.timing);
  TEAMSRL_RETURN_IF_ERROR(d.status);
  ++s.iteration;
  s.done = d.stop || s.iteration == s.config.train.iterations;
  if (stop_signal != 0) {
    s.outcome.status = io::RunStatus::kPreempted;
    s.outcome.stop_signal = stop_signal;
  } else if (d.stop) {
    s.outcome.status = io::RunStatus::kBudgetExhausted;
  }
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
  if (outcome.already_complete) return outcome;
  Status st = OkStatus();
  if (s.comm.is_root()) {
    std::map<std::string, std::string> attrs = {{"architecture", s.policy->Describe()},
                                                {"type", s.policy->Type()}};
    std::string names;
    for (const std::string& n : s.actions->Names()) names += (names.empty() ? "" : ",") + n;
    attrs["actions"] = names;
    io::RunFile& file = s.recorder->file();
    // A preempted run has no final policy yet: its resumption writes it.
    if (outcome.status != io::RunStatus::kPreempted) {
      st = file.WritePolicy("final", ToStd(s.policy->Parameters()), attrs);
      if (st.ok()) st = file.WritePolicy("final_obs_filter", s.filter->State(), {});
    }
    if (st.ok()) st = s.recorder->Flush();
    if (outcome.status == io::RunStatus::kPreempted)
      NotePreemption(file, outcome, s.config, s.stops);
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
