#include "env/instruction_env.h"

#include <algorithm>
#include <chrono>

#include "core/check.h"
#include "core/text.h"

namespace teamsrl::env {
namespace {

std::vector<llm::Message> ToMessages(const evol::ChatPrompt& prompt) {
  std::vector<llm::Message> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  return messages;
}

// Tags: local actor i's rewrite is 2i, its review 2i+1.
constexpr uint64_t kReviewBit = 1;

}  // namespace

InstructionEnv::InstructionEnv(const EnvOptions& options, const evol::ActionSet& actions,
                               const evol::PromptSet& prompts, llm::Client& client,
                               std::vector<int64_t> actor_ids,
                               std::vector<std::string> start_instructions)
    : options_(options),
      actions_(actions),
      prompts_(prompts),
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

llm::Request InstructionEnv::RewriteRequest(int i, int action) const {
  const evol::Action catalogue_action = actions_.at(action);
  llm::Request r;
  r.role = llm::Role::kRewriter;
  r.messages = ToMessages(prompts_.Rewriter(catalogue_action, instructions_[i]));
  r.sampling = options_.rewriter_sampling;
  r.key = {actor_ids_[i], episode_, t_, 0};
  r.intent = {std::string(evol::ActionName(catalogue_action)), {instructions_[i]}};
  r.tag = 2 * static_cast<uint64_t>(i);
  return r;
}

llm::Request InstructionEnv::ReviewRequest(int i, const std::string& before,
                                           const std::string& after) const {
  llm::Request r;
  r.role = llm::Role::kReviewer;
  r.messages = ToMessages(prompts_.Reviewer(before, after));
  r.sampling = options_.reviewer_sampling;
  r.key = {actor_ids_[i], episode_, t_, 0};
  r.intent = {"", {before, after}};
  r.tag = 2 * static_cast<uint64_t>(i) + kReviewBit;
  return r;
}

std::vector<ActorStep> InstructionEnv::Step(const std::vector<int>& actions) {
  const int n = num_actors();
  TEAMSRL_CHECK(static_cast<int>(actions.size()) == n);
  std::vector<ActorStep> steps(n);
  std::vector<std::string> rewritten(n);
  for (int i = 0; i < n; ++i) {
    TEAMSRL_CHECK(actions[i] >= 0 && actions[i] < num_actions()) << "action " << actions[i];
    steps[i].action = actions[i];
    steps[i].instruction = instructions_[i];
    client_.Submit(RewriteRequest(i, actions[i]));
  }
  int pending = n;
  while (pending > 0) {
    for (llm::Completion& c : client_.Poll(std::chrono::milliseconds(200))) {
      const int i = static_cast<int>(c.tag / 2);
      TEAMSRL_CHECK(i >= 0 && i < n) << "unexpected completion tag " << c.tag;
      ActorStep& step = steps[i];
      const bool is_review = (c.tag & kReviewBit) != 0;
      const bool ok = c.status.ok();
      std::string content = std::move(c.content);
      c.content.clear();
      step.calls.push_back(std::move(c));
      if (!ok) {
        step.failed = true;
        --pending;
        continue;
      }
      if (!is_review) {
        std::string after = Trim(content);
        // An empty rewrite is a failed step: the instruction stays as it was.
        if (after.empty()) {
          step.failed = true;
          --pending;
          continue;
        }
        rewritten[i] = std::move(after);
        client_.Submit(ReviewRequest(i, instructions_[i], rewritten[i]));
      } else {
        step.reply = std::move(content);
        step.reward = evol::IsNotEqual(step.reply, options_.match) ? 1.0 : 0.0;
        step.instruction = rewritten[i];
        --pending;
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    ActorStep& step = steps[i];
    // Calls arrive in completion order; keep rewrite-then-review for stable records.
    std::stable_sort(step.calls.begin(), step.calls.end(),
                     [](const llm::Completion& a, const llm::Completion& b) {
                       return static_cast<int>(a.role) < static_cast<int>(b.role);
                     });
    step.reward += options_.query_cost * static_cast<double>(step.calls.size());
    instructions_[i] = step.instruction;
    last_action_[i] = step.action;
  }
  ++t_;
  return steps;
}

}  // namespace teamsrl::env
