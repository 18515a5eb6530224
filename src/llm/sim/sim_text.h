// Text analysis shared by the sim rewriter, reviewer and responder: a non-allocating word
// scanner, the features the sim's model reads from a text (recognised by the phrases the
// sim itself writes, see sim_lexicon.h) and the reviewer's information increment.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace teamsrl::llm::sim {

inline constexpr size_t kMaxWordBytes = 48;  // longer words are truncated when compared

inline bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Calls f(lower_word, begin, end) for every maximal run of word bytes (ASCII letters and
// digits, UTF-8 bytes); [begin, end) locates the word in `text`. No allocation.
template <typename F>
void ForEachWord(std::string_view text, F&& f) {
  char buf[kMaxWordBytes];
  size_t len = 0;
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (IsWordByte(c)) {
      if (len == 0) begin = i;
      if (len < kMaxWordBytes) {
        buf[len] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
      ++len;
    } else if (len > 0) {
      f(std::string_view(buf, len < kMaxWordBytes ? len : kMaxWordBytes), begin, i);
      len = 0;
    }
  }
}

// Carries information for the reviewer: not a stopword, not leaked scaffolding, and at
// least two letters (or a number).
bool IsContentWord(std::string_view lower_word);

// What the sim's model knows about a text.
struct TextFeatures {
  int constraints = 0;    // constraint sentences (add_constraints)
  int reasoning = 0;      // step-by-step requests (increase_reasoning)
  int blocks = 0;         // fenced blocks and markdown tables (complicate_input)
  int deepening = 0;      // deepening sentences
  int general_words = 0;  // words concretizing can still replace
  int words = 0;          // alphanumeric words
  bool marker = false;    // leaked marker words ("#Rewritten Prompt#", "given prompt", ...)
};
TextFeatures ExtractFeatures(std::string_view text);

int CountOccurrences(std::string_view text, std::string_view needle);
// Fenced ``` blocks (an unclosed fence counts) plus markdown tables (lines starting "|---").
int CountBlocks(std::string_view text);
bool HasMarker(std::string_view text);
// Drops leaked marker prefixes ("#Rewritten Prompt#:") at the start, and leading space.
std::string_view StripMarkers(std::string_view text);

// What `after` adds to `before`: distinct content words absent from `before`, and blocks.
struct Increment {
  int new_content_words = 0;
  int new_blocks = 0;
};
Increment InformationIncrement(std::string_view before, std::string_view after);

// Up to and including the first sentence end (. ? ! followed by space, or a newline).
std::string_view FirstSentence(std::string_view text);
// Distinct content words in order of appearance, at most `max`.
std::vector<std::string> KeyWords(std::string_view text, size_t max);
// "{x}", "{y}" -> x, y; "{n}" -> n.
std::string FillTemplate(std::string_view tmpl, std::string_view x, std::string_view y, int n);
// Appends a sentence after a space, or on a new line when the text ends in a block.
void AppendSentence(std::string& text, std::string_view sentence);
// Upper-cases the first byte if it is an ASCII letter.
std::string Capitalized(std::string_view s);

}  // namespace teamsrl::llm::sim
