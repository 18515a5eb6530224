// `api: completions`: a chat request's messages rendered into the one prompt a base model
// reads (`prompt_template`), e.g. experiments/prompts/vicuna.txt:
//
//   {system}
//   USER: {user}
//   ASSISTANT:
//
// {system} is the system messages' contents, {user} the other messages' contents (each
// list joined by a blank line). Replaced in one pass: braces a message brings in are never
// expanded. When the request has no system message, a template line holding only {system}
// goes away with its line break, so the prompt does not open with a blank line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "llm/types.h"

namespace teamsrl::llm {

inline constexpr std::string_view kSystemSlot = "{system}";
inline constexpr std::string_view kUserSlot = "{user}";

// The text of the template file at `path`, trailing whitespace dropped (an editor's final
// newline would otherwise end every prompt). NotFound when unreadable; InvalidArgument
// when empty or without {user}. Messages name the file, not the config key.
Result<std::string> ReadPromptTemplate(const std::string& path);

// The prompt for `messages`.
std::string RenderPrompt(std::string_view tmpl, const std::vector<Message>& messages);

}  // namespace teamsrl::llm
