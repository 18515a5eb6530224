#include "env/instruction_env.h"

#include <algorithm>

#include "core/check.h"

namespace teamsrl::env {

InstructionEnv::InstructionEnv(const EnvOptions& options, const evol::ActionSet& actions,
                               const evol::PromptSet& prompts, llm::Client& client,
                               std::vector<int64_t> actor_ids,
                               std::vector<std::string> start_instructions)
    : options_(options),
      actions_(actions),
      step_options_{
          &prompts, options.match, options.rewriter_sampling, options.reviewer_sampling, {}},
      client_(client),
      actor_ids_(std::move(actor_ids)),
      start_instructions_(std::move(start_instructions)),
      instructions_(start_instructions_),
      last_action_(actor_ids_.size(), -1) {
  TEAMSRL_CHECK(start_instructions_.size() == actor_ids_.size());
}

void InstructionEnv::Reset(int64_t episode) {
  episode_ = episode;
  t_ = 0;
  std::fill(last_action_.begin(), last_action_.end(), -1);
  if (!options_.carry_over) instructions_ = start_instructions_;
}

std::vector<double> InstructionEnv::Observation(int local_actor) const {
  std::vector<double> obs(obs_dim(), 0.0);
  if (last_action_[local_actor] >= 0) obs[last_action_[local_actor]] = 1.0;
  return obs;
}

std::vector<ActorStep> InstructionEnv::Step(const std::vector<int>& actions) {
  const int n = num_actors();
  TEAMSRL_CHECK(static_cast<int>(actions.size()) == n);
  std::vector<EvolveTask> tasks(n);
  for (int i = 0; i < n; ++i) {
    TEAMSRL_CHECK(actions[i] >= 0 && actions[i] < num_actions()) << "action " << actions[i];
    // Training's keys: (global actor id, the actor's episode counter, t, 0)
    // (docs/architecture.md s.3); only the reviewer follows the rewrite.
    tasks[i] = {{actor_ids_[i], episode_, t_, 0},
                actions_.at(actions[i]),
                instructions_[i],
                {.review = true}};
  }
  std::vector<EvolveResult> results = EvolveStep(client_, step_options_, tasks);
  std::vector<ActorStep> steps(n);
  for (int i = 0; i < n; ++i) {
    ActorStep& step = steps[i];
    EvolveResult& r = results[i];
    step.action = actions[i];
    step.failed = r.failed;
    // A failed step pays 0 and leaves the instruction as it was (docs/architecture.md s.2.1).
    step.reward = !r.failed && r.not_equal.value_or(false) ? 1.0 : 0.0;
    step.instruction = r.failed ? instructions_[i] : std::move(r.rewritten);
    step.reply = std::move(r.reply);
    step.calls = std::move(r.calls);
    step.reward += options_.query_cost * static_cast<double>(step.calls.size());
    instructions_[i] = step.instruction;
    last_action_[i] = step.action;
  }
  ++t_;
  return steps;
}

}  // namespace teamsrl::env
