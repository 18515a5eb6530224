#include "env/evolve_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/text.h"
#include "evol/review.h"
#include "llm/options.h"
#include "llm/sim/sim_backend.h"

namespace teamsrl::env {
namespace {

using llm::EndpointConfig;
using llm::Role;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

evol::PromptSet ShippedPrompts() {
  auto p = evol::PromptSet::Load(TEAMSRL_SOURCE_DIR "/experiments/prompts");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

llm::SamplingParams Sampling(double temperature, int64_t seed) {
  llm::SamplingParams s;
  s.temperature = temperature;
  s.top_p = 0.9;
  s.max_tokens = 512;
  s.seed = seed;
  return s;
}

// Distinct sampling per role, so a request sent with another role's parameters shows.
EvolveStepOptions Options(const evol::PromptSet& prompts) {
  EvolveStepOptions o;
  o.prompts = &prompts;
  o.match = evol::MatchMode::kNormalized;
  o.rewriter = Sampling(0.1, 11);
  o.reviewer = Sampling(0.2, 22);
  o.responder = Sampling(0.3, 33);
  return o;
}

std::vector<Role> Roles(const std::vector<llm::Completion>& calls) {
  std::vector<Role> roles;
  for (const llm::Completion& c : calls) roles.push_back(c.role);
  return roles;
}

// What a request of `role` must look like, written out from the prompt templates and
// docs/architecture.md s.3 (the task's key on every role), not from evolve_step.cc.
llm::Request Expected(Role role, const EvolveTask& task, const EvolveStepOptions& o,
                      const std::string& rewritten) {
  llm::Request r;
  r.role = role;
  r.key = task.key;
  if (role == Role::kRewriter) {
    // The shipped rewriter templates set no system message (one user message, as in the
    // released code).
    r.messages = {{"user", evol::Render(o.prompts->ActionTemplate(task.action), task.instruction)}};
    r.sampling = o.rewriter;
    r.intent = {std::string(evol::ActionName(task.action)), {task.instruction}};
  } else if (role == Role::kReviewer) {
    // The shipped reviewer template sets no system message: the user message alone.
    r.messages = {
        {"user", evol::RenderReview(o.prompts->reviewer_template(), task.instruction, rewritten)}};
    r.sampling = o.reviewer;
    r.intent = {"", {task.instruction, rewritten}};
  } else {
    r.messages = {{"system", o.prompts->responder_system()}, {"user", rewritten}};
    r.sampling = o.responder;
    r.intent = {"", {rewritten}};
  }
  return r;
}

void ExpectSameRequest(const llm::Request& got, const llm::Request& want) {
  EXPECT_EQ(got.role, want.role);
  EXPECT_EQ(got.key.actor, want.key.actor);
  EXPECT_EQ(got.key.episode, want.key.episode);
  EXPECT_EQ(got.key.step, want.key.step);
  EXPECT_EQ(got.key.sample, want.key.sample);
  ASSERT_EQ(got.messages.size(), want.messages.size());
  for (size_t m = 0; m < got.messages.size(); ++m) {
    EXPECT_EQ(got.messages[m].role, want.messages[m].role);
    EXPECT_EQ(got.messages[m].content, want.messages[m].content);
  }
  EXPECT_EQ(got.sampling.temperature, want.sampling.temperature);
  EXPECT_EQ(got.sampling.top_p, want.sampling.top_p);
  EXPECT_EQ(got.sampling.max_tokens, want.sampling.max_tokens);
  EXPECT_EQ(got.sampling.seed, want.sampling.seed);
  EXPECT_EQ(got.intent.action, want.intent.action);
  EXPECT_EQ(got.intent.texts, want.intent.texts);
}

std::vector<EvolveTask> MixedTasks() {
  return {
      {{0, 3, 0, 0}, evol::Action::kBreadth, "How to cook rice?", {}},
      {{1, 3, 0, 0},
       evol::Action::kAddConstraints,
       "Write a poem about the sea.",
       {.review = true}},
      {{0, 7, 2, 0}, evol::Action::kDeepening, "Explain photosynthesis.", {.respond = true}},
      {{0, 8, 2, 0},
       evol::Action::kConcretizing,
       "Plan a trip to Rome.",
       {.review = true, .respond = true}},
      {{5, 1, 4, 0},
       evol::Action::kIncreaseReasoning,
       "Sort a list of numbers.",
       {.review = true, .respond = true}},
  };
}

TEST(EvolveStepTest, ResultsAreTheSimulatorsRepliesToTheExpectedRequests) {
  const evol::PromptSet prompts = ShippedPrompts();
  const EvolveStepOptions options = Options(prompts);
  EndpointConfig jittery;  // completions come back out of submission order
  jittery.latency_ms = 20;
  jittery.latency_jitter = 1.0;
  llm::SimBackend sim(jittery, 543);
  const std::vector<EvolveTask> tasks = MixedTasks();
  const std::vector<EvolveResult> results = EvolveStep(sim, options, tasks);
  ASSERT_EQ(results.size(), tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    SCOPED_TRACE(i);
    const EvolveTask& task = tasks[i];
    const EvolveResult& r = results[i];
    const llm::Completion rewrite = sim.Simulate(Expected(Role::kRewriter, task, options, ""));
    const std::string rewritten = Trim(rewrite.content);
    ASSERT_FALSE(rewritten.empty());
    EXPECT_EQ(r.rewritten, rewritten);
    EXPECT_FALSE(r.failed);
    std::vector<llm::Completion> want = {rewrite};
    if (task.after.review) {
      want.push_back(sim.Simulate(Expected(Role::kReviewer, task, options, rewritten)));
      EXPECT_EQ(r.reply, want.back().content);
      EXPECT_EQ(r.not_equal, evol::IsNotEqual(want.back().content, options.match));
    } else {
      EXPECT_EQ(r.reply, "");
      EXPECT_FALSE(r.not_equal.has_value());
    }
    if (task.after.respond) {
      want.push_back(sim.Simulate(Expected(Role::kResponder, task, options, rewritten)));
      EXPECT_EQ(r.response, want.back().content);
    } else {
      EXPECT_EQ(r.response, "");
    }
    // Role order; the simulator counts prompt tokens on the messages actually sent.
    ASSERT_EQ(Roles(r.calls), Roles(want));
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_TRUE(r.calls[k].status.ok());
      EXPECT_THAT(r.calls[k].content, IsEmpty());
      EXPECT_EQ(r.calls[k].usage.prompt_tokens, want[k].usage.prompt_tokens);
      EXPECT_EQ(r.calls[k].usage.completion_tokens, want[k].usage.completion_tokens);
    }
  }
}

TEST(EvolveStepTest, ATasksResultDoesNotDependOnItsBatch) {
  const evol::PromptSet prompts = ShippedPrompts();
  const EvolveStepOptions options = Options(prompts);
  llm::SimBackend sim(EndpointConfig{}, 7);
  const std::vector<EvolveTask> tasks = MixedTasks();
  const std::vector<EvolveResult> together = EvolveStep(sim, options, tasks);
  for (size_t i = 0; i < tasks.size(); ++i) {
    const EvolveResult alone = EvolveStep(sim, options, {tasks[i]})[0];
    EXPECT_EQ(alone.rewritten, together[i].rewritten);
    EXPECT_EQ(alone.reply, together[i].reply);
    EXPECT_EQ(alone.not_equal, together[i].not_equal);
    EXPECT_EQ(alone.response, together[i].response);
    EXPECT_EQ(Roles(alone.calls), Roles(together[i].calls));
  }
}

// Logs every Submit and Poll and answers by a rule. A Poll hands back at most `per_poll`
// of the calls submitted before it, newest first, so that completion order differs from
// submission order and a caller that waited for all rewrites would log differently.
class RecordingClient : public llm::Client {
 public:
  using Rule = std::function<llm::Completion(const llm::Request&)>;
  RecordingClient(Rule rule, size_t per_poll) : rule_(std::move(rule)), per_poll_(per_poll) {}

