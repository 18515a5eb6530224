#include "llm/openai/prompt_template.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/text.h"

namespace teamsrl::llm {

Result<std::string> ReadPromptTemplate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("prompt template " + path + " is missing or unreadable");
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) return InvalidArgument("prompt template " + path + " is empty");
  if (text.find(kUserSlot) == std::string::npos) {
    return InvalidArgument("prompt template " + path + " has no " + std::string(kUserSlot) +
                           " placeholder");
  }
  return text;
}

namespace {

std::string Joined(const std::vector<Message>& messages, bool system) {
  std::string out;
  for (const Message& m : messages) {
    if ((m.role == "system") != system) continue;
    if (!out.empty()) out += "\n\n";
    out += m.content;
  }
  return out;
}

// `tmpl` without its lines that hold nothing but {system} (and blanks).
std::string WithoutSystemLines(std::string_view tmpl) {
  std::string out;
  size_t at = 0;
  while (at <= tmpl.size()) {
    const size_t end = tmpl.find('\n', at);
    const std::string_view line =
        tmpl.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    const bool last = end == std::string_view::npos;
    if (Trim(line) != kSystemSlot) {
      out.append(line);
      if (!last) out += '\n';
    }
    if (last) break;
    at = end + 1;
  }
  return out;
}

}  // namespace

std::string RenderPrompt(std::string_view tmpl, const std::vector<Message>& messages) {
  const std::string system = Joined(messages, /*system=*/true);
  const std::string user = Joined(messages, /*system=*/false);
  if (!system.empty()) return Substitute(tmpl, {{kSystemSlot, system}, {kUserSlot, user}});
  return Substitute(WithoutSystemLines(tmpl), {{kSystemSlot, ""}, {kUserSlot, user}});
}

}  // namespace teamsrl::llm
