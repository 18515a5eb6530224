// Prompt templates: one editable file per action in `env.prompts_dir` (docs/method.md
// s.3), so users can swap in their own wording, plus the reviewer's and the responder's.
//
//   <action>.txt   must contain {instruction}        (breadth.txt, add_constraints.txt, ...)
//   reviewer.txt   must contain {before} and {after}  (answer "Equal" or "Not Equal")
//   responder.txt  the responder's system prompt       (the user message is the instruction)
//
// evol knows nothing of the LLM client: a ChatPrompt is turned into llm::Messages by the
// caller (env/evolve_step.cc).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "evol/actions.h"

namespace teamsrl::evol {

inline constexpr std::string_view kInstructionSlot = "{instruction}";
inline constexpr std::string_view kBeforeSlot = "{before}";
inline constexpr std::string_view kAfterSlot = "{after}";

// System messages of the rewriter and the reviewer; the task itself is in the template.
inline constexpr std::string_view kRewriterSystem =
    "You are a helpful assistant that rewrites instructions exactly as asked.";
inline constexpr std::string_view kReviewerSystem =
    "You are a strict judge of instructions. Reply with one verdict and nothing else.";

struct ChatPrompt {
  std::string system;
  std::string user;
};

// Replaces every {instruction} in one pass (text inside `instruction` is never re-expanded).
std::string Render(std::string_view tmpl, std::string_view instruction);
// Replaces {before} and {after} in one pass.
std::string RenderReview(std::string_view tmpl, std::string_view before, std::string_view after);

class PromptSet {
 public:
  // Loads the templates of every catalogue action plus reviewer.txt and responder.txt.
  static Result<PromptSet> Load(const std::string& dir);
  // Loads only the templates the run's actions need (plus reviewer and responder).
  static Result<PromptSet> Load(const std::string& dir, const ActionSet& actions);

  bool Has(Action action) const { return templates_[Index(action)].has_value(); }
  // Checks that the action's template was loaded.
  const std::string& ActionTemplate(Action action) const;
  const std::string& reviewer_template() const { return reviewer_; }
  const std::string& responder_system() const { return responder_system_; }
  const std::string& dir() const { return dir_; }

  ChatPrompt Rewriter(Action action, std::string_view instruction) const;
  ChatPrompt Reviewer(std::string_view before, std::string_view after) const;
  ChatPrompt Responder(std::string_view instruction) const;

 private:
  static size_t Index(Action a) { return static_cast<size_t>(a); }

  std::string dir_;
  std::array<std::optional<std::string>, kNumActions> templates_;
  std::string reviewer_;
  std::string responder_system_;
};

}  // namespace teamsrl::evol
