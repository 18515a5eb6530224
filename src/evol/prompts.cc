#include "evol/prompts.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/text.h"

namespace teamsrl::evol {
namespace {

// Reads a template; trailing whitespace is dropped so the rendered prompt ends cleanly.
Result<std::string> ReadTemplate(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("prompt template " + path.string() + " is missing or unreadable");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  if (text.empty()) return InvalidArgument("prompt template " + path.string() + " is empty");
  return text;
}

Status RequireSlot(const std::string& text, std::string_view slot,
                   const std::filesystem::path& path) {
  if (text.find(slot) == std::string::npos) {
    return InvalidArgument("prompt template " + path.string() + " has no " + std::string(slot) +
                           " placeholder");
  }
  return OkStatus();
}

}  // namespace

std::string Render(std::string_view tmpl, std::string_view instruction) {
  return Substitute(tmpl, {{kInstructionSlot, instruction}});
}

std::string RenderReview(std::string_view tmpl, std::string_view before, std::string_view after) {
  return Substitute(tmpl, {{kBeforeSlot, before}, {kAfterSlot, after}});
}

Result<ChatPrompt> SplitSystemSection(const std::string& text, const std::string& where) {
  constexpr std::string_view kSystem = "[system]\n", kUser = "\n[user]\n";
  if (!text.starts_with(kSystem)) return ChatPrompt{"", text};
  const size_t user = text.find(kUser, kSystem.size() - 1);
  if (user == std::string::npos) {
    return InvalidArgument("prompt template " + where +
                           " starts with [system] but has no [user] line after it");
  }
  // user == kSystem.size() - 1: "[system]\n[user]\n...", an empty system message (none).
  ChatPrompt parts{user < kSystem.size() ? "" : text.substr(kSystem.size(), user - kSystem.size()),
                   text.substr(user + kUser.size())};
  while (!parts.system.empty() && std::isspace(static_cast<unsigned char>(parts.system.back()))) {
    parts.system.pop_back();
  }
  if (parts.user.empty())
    return InvalidArgument("prompt template " + where + " has an empty [user] part");
  return parts;
}

Result<PromptSet> PromptSet::Load(const std::string& dir) { return Load(dir, ActionSet()); }

Result<PromptSet> PromptSet::Load(const std::string& dir, const ActionSet& actions,
                                  const std::string& reviewer_file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("prompts directory " + dir + " does not exist (env.prompts_dir)");
  }
  PromptSet set;
  set.dir_ = dir;
  for (Action a : actions.actions()) {
    const fs::path path = fs::path(dir) / (std::string(ActionName(a)) + ".txt");
    TEAMSRL_ASSIGN_OR_RETURN(std::string text, ReadTemplate(path));
    TEAMSRL_ASSIGN_OR_RETURN(ChatPrompt parts, SplitSystemSection(text, path.string()));
    TEAMSRL_RETURN_IF_ERROR(RequireSlot(parts.user, kInstructionSlot, path));
    set.templates_[Index(a)] = std::move(parts);
  }
  const fs::path reviewer = fs::path(dir) / reviewer_file;
  TEAMSRL_ASSIGN_OR_RETURN(std::string reviewer_text, ReadTemplate(reviewer));
  TEAMSRL_ASSIGN_OR_RETURN(ChatPrompt reviewer_parts,
                           SplitSystemSection(reviewer_text, reviewer.string()));
  set.reviewer_system_ = std::move(reviewer_parts.system);
  set.reviewer_ = std::move(reviewer_parts.user);
  TEAMSRL_RETURN_IF_ERROR(RequireSlot(set.reviewer_, kBeforeSlot, reviewer));
  TEAMSRL_RETURN_IF_ERROR(RequireSlot(set.reviewer_, kAfterSlot, reviewer));
  TEAMSRL_ASSIGN_OR_RETURN(set.responder_system_, ReadTemplate(fs::path(dir) / "responder.txt"));
  return set;
}

const std::string& PromptSet::ActionTemplate(Action action) const {
  TEAMSRL_CHECK(Has(action)) << "no template loaded for action " << ActionName(action);
  return templates_[Index(action)]->user;
}

const std::string& PromptSet::ActionSystem(Action action) const {
  TEAMSRL_CHECK(Has(action)) << "no template loaded for action " << ActionName(action);
  return templates_[Index(action)]->system;
}

ChatPrompt PromptSet::Rewriter(Action action, std::string_view instruction) const {
  return {ActionSystem(action), Render(ActionTemplate(action), instruction)};
}

ChatPrompt PromptSet::Reviewer(std::string_view before, std::string_view after) const {
  return {reviewer_system_, RenderReview(reviewer_, before, after)};
}

ChatPrompt PromptSet::Responder(std::string_view instruction) const {
  return {responder_system_, std::string(instruction)};
}

}  // namespace teamsrl::evol
