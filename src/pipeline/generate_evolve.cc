#include "pipeline/generate_evolve.h"

#include <algorithm>
#include <chrono>

#include "core/check.h"
#include "core/text.h"
#include "pipeline/call_checks.h"

namespace teamsrl::pipeline {
namespace {

constexpr uint64_t kRolesPerItem = llm::kNumRoles;

std::vector<llm::Message> ToMessages(const evol::ChatPrompt& prompt) {
  std::vector<llm::Message> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  return messages;
}

llm::Request MakeRequest(llm::Role role, size_t i, const EvolveItem& item,
                         const evol::ChatPrompt& prompt, const llm::SamplingParams& sampling,
                         llm::Intent intent) {
  llm::Request r;
  r.role = role;
  r.messages = ToMessages(prompt);
  r.sampling = sampling;
  r.key = {0, item.seed_index, item.step, 0};
  r.intent = std::move(intent);
  r.tag = kRolesPerItem * i + static_cast<uint64_t>(role);
  return r;
}

}  // namespace

Result<EvolveContext> EvolveContext::Make(const Config& config, const evol::PromptSet& prompts,
                                          const std::vector<std::string>& eliminate) {
  EvolveContext context;
  context.prompts = &prompts;
  TEAMSRL_ASSIGN_OR_RETURN(context.match, evol::MatchModeFromName(config.env.reward.match));
  TEAMSRL_ASSIGN_OR_RETURN(context.rules, evol::EliminationRules::FromNames(eliminate));
  context.review = context.rules.equal;
  context.rewriter = llm::SamplingFor(config.llm, llm::Role::kRewriter);
  context.reviewer = llm::SamplingFor(config.llm, llm::Role::kReviewer);
  context.responder = llm::SamplingFor(config.llm, llm::Role::kResponder);
  return context;
}

std::vector<EvolveOutcome> EvolveBatch(llm::Client& client, const EvolveContext& context,
                                       const std::vector<EvolveItem>& items) {
  TEAMSRL_CHECK(context.prompts != nullptr);
  const evol::PromptSet& prompts = *context.prompts;
  std::vector<EvolveOutcome> out(items.size());
  std::vector<int> waiting(items.size(), 1);  // calls still out per item
  std::vector<bool> failed(items.size(), false);
  for (size_t i = 0; i < items.size(); ++i) {
    const EvolveItem& item = items[i];
    client.Submit(MakeRequest(llm::Role::kRewriter, i, item,
                              prompts.Rewriter(item.action, item.instruction), context.rewriter,
                              {std::string(evol::ActionName(item.action)), {item.instruction}}));
  }
  size_t pending = items.size();
  while (pending > 0) {
    for (llm::Completion& c : client.Poll(std::chrono::milliseconds(200))) {
      const size_t i = c.tag / kRolesPerItem;
      TEAMSRL_CHECK(i < items.size()) << "unexpected completion tag " << c.tag;
      EvolveOutcome& o = out[i];
      o.calls.push_back(ToCallRecord(c));
      --waiting[i];
      if (!c.status.ok()) {
        failed[i] = true;
      } else if (c.role == llm::Role::kRewriter) {
        o.evolved = Trim(c.content);
        if (o.evolved.empty()) {
          failed[i] = true;  // an empty rewrite is a failed evolution
        } else {
          client.Submit(MakeRequest(llm::Role::kResponder, i, items[i],
                                    prompts.Responder(o.evolved), context.responder,
                                    {"", {o.evolved}}));
          ++waiting[i];
          if (context.review) {
            client.Submit(MakeRequest(llm::Role::kReviewer, i, items[i],
                                      prompts.Reviewer(items[i].instruction, o.evolved),
                                      context.reviewer, {"", {items[i].instruction, o.evolved}}));
            ++waiting[i];
          }
        }
      } else if (c.role == llm::Role::kReviewer) {
        o.not_equal = evol::IsNotEqual(c.content, context.match);
      } else {
        o.response = std::move(c.content);
      }
      if (waiting[i] == 0) --pending;
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    EvolveOutcome& o = out[i];
    std::stable_sort(o.calls.begin(), o.calls.end(),
                     [](const CallRecord& a, const CallRecord& b) { return a.role < b.role; });
    o.reason = failed[i] ? evol::EliminationReason::kFailedCall
                         : evol::Eliminate(context.rules, o.evolved, o.response, o.not_equal);
  }
  return out;
}

Status FirstUnrecoverable(const std::vector<EvolveOutcome>& outcomes) {
  for (const EvolveOutcome& o : outcomes) TEAMSRL_RETURN_IF_ERROR(FirstUnrecoverable(o.calls));
  return OkStatus();
}

}  // namespace teamsrl::pipeline
