// One evolution step for a batch of instructions, shared by `generate` and `baseline`:
// per item a rewrite (the chosen operation), then the answer (responder) and, when asked
// for, the equality check (reviewer), all through env/evolve_step.h (which documents the
// order of the calls); then the elimination rules.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "env/evolve_step.h"
#include "evol/actions.h"
#include "evol/elimination.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "llm/client.h"
#include "llm/router.h"
#include "pipeline/actor_record.h"

namespace teamsrl::pipeline {

// The prompts, match mode and sampling of the step, plus what the elimination needs.
struct EvolveContext : env::EvolveStepOptions {
  // From the config: env.reward.match, the elimination rules named by `eliminate`
  // (generate.eliminate or baseline.eliminate), each role's sampling parameters.
  // InvalidArgument naming the key for an unknown match mode or rule.
  static Result<EvolveContext> Make(const Config& config, const evol::PromptSet& prompts,
                                    const std::vector<std::string>& eliminate);

  bool review = false;  // ask the reviewer (needed by the `equal` rule)
  evol::EliminationRules rules;
};

// What generate and baseline both build on every rank before the first chunk: the
// prompt templates (only those `actions` needs, when given), the evolve context and the
// router. Not movable once made: the context points at the templates.
struct EvolveSetup {
  std::optional<evol::PromptSet> prompts;
  std::optional<EvolveContext> context;
  std::unique_ptr<llm::Router> router;

  Status Make(const Config& config, const std::vector<std::string>& eliminate,
              const evol::ActionSet* actions, llm::Placement placement);
};

struct EvolveItem {
  int64_t seed_index = 0;  // request key: episode
  int64_t step = 0;        // request key: step (generate's step, baseline's round)
  evol::Action action = evol::Action::kBreadth;
  std::string instruction;   // the instruction to evolve
  bool answer_only = false;  // no evolution: the responder answers `instruction` (no rules)
};

struct EvolveOutcome {
  std::string evolved;   // the rewriter's (trimmed) output; "" when the rewrite failed
  std::string response;  // the responder's answer
  std::optional<bool> not_equal;
  // The reviewer's reply came back but was neither exactly `Equal` nor `Not Equal`.
  bool malformed_reply = false;
  evol::EliminationReason reason = evol::EliminationReason::kNone;
  std::vector<CallRecord> calls;  // in role order: rewriter, reviewer, responder
  bool eliminated() const { return reason != evol::EliminationReason::kNone; }
};

// Keys are (actor 0, episode = seed index, step, sample 0) per role, so with a
// deterministic backend the outcome does not depend on batching or rank layout.
std::vector<EvolveOutcome> EvolveBatch(llm::Client& client, const EvolveContext& context,
                                       const std::vector<EvolveItem>& items);

// Called before each batched step of a worker (the test seam's way in); non-OK stops it.
using StepHook = std::function<Status(int step)>;

// The first call of `outcomes` no retry can fix (call_checks.h), or OK.
Status FirstUnrecoverable(const std::vector<EvolveOutcome>& outcomes);

}  // namespace teamsrl::pipeline
