// `teamsrl baseline CONFIG`: WizardLM's Evol-Instruct (docs/method.md s.6), the control that
// TeaMs-RL's query economy is measured against. `baseline.rounds` rounds over the pool;
// in each round every seed's current instruction is evolved by an operation drawn
// uniformly from `env.actions` (breadth included), with a stream keyed by (run.seed, seed
// index, round), then answered (responder) and checked for information gain (reviewer):
// 3 queries per instruction per round with every rule on. An evolution eliminated by the
// rules (`baseline.eliminate`, all four by default) leaves the parent in the pool for the
// next round; a kept one replaces it. Every evolved sample, kept or eliminated, is a line
// of DIR/dataset.jsonl (with `round` for the step field); DIR/baseline.h5 has the same
// tables and accounting as generate.h5. Distribution and resumption: chunked_run.h.
#pragma once

#include <map>
#include <string>

#include "config/config.h"
#include "core/status.h"
#include "dist/comm.h"
#include "evol/actions.h"
#include "llm/client.h"
#include "pipeline/chunked_run.h"
#include "pipeline/driver_hooks.h"
#include "pipeline/evolve_batch.h"
#include "pipeline/progress_sink.h"

namespace teamsrl::pipeline {

struct BaselineOptions {
  std::string out_dir;  // default run.out_dir
  std::string command;
  std::map<std::string, std::string> labels;  // extra root attributes (sweep provenance)
  bool overwrite = false;
  ProgressSink* progress = nullptr;  // root: where progress goes; none = no output
  DriverHooks* hooks = nullptr;      // tests only: faults on a chosen rank
};

// The operation seed `seed_index` gets in `round`: uniform over the set, a pure function
// of (run seed, seed index, round).
int BaselineAction(uint64_t run_seed, int64_t seed_index, int round, int num_actions);

// baseline.join_input: the trimmed instruction, a line break ("\r\n", as WizardLM's
// main.py joins them) and the trimmed input; the instruction alone when there is no input.
std::string JoinInput(const io::Seed& seed);

// Seed `seed_index`'s sample in `round` (-1: the seed itself, under baseline.include_seeds).
int64_t BaselineSampleId(const BaselineConfig& config, int64_t seed_index, int round);

// The per-rank worker: evolves a block of seeds through every round, all in flight together.
class BaselineEvolver {
 public:
  BaselineEvolver(const Config& config, const evol::ActionSet& actions,
                  const EvolveContext& context, llm::Client& client);
  // Evolves the seeds through every step; stops at the first call no retry can fix.
  Result<ChunkPart> Run(const std::vector<io::Seed>& seeds, const StepHook& before_step = {}) const;

 private:
  Status AnswerSeeds(const std::vector<io::Seed>& seeds, const std::vector<std::string>& pool,
                     PerSeedPart* part) const;

  const Config& config_;
  const evol::ActionSet& actions_;
  const EvolveContext& context_;
  llm::Client& client_;
};

Result<ChunkedOutcome> RunBaseline(const Config& config, const BaselineOptions& options,
                                   const dist::Comm& comm);

}  // namespace teamsrl::pipeline