  std::vector<std::string> log;  // "rewriter 3" (role, key.episode) or "poll"
  std::vector<llm::Request> submitted;

  void Submit(llm::Request r) override {
    log.push_back(std::string(llm::RoleName(r.role)) + " " + std::to_string(r.key.episode));
    llm::Completion c = rule_(r);
    c.tag = r.tag;
    c.role = r.role;
    queued_.push_back(std::move(c));
    submitted.push_back(std::move(r));
  }
  std::vector<llm::Completion> Poll(std::chrono::milliseconds) override {
    log.push_back("poll");
    std::vector<llm::Completion> out;
    while (!queued_.empty() && out.size() < per_poll_) {
      out.push_back(std::move(queued_.back()));
      queued_.pop_back();
    }
    return out;
  }
  size_t InFlight() const override { return queued_.size(); }

 private:
  Rule rule_;
  size_t per_poll_;
  std::vector<llm::Completion> queued_;
};

llm::Completion Reply(std::string content, Status status = OkStatus()) {
  llm::Completion c;
  c.content = std::move(content);
  c.status = std::move(status);
  return c;
}

// Rewrites append " now", reviews say "Not Equal", answers "Answer.".
llm::Completion Echo(const llm::Request& r) {
  if (r.role == Role::kRewriter) return Reply(r.intent.texts[0] + " now");
  return Reply(r.role == Role::kReviewer ? "Not Equal" : "Answer.");
}

std::vector<EvolveTask> ThreeTasks(FollowUps after) {
  return {{{0, 0, 1, 0}, evol::Action::kBreadth, "Task zero.", after},
          {{0, 1, 1, 0}, evol::Action::kDeepening, "Task one.", after},
          {{0, 2, 1, 0}, evol::Action::kConcretizing, "Task two.", after}};
}

TEST(EvolveStepTest, FollowUpsGoOutAsEachRewriteReturnsAnswerBeforeReview) {
  const evol::PromptSet prompts = ShippedPrompts();
  RecordingClient client(Echo, 1);
  EvolveStep(client, Options(prompts), ThreeTasks({.review = true, .respond = true}));
  EXPECT_THAT(client.log, ElementsAre("rewriter 0", "rewriter 1", "rewriter 2",  //
                                      "poll", "responder 2", "reviewer 2",       // rewrite 2 back
                                      "poll", "poll",  // its review, its answer
                                      "poll", "responder 1", "reviewer 1",  // rewrite 1 back
                                      "poll", "poll",                       //
                                      "poll", "responder 0", "reviewer 0",  // rewrite 0 back
                                      "poll", "poll"));
}

TEST(EvolveStepTest, ABatchOfCompletionsIsHandledInTheOrderPollReturnsIt) {
  const evol::PromptSet prompts = ShippedPrompts();
  RecordingClient client(Echo, 100);
  const std::vector<EvolveResult> results =
      EvolveStep(client, Options(prompts), ThreeTasks({.review = true}));
  EXPECT_THAT(client.log, ElementsAre("rewriter 0", "rewriter 1", "rewriter 2", "poll",
                                      "reviewer 2", "reviewer 1", "reviewer 0", "poll"));
  for (const EvolveResult& r : results) {
    EXPECT_FALSE(r.failed);
    EXPECT_EQ(r.reply, "Not Equal");
    EXPECT_EQ(r.not_equal, true);
    EXPECT_THAT(Roles(r.calls), ElementsAre(Role::kRewriter, Role::kReviewer));
  }
}

TEST(EvolveStepTest, EveryRequestCarriesItsTasksKeyItsRolesSamplingAndPrompt) {
  const evol::PromptSet prompts = ShippedPrompts();
  const EvolveStepOptions options = Options(prompts);
  RecordingClient client(Echo, 1);
  const std::vector<EvolveTask> tasks = MixedTasks();
  EvolveStep(client, options, tasks);
  // Per task: its rewrite, then its answer, then its review, as far as it asks for them.
  std::map<std::pair<int64_t, int64_t>, std::vector<const llm::Request*>> by_task;
  for (const llm::Request& r : client.submitted) {
    by_task[{r.key.actor, r.key.episode}].push_back(&r);  // unique per task here
  }
  for (const EvolveTask& task : tasks) {
    SCOPED_TRACE(task.instruction);
    const std::vector<const llm::Request*>& sent = by_task[{task.key.actor, task.key.episode}];
    const std::string rewritten = task.instruction + " now";
    std::vector<llm::Request> want = {Expected(Role::kRewriter, task, options, "")};
    if (task.after.respond) want.push_back(Expected(Role::kResponder, task, options, rewritten));
    if (task.after.review) want.push_back(Expected(Role::kReviewer, task, options, rewritten));
    ASSERT_EQ(sent.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) ExpectSameRequest(*sent[k], want[k]);
  }
}

TEST(EvolveStepTest, AFailedOrEmptyRewriteSendsNoFollowUpAFailedFollowUpWaitsForTheOther) {
  const evol::PromptSet prompts = ShippedPrompts();
  // Episode 0: the rewrite fails; 1: it comes back blank; 2: the answer fails but the
  // review does not; 3: all is well.
  RecordingClient client(
      [](const llm::Request& r) {
        const int64_t e = r.key.episode;
        if (r.role == Role::kRewriter && e == 0) return Reply("", Unavailable("HTTP 503"));
        if (r.role == Role::kRewriter && e == 1) return Reply(" \n\t ");
        if (r.role == Role::kResponder && e == 2) return Reply("", Unavailable("HTTP 500"));
        return Echo(r);
      },
      1);
  std::vector<EvolveTask> tasks = ThreeTasks({.review = true, .respond = true});
  tasks.push_back({{0, 3, 1, 0}, evol::Action::kBreadth, "Task three.", tasks[0].after});
  const std::vector<EvolveResult> results = EvolveStep(client, Options(prompts), tasks);
  EXPECT_THAT(client.log, ElementsAre("rewriter 0", "rewriter 1", "rewriter 2", "rewriter 3",  //
                                      "poll", "responder 3", "reviewer 3", "poll", "poll",     //
                                      "poll", "responder 2", "reviewer 2", "poll", "poll",     //
                                      "poll",    // 1: blank
                                      "poll"));  // 0: failed
  for (int i : {0, 1}) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(results[i].failed);
    EXPECT_EQ(results[i].rewritten, "");
    EXPECT_THAT(Roles(results[i].calls), ElementsAre(Role::kRewriter));
  }
  EXPECT_FALSE(results[0].calls[0].status.ok());
  EXPECT_TRUE(results[1].calls[0].status.ok());
  const EvolveResult& half = results[2];
  EXPECT_TRUE(half.failed);
  EXPECT_EQ(half.rewritten, "Task two. now");
  EXPECT_EQ(half.reply, "Not Equal");
  EXPECT_EQ(half.not_equal, true);
  EXPECT_EQ(half.response, "");
  ASSERT_THAT(Roles(half.calls), ElementsAre(Role::kRewriter, Role::kReviewer, Role::kResponder));
  EXPECT_TRUE(half.calls[1].status.ok());
  EXPECT_FALSE(half.calls[2].status.ok());
  EXPECT_FALSE(results[3].failed);
  EXPECT_EQ(results[3].response, "Answer.");
}

TEST(EvolveStepTest, WithoutFollowUpsOnlyTheRewriteIsSent) {
  const evol::PromptSet prompts = ShippedPrompts();
  RecordingClient client(Echo, 100);
  const std::vector<EvolveResult> results = EvolveStep(client, Options(prompts), ThreeTasks({}));
  EXPECT_THAT(client.log, ElementsAre("rewriter 0", "rewriter 1", "rewriter 2", "poll"));
  EXPECT_EQ(results[1].rewritten, "Task one. now");
  EXPECT_FALSE(results[1].failed);
  EXPECT_THAT(Roles(results[1].calls), ElementsAre(Role::kRewriter));
}

}  // namespace
}  // namespace teamsrl::env
