#include "pipeline/evolve_batch.h"

#include "core/text.h"
#include "pipeline/call_checks.h"

namespace teamsrl::pipeline {

Result<EvolveContext> EvolveContext::Make(const Config& config, const evol::PromptSet& prompts,
                                          const std::vector<std::string>& eliminate) {
  EvolveContext context;
  context.prompts = &prompts;
  context.match = config.env.reward.match;
  TEAMSRL_ASSIGN_OR_RETURN(context.rules, evol::EliminationRules::FromNames(eliminate));
  context.review = context.rules.equal;
  context.rewriter = llm::SamplingFor(config.llm, llm::Role::kRewriter);
  context.reviewer = llm::SamplingFor(config.llm, llm::Role::kReviewer);
  context.responder = llm::SamplingFor(config.llm, llm::Role::kResponder);
  return context;
}

std::vector<EvolveOutcome> EvolveBatch(llm::Client& client, const EvolveContext& context,
                                       const std::vector<EvolveItem>& items) {
  std::vector<env::EvolveTask> tasks;
  tasks.reserve(items.size());
  for (const EvolveItem& item : items) {
    tasks.push_back({{0, item.seed_index, item.step, 0},
                     item.action,
                     item.instruction,
                     {.review = context.review, .respond = true},
                     !item.answer_only});
  }
  std::vector<env::EvolveResult> results = env::EvolveStep(client, context, tasks);
  std::vector<EvolveOutcome> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    env::EvolveResult& r = results[i];
    EvolveOutcome& o = out[i];
    o.evolved = std::move(r.rewritten);
    o.response = std::move(r.response);
    o.not_equal = r.not_equal;
    for (const llm::Completion& c : r.calls) o.calls.push_back(ToCallRecord(c));
    o.malformed_reply = r.not_equal.has_value() && !evol::IsExactVerdict(r.reply);
    // An answer-only item has no evolution to be empty or to judge by the rules.
    const bool answer_only = items[i].answer_only;
    o.reason = r.failed ? evol::EliminationReason::kFailedCall
               : (!answer_only && Trim(o.evolved).empty()) || Trim(o.response).empty()
                   ? evol::EliminationReason::kEmpty
               : answer_only ? evol::EliminationReason::kNone
                             : evol::Eliminate(context.rules, o.evolved, o.response, o.not_equal);
  }
  return out;
}

Status FirstUnrecoverable(const std::vector<EvolveOutcome>& outcomes) {
  for (const EvolveOutcome& o : outcomes) TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(o.calls));
  return OkStatus();
}

Status EvolveSetup::Make(const Config& config, const std::vector<std::string>& eliminate,
                         const evol::ActionSet* actions, llm::Placement placement) {
  TEAMSRL_ASSIGN_OR_RETURN(prompts,
                           evol::PromptSet::Load(config.env.prompts_dir,
                                                 actions != nullptr ? *actions : evol::ActionSet(),
                                                 config.env.reviewer_template));
  TEAMSRL_ASSIGN_OR_RETURN(context, EvolveContext::Make(config, *prompts, eliminate));
  TEAMSRL_ASSIGN_OR_RETURN(router, llm::MakeRouter(config.llm, config.run.seed, placement));
  return OkStatus();
}

}  // namespace teamsrl::pipeline
