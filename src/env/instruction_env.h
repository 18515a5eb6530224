// The instruction MDP of docs/method.md s.3, vectorised over the logical actors one rank hosts.
// A step applies each actor's chosen action through the rewriter, asks the reviewer
// whether the rewrite added information, and pays 1 for "Not Equal". The calls go through
// the batched step of env/evolve_step.h, every actor's at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "env/evolve_step.h"
#include "evol/actions.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "llm/client.h"

namespace teamsrl::env {

struct ActorStep {
  int action = 0;                      // index into the configured action set
  double reward = 0.0;                 // 1 for "Not Equal" (+ query cost term), else 0
  bool failed = false;                 // a call of this step failed for good (recorded, reward 0)
  std::string instruction;             // the instruction after the step (unchanged on failure)
  std::string reply;                   // the reviewer's raw reply
  std::vector<llm::Completion> calls;  // rewrite then review, contents cleared
};

struct EnvOptions {
  int episode_length = 6;
  bool carry_over = true;
  evol::MatchMode match = evol::MatchMode::kExact;
  double query_cost = 0.0;
  llm::SamplingParams rewriter_sampling;
  llm::SamplingParams reviewer_sampling;
};

class InstructionEnv {
 public:
  // `actor_ids`: the global ids of the actors hosted here; `start_instructions`: one per
  // actor, the instruction it starts from (and returns to at each reset without carry-over).
  InstructionEnv(const EnvOptions& options, const evol::ActionSet& actions,
                 const evol::PromptSet& prompts, llm::Client& client,
                 std::vector<int64_t> actor_ids, std::vector<std::string> start_instructions);

  int num_actors() const { return static_cast<int>(actor_ids_.size()); }
  int num_actions() const { return actions_.size(); }
  int obs_dim() const { return actions_.size(); }

  // Starts episode `episode` (a per-actor counter, part of every request key).
  void Reset(int64_t episode);
  // One-hot of the actor's last action; all zeros right after Reset.
  std::vector<double> Observation(int local_actor) const;
  const std::string& instruction(int local_actor) const { return instructions_[local_actor]; }
  // A resumed run's carried-over instruction (checkpoint); the next Reset keeps it when
  // carry_over is on.
  void set_instruction(int local_actor, std::string text) {
    instructions_[local_actor] = std::move(text);
  }
  int t() const { return t_; }

  // Applies `actions[i]` for local actor i; returns one ActorStep per actor.
  std::vector<ActorStep> Step(const std::vector<int>& actions);

 private:
  EnvOptions options_;
  const evol::ActionSet& actions_;
  EvolveStepOptions step_options_;
  llm::Client& client_;
  std::vector<int64_t> actor_ids_;
  std::vector<std::string> start_instructions_;
  std::vector<std::string> instructions_;
  std::vector<int> last_action_;
  int64_t episode_ = 0;
  int t_ = 0;
};

}  // namespace teamsrl::env
