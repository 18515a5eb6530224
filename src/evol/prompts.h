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

// The rewriter's and the reviewer's system messages come from their templates
// (SplitSystemSection): none in the shipped set, as in the released TeaMs-RL code (one user
// message per call); the Evol-Instruct set sets WizardLM's.
inline constexpr std::string_view kDefaultReviewerTemplate = "reviewer.txt";

struct ChatPrompt {
  std::string system;
  std::string user;
};

// Replaces every {instruction} in one pass (text inside `instruction` is never re-expanded).
std::string Render(std::string_view tmpl, std::string_view instruction);
// Replaces {before} and {after} in one pass.
std::string RenderReview(std::string_view tmpl, std::string_view before, std::string_view after);

// A template file may carry the system message of its request: a first line `[system]`,
// the system text, a line `[user]`, then the user template. Without that first line the
// whole text is the user template and the request has no system message. `where` names
// the file in errors.
Result<ChatPrompt> SplitSystemSection(const std::string& text, const std::string& where);

class PromptSet {
 public:
  // Loads the templates of every catalogue action plus reviewer.txt and responder.txt.
  static Result<PromptSet> Load(const std::string& dir);
  // Loads only the templates the run's actions need (plus reviewer and responder);
  // `reviewer_file`: the reviewer's template in `dir` (env.reviewer_template).
  static Result<PromptSet> Load(const std::string& dir, const ActionSet& actions,
                                const std::string& reviewer_file = "reviewer.txt");

  bool Has(Action action) const { return templates_[Index(action)].has_value(); }
  // Checks that the action's template was loaded; its user part.
  const std::string& ActionTemplate(Action action) const;
  // The action's system message ("" = none).
  const std::string& ActionSystem(Action action) const;
  const std::string& reviewer_template() const { return reviewer_; }
  const std::string& reviewer_system() const { return reviewer_system_; }
  const std::string& responder_system() const { return responder_system_; }
  const std::string& dir() const { return dir_; }

  ChatPrompt Rewriter(Action action, std::string_view instruction) const;
  ChatPrompt Reviewer(std::string_view before, std::string_view after) const;
  ChatPrompt Responder(std::string_view instruction) const;

 private:
  static size_t Index(Action a) { return static_cast<size_t>(a); }

  std::string dir_;
  std::array<std::optional<ChatPrompt>, kNumActions> templates_;  // system + user template
  std::string reviewer_;
  std::string reviewer_system_;  // "" = no system message
  std::string responder_system_;
};

}  // namespace teamsrl::evol
