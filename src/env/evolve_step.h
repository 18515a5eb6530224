// One batched evolve step, the loop `train` (InstructionEnv::Step), `generate` and
// `baseline` (pipeline::EvolveBatch) share: per item a rewrite by the chosen operation
// (docs/method.md s.3), then, when the rewrite came back, the follow-ups the item asks for:
// the answer (responder) and the equality check (reviewer). All items' calls are in
// flight together (docs/architecture.md s.2, s.4.1). What a result means (reward, kept or
// eliminated, which text carries on) is the caller's business.
//
// The order of the calls, which the rate limiter and the recorded call order depend on
// (with a deterministic backend the replies do not, docs/architecture.md s.3):
//   1. every item's rewrite is submitted, in item order, before the first Poll;
//   2. Poll(200 ms) until every item is done; completions are handled in the order Poll
//      returns them. When a rewrite comes back OK and not empty after trimming, that
//      item's follow-ups are submitted at once, before the next completion is handled:
//      the responder's first, then the reviewer's. So follow-ups go out in the order the
//      rewrites complete, not behind a barrier after all rewrites;
//   3. a rewrite that failed, or came back empty, fails the item and sends no follow-up;
//      a failed follow-up fails the item, and its other follow-up is still awaited;
//   4. an item is done when all the calls it sent have come back.
// Every call of an item carries the item's key; the role tells them apart.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evol/actions.h"
#include "evol/prompts.h"
#include "evol/review.h"
#include "llm/client.h"

namespace teamsrl::env {

// What to ask after a rewrite that came back.
struct FollowUps {
  bool review = false;   // the reviewer: did the rewrite add information?
  bool respond = false;  // the responder: an answer to the rewritten instruction
};

struct EvolveTask {
  llm::RequestKey key;  // of every call of the task (docs/architecture.md s.3)
  evol::Action action = evol::Action::kBreadth;
  std::string instruction;  // the instruction to rewrite
  FollowUps after;
  // false: no rewrite; the responder answers `instruction` itself (a seed the baseline keeps
  // in its dataset) and `after` is ignored.
  bool rewrite = true;
};

struct EvolveStepOptions {
  const evol::PromptSet* prompts = nullptr;
  evol::MatchMode match = evol::MatchMode::kExact;  // how the review's reply is read
  llm::SamplingParams rewriter, reviewer, responder;
};

struct EvolveResult {
  std::string rewritten;          // the trimmed rewrite; "" when it failed or was empty
  std::string reply;              // the reviewer's raw reply, when it came back OK
  std::optional<bool> not_equal;  // the verdict of `reply` under `match`, likewise
  std::string response;           // the responder's answer, when it came back OK
  bool failed = false;            // a call failed, or the rewrite came back empty
  // Every call made, in role order (rewriter, reviewer, responder); their contents are
  // moved into the fields above.
  std::vector<llm::Completion> calls;
};

// Runs one step of every task through `client`, in the order above; one result per task.
std::vector<EvolveResult> EvolveStep(llm::Client& client, const EvolveStepOptions& options,
                                     const std::vector<EvolveTask>& tasks);

}  // namespace teamsrl::env
