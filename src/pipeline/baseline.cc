#include "pipeline/baseline.h"

#include <fmt/format.h>

#include "core/rng.h"
#include "core/text.h"
#include "dist/protocol.h"
#include "llm/router.h"
#include "pipeline/generate.h"

namespace teamsrl::pipeline {

int BaselineAction(uint64_t run_seed, int64_t seed_index, int round, int num_actions) {
  Rng rng(HashCombine({run_seed, static_cast<uint64_t>(StreamKind::kBaseline),
                       static_cast<uint64_t>(seed_index), static_cast<uint64_t>(round)}));
  return static_cast<int>(rng.UniformInt(static_cast<uint64_t>(num_actions)));
}

BaselineEvolver::BaselineEvolver(const Config& config, const evol::ActionSet& actions,
                                 const EvolveContext& context, llm::Client& client)
    : config_(config), actions_(actions), context_(context), client_(client) {}

std::string JoinInput(const io::Seed& seed) {
  const std::string input = Trim(seed.input);
  const std::string instruction = Trim(seed.instruction);
  return input.empty() ? instruction : instruction + "\r\n" + input;
}

int64_t BaselineSampleId(const BaselineConfig& config, int64_t seed_index, int round) {
  if (!config.include_seeds) return seed_index * config.rounds + round;
  return seed_index * (config.rounds + 1) + round + 1;
}

namespace {

// Seed `seed`'s line for `round` (-1: the seed itself) from its outcome: everything but the
// instruction, the action and the parent; the outcome's calls move into `calls`.
io::SampleLine BaselineLine(const BaselineConfig& config, const io::Seed& seed, int round,
                            EvolveOutcome& o, std::vector<ChunkCall>& calls) {
  io::SampleLine s;
  s.input = config.join_input ? "" : seed.input;
  s.output = o.response;
  s.seed_index = seed.index;
  s.step = round;
  s.sample_id = BaselineSampleId(config, seed.index, round);
  s.eliminated = o.eliminated();
  s.reason = std::string(evol::EliminationReasonName(o.reason));
  s.not_equal = o.not_equal;
  s.malformed_reply = o.malformed_reply;
  s.queries = static_cast<int64_t>(o.calls.size());
  for (CallRecord& c : o.calls) calls.push_back({seed.index, round, std::move(c)});
  return s;
}

}  // namespace

// baseline.include_seeds: every seed's answer, one batch before the first round.
Status BaselineEvolver::AnswerSeeds(const std::vector<io::Seed>& seeds,
                                    const std::vector<std::string>& pool, PerSeedPart* part) const {
  std::vector<EvolveItem> items;
  for (size_t i = 0; i < seeds.size(); ++i) {
    items.push_back({seeds[i].index, -1, evol::Action::kBreadth, pool[i], /*answer_only=*/true});
  }
  std::vector<EvolveOutcome> outcomes = EvolveBatch(client_, context_, items);
  TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(outcomes));
  for (size_t i = 0; i < seeds.size(); ++i) {
    io::SampleLine s = BaselineLine(config_.baseline, seeds[i], -1, outcomes[i], part->calls[i]);
    s.instruction = pool[i];  // no action: the seed as it is
    part->samples[i].push_back(std::move(s));
  }
  return OkStatus();
}

Result<ChunkPart> BaselineEvolver::Run(const std::vector<io::Seed>& seeds,
                                       const StepHook& before_step) const {
  const int rounds = config_.baseline.rounds;
  std::vector<int64_t> parents(seeds.size(), -1);
  std::vector<std::string> pool;  // each seed's current instruction
  pool.reserve(seeds.size());
  for (const io::Seed& s : seeds) {
    pool.push_back(config_.baseline.join_input ? JoinInput(s) : s.instruction);
  }
  PerSeedPart part(seeds.size());
  if (config_.baseline.include_seeds) TEAMSRL_RETURN_IF_ERROR(AnswerSeeds(seeds, pool, &part));
  for (int r = 0; r < rounds; ++r) {
    if (before_step) TEAMSRL_RETURN_IF_ERROR(before_step(r));
    std::vector<EvolveItem> items;
    for (size_t i = 0; i < seeds.size(); ++i) {
      const int a = BaselineAction(config_.run.seed, seeds[i].index, r, actions_.size());
      items.push_back({seeds[i].index, r, actions_.at(a), pool[i]});
    }
    std::vector<EvolveOutcome> outcomes = EvolveBatch(client_, context_, items);
    TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(outcomes));
    for (size_t i = 0; i < seeds.size(); ++i) {
      EvolveOutcome& o = outcomes[i];
      io::SampleLine s = BaselineLine(config_.baseline, seeds[i], r, o, part.calls[i]);
      s.instruction = o.evolved.empty() ? pool[i] : o.evolved;
      s.action = std::string(evol::ActionName(items[i].action));
      s.parent = parents[i];
      if (!s.eliminated) {  // the evolution replaces its parent in the pool
        pool[i] = s.instruction;
        parents[i] = s.sample_id;
      }
      part.samples[i].push_back(std::move(s));
    }
  }
  return std::move(part).Flatten();  // seed order, then round
}

namespace {

// The per-rank setup of the baseline; every rank must succeed before the first chunk.
struct BaselineSetup {
  std::optional<evol::ActionSet> actions;
  EvolveSetup evolve;

  Status Make(const Config& config, const dist::Comm& comm, DriverHooks& hooks) {
    TEAMSRL_ASSIGN_OR_RETURN(actions, evol::ActionSet::FromNames(config.env.actions));
    TEAMSRL_RETURN_IF_ERROR(
        evolve.Make(config, config.baseline.eliminate, &*actions, {comm.rank(), comm.size()}));
    return hooks.AfterSetup(comm.rank());
  }
};

}  // namespace

Result<ChunkedOutcome> RunBaseline(const Config& config, const BaselineOptions& options,
                                   const dist::Comm& comm) {
  DriverHooks no_hooks;
  DriverHooks& hooks = options.hooks != nullptr ? *options.hooks : no_hooks;
  BaselineSetup setup;
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(comm, setup.Make(config, comm, hooks)));
  BaselineEvolver evolver(config, *setup.actions, *setup.evolve.context, *setup.evolve.router);

  ChunkedRunSpec spec;
  spec.kind = "baseline";
  spec.step_key = "round";
  spec.chunk_size = config.baseline.chunk_size;
  spec.fingerprint = Fingerprint(config, "baseline");
  spec.out_dir = options.out_dir;
  spec.command = options.command;
  spec.overwrite = options.overwrite;
  spec.progress = options.progress;
  spec.attributes = options.labels;
  spec.options = fmt::format("baseline --overwrite {}", options.overwrite);
  return RunChunked(config, spec, comm, [&](int64_t chunk, const std::vector<io::Seed>& seeds) {
    return evolver.Run(seeds,
                       [&](int round) { return hooks.BeforeStep(comm.rank(), chunk, round); });
  });
}

}  // namespace teamsrl::pipeline
