#include "env/evolve_step.h"

#include <algorithm>
#include <chrono>

#include "core/check.h"
#include "core/text.h"

namespace teamsrl::env {
namespace {

// Tags: task i's call of role r is kNumRoles * i + r.
constexpr uint64_t kRolesPerTask = llm::kNumRoles;

// evol knows nothing of the LLM client (docs/architecture.md s.1): a prompt becomes
// messages here; an empty system prompt sends none.
std::vector<llm::Message> ToMessages(const evol::ChatPrompt& prompt) {
  std::vector<llm::Message> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  return messages;
}

llm::Request MakeRequest(llm::Role role, size_t i, const EvolveTask& task,
                         const evol::ChatPrompt& prompt, const llm::SamplingParams& sampling,
                         llm::Intent intent) {
  llm::Request r;
  r.role = role;
  r.messages = ToMessages(prompt);
  r.sampling = sampling;
  r.key = task.key;
  r.intent = std::move(intent);
  r.tag = kRolesPerTask * i + static_cast<uint64_t>(role);
  return r;
}

}  // namespace

std::vector<EvolveResult> EvolveStep(llm::Client& client, const EvolveStepOptions& options,
                                     const std::vector<EvolveTask>& tasks) {
  TEAMSRL_CHECK(options.prompts != nullptr);
  const evol::PromptSet& prompts = *options.prompts;
  std::vector<EvolveResult> out(tasks.size());
  std::vector<int> waiting(tasks.size(), 1);  // calls still out per task
  for (size_t i = 0; i < tasks.size(); ++i) {
    const EvolveTask& task = tasks[i];
    if (!task.rewrite) {
      client.Submit(MakeRequest(llm::Role::kResponder, i, task, prompts.Responder(task.instruction),
                                options.responder, {"", {task.instruction}}));
      continue;
    }
    client.Submit(MakeRequest(llm::Role::kRewriter, i, task,
                              prompts.Rewriter(task.action, task.instruction), options.rewriter,
                              {std::string(evol::ActionName(task.action)), {task.instruction}}));
  }
  size_t pending = tasks.size();
  while (pending > 0) {
    for (llm::Completion& c : client.Poll(std::chrono::milliseconds(200))) {
      const size_t i = c.tag / kRolesPerTask;
      TEAMSRL_CHECK(i < tasks.size()) << "unexpected completion tag " << c.tag;
      const EvolveTask& task = tasks[i];
      EvolveResult& o = out[i];
      std::string content = std::move(c.content);
      c.content.clear();
      const bool ok = c.status.ok();
      const llm::Role role = c.role;
      o.calls.push_back(std::move(c));
      --waiting[i];
      if (!ok) {
        o.failed = true;
      } else if (role == llm::Role::kRewriter) {
        o.rewritten = Trim(content);
        if (o.rewritten.empty()) {
          o.failed = true;  // an empty rewrite is a failed step (docs/architecture.md s.2.1)
        } else {
          if (task.after.respond) {
            client.Submit(MakeRequest(llm::Role::kResponder, i, task,
                                      prompts.Responder(o.rewritten), options.responder,
                                      {"", {o.rewritten}}));
            ++waiting[i];
          }
          if (task.after.review) {
            client.Submit(MakeRequest(llm::Role::kReviewer, i, task,
                                      prompts.Reviewer(task.instruction, o.rewritten),
                                      options.reviewer, {"", {task.instruction, o.rewritten}}));
            ++waiting[i];
          }
        }
      } else if (role == llm::Role::kReviewer) {
        o.not_equal = evol::IsNotEqual(content, options.match);
        o.reply = std::move(content);
      } else {
        o.response = std::move(content);
      }
      if (waiting[i] == 0) --pending;
    }
  }
  for (EvolveResult& o : out) {
    // Calls arrive in completion order; role order makes the records stable.
    std::stable_sort(o.calls.begin(), o.calls.end(),
                     [](const llm::Completion& a, const llm::Completion& b) {
                       return static_cast<int>(a.role) < static_cast<int>(b.role);
                     });
  }
  return out;
}

}  // namespace teamsrl::env
