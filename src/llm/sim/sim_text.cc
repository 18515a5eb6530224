#include "llm/sim/sim_text.h"

#include <algorithm>
#include <cstdint>

#include "llm/sim/sim_lexicon.h"

namespace teamsrl::llm::sim {
namespace {

constexpr std::string_view kMarkerPhrases[] = {
    "#rewritten prompt#", "#given prompt#", "#created prompt#", "rewritten prompt", "given prompt"};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive search for a lower-case needle.
bool ContainsLower(std::string_view text, std::string_view lower_needle) {
  if (lower_needle.size() > text.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < lower_needle.size() && Lower(text[i + j]) == lower_needle[j]) ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

uint64_t WordHash(std::string_view w) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : w) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

bool IsContentWord(std::string_view w) {
  if (w.empty()) return false;
  const bool digit = w[0] >= '0' && w[0] <= '9';
  if (w.size() < 2 && !digit) return false;
  return !IsStopword(w) && !IsMarkerWord(w);
}

int CountOccurrences(std::string_view text, std::string_view needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

int CountBlocks(std::string_view text) {
  // A table is recognised by its separator row: a line starting with "|---".
  const int tables = CountOccurrences(text, "\n|---") + (text.starts_with("|---") ? 1 : 0);
  return (CountOccurrences(text, "```") + 1) / 2 + tables;
}

bool HasMarker(std::string_view text) {
  for (std::string_view m : kMarkerPhrases) {
    if (ContainsLower(text, m)) return true;
  }
  return false;
}

std::string_view StripMarkers(std::string_view text) {
  bool stripped = true;
  while (stripped) {
    stripped = false;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t' ||
                             text.front() == '\r')) {
      text.remove_prefix(1);
    }
    for (std::string_view m :
         {kRewriteMarker, kCreateMarker, std::string_view("#Given Prompt#:")}) {
      if (text.starts_with(m)) {
        text.remove_prefix(m.size());
        stripped = true;
      }
    }
  }
  return text;
}

TextFeatures ExtractFeatures(std::string_view text) {
  TextFeatures f;
  for (std::string_view o : ConstraintOpeners()) f.constraints += CountOccurrences(text, o);
  f.reasoning = CountOccurrences(text, kReasoningSignature);
  f.blocks = CountBlocks(text);
  for (std::string_view o : DeepeningOpeners()) f.deepening += CountOccurrences(text, o);
  ForEachWord(text, [&f](std::string_view w, size_t, size_t) {
    ++f.words;
    if (FindGeneralWord(w) != nullptr) ++f.general_words;
  });
  f.marker = HasMarker(text);
  return f;
}

Increment InformationIncrement(std::string_view before, std::string_view after) {
  // Thread-local scratch keeps this allocation-free after warm-up.
  thread_local std::vector<uint64_t> seen;
  thread_local std::vector<uint64_t> added;
  seen.clear();
  added.clear();
  ForEachWord(before, [](std::string_view w, size_t, size_t) { seen.push_back(WordHash(w)); });
  std::sort(seen.begin(), seen.end());
  ForEachWord(after, [](std::string_view w, size_t, size_t) {
    if (!IsContentWord(w)) return;
    const uint64_t h = WordHash(w);
    if (!std::binary_search(seen.begin(), seen.end(), h)) added.push_back(h);
  });
  std::sort(added.begin(), added.end());
  Increment inc;
  inc.new_content_words = static_cast<int>(std::unique(added.begin(), added.end()) - added.begin());
  inc.new_blocks = std::max(0, CountBlocks(after) - CountBlocks(before));
  return inc;
}

std::string_view FirstSentence(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') return text.substr(0, i);
    if ((c == '.' || c == '?' || c == '!') &&
        (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) {
      return text.substr(0, i + 1);
    }
  }
  return text;
}

std::vector<std::string> KeyWords(std::string_view text, size_t max) {
  std::vector<std::string> out;
  ForEachWord(text, [&](std::string_view w, size_t, size_t) {
    if (out.size() >= max || !IsContentWord(w) || w.size() < 3) return;
    if (std::find(out.begin(), out.end(), w) == out.end()) out.emplace_back(w);
  });
  return out;
}

std::string FillTemplate(std::string_view tmpl, std::string_view x, std::string_view y, int n) {
  std::string out;
  out.reserve(tmpl.size() + x.size() + y.size() + 8);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 2 < tmpl.size() && tmpl[i + 2] == '}') {
      const char slot = tmpl[i + 1];
      if (slot == 'x' || slot == 'y' || slot == 'n') {
        if (slot == 'x') out.append(x);
        if (slot == 'y') out.append(y);
        if (slot == 'n') out.append(std::to_string(n));
        i += 2;
        continue;
      }
    }
    out.push_back(tmpl[i]);
  }
  return out;
}

void AppendSentence(std::string& text, std::string_view sentence) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  const size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  const std::string_view last_line = std::string_view(text).substr(line_start);
  if (text.empty() || text.back() == '\n') {
    // Nothing to separate from.
  } else if (last_line.starts_with("```") || last_line.starts_with("|")) {
    text.push_back('\n');
  } else {
    const char c = text.back();
    if (c != '.' && c != '?' && c != '!' && c != ':') text.push_back('.');
    text.push_back(' ');
  }
  text.append(sentence);
}

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

}  // namespace teamsrl::llm::sim
