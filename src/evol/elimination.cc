#include "evol/elimination.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>

#include "core/text.h"

namespace teamsrl::evol {
namespace {

constexpr std::array<std::string_view, kNumEliminationReasons> kReasonNames = {
    "none", "equal", "sorry", "stopwords", "prompt_leak", "failed_call", "empty"};

// The marker phrases of the evolving prompts (docs/method.md s.3; "created prompt" is the
// breadth prompt's). The #-tagged forms ("#Given Prompt#") contain the plain ones, so a
// case-insensitive search for these covers them all.
constexpr std::array<std::string_view, 3> kPromptMarkers = {"given prompt", "rewritten prompt",
                                                            "created prompt"};

// A common English stop-word list (articles, pronouns, auxiliaries, prepositions,
// conjunctions and their contractions), as Words() yields them: lower case.
const std::unordered_set<std::string>& StopWords() {
  static const std::unordered_set<std::string> kWords = {
      "a",         "about",    "above",      "after",     "again",      "against", "all",
      "am",        "an",       "and",        "any",       "are",        "aren't",  "as",
      "at",        "be",       "because",    "been",      "before",     "being",   "below",
      "between",   "both",     "but",        "by",        "can",        "can't",   "cannot",
      "could",     "couldn't", "did",        "didn't",    "do",         "does",    "doesn't",
      "doing",     "don't",    "down",       "during",    "each",       "few",     "for",
      "from",      "further",  "had",        "hadn't",    "has",        "hasn't",  "have",
      "haven't",   "having",   "he",         "he'd",      "he'll",      "he's",    "her",
      "here",      "here's",   "hers",       "herself",   "him",        "himself", "his",
      "how",       "how's",    "i",          "i'd",       "i'll",       "i'm",     "i've",
      "if",        "in",       "into",       "is",        "isn't",      "it",      "it's",
      "its",       "itself",   "just",       "let's",     "me",         "more",    "most",
      "mustn't",   "my",       "myself",     "no",        "nor",        "not",     "now",
      "of",        "off",      "on",         "once",      "only",       "or",      "other",
      "ought",     "our",      "ours",       "ourselves", "out",        "over",    "own",
      "same",      "shan't",   "she",        "she'd",     "she'll",     "she's",   "should",
      "shouldn't", "so",       "some",       "such",      "than",       "that",    "that's",
      "the",       "their",    "theirs",     "them",      "themselves", "then",    "there",
      "there's",   "these",    "they",       "they'd",    "they'll",    "they're", "they've",
      "this",      "those",    "through",    "to",        "too",        "under",   "until",
      "up",        "very",     "was",        "wasn't",    "we",         "we'd",    "we'll",
      "we're",     "we've",    "were",       "weren't",   "what",       "what's",  "when",
      "when's",    "where",    "where's",    "which",     "while",      "who",     "who's",
      "whom",      "why",      "why's",      "will",      "with",       "won't",   "would",
      "wouldn't",  "you",      "you'd",      "you'll",    "you're",     "you've",  "your",
      "yours",     "yourself", "yourselves", "s",         "t",          "d",       "ll",
      "m",         "re",       "ve"};
  return kWords;
}

}  // namespace

std::string_view EliminationReasonName(EliminationReason reason) {
  const int i = static_cast<int>(reason);
  return i >= 0 && i < kNumEliminationReasons ? kReasonNames[i] : std::string_view("unknown");
}

const std::vector<std::string>& EliminationReasonNames() {
  static const std::vector<std::string> kNames(kReasonNames.begin(), kReasonNames.end());
  return kNames;
}

Result<EliminationRules> EliminationRules::FromNames(const std::vector<std::string>& names) {
  EliminationRules rules;
  for (const std::string& name : names) {
    if (name == "equal") {
      rules.equal = true;
    } else if (name == "sorry") {
      rules.sorry = true;
    } else if (name == "stopwords") {
      rules.stopwords = true;
    } else if (name == "prompt_leak") {
      rules.prompt_leak = true;
    } else {
      return InvalidArgument("unknown elimination rule '" + name +
                             "' (valid: equal, sorry, stopwords, prompt_leak)");
    }
  }
  return rules;
}

bool IsShortApology(std::string_view response) {
  return ContainsIgnoreCase(response, "sorry") &&
         WordCount(response) < static_cast<size_t>(kSorryMaxWords);
}

bool IsOnlyStopWords(std::string_view response) {
  const std::unordered_set<std::string>& stop = StopWords();
  const std::vector<std::string> words = Words(response);
  return std::all_of(words.begin(), words.end(),
                     [&](const std::string& w) { return stop.count(w) > 0; });
}

bool LeaksPromptWords(std::string_view evolved_instruction) {
  return std::any_of(kPromptMarkers.begin(), kPromptMarkers.end(), [&](std::string_view marker) {
    return ContainsIgnoreCase(evolved_instruction, marker);
  });
}

EliminationReason Eliminate(const EliminationRules& rules, std::string_view evolved_instruction,
                            std::string_view response, std::optional<bool> not_equal) {
  if (rules.equal && not_equal.has_value() && !*not_equal) return EliminationReason::kEqual;
  if (rules.sorry && IsShortApology(response)) return EliminationReason::kSorry;
  if (rules.stopwords && IsOnlyStopWords(response)) return EliminationReason::kStopwords;
  if (rules.prompt_leak && LeaksPromptWords(evolved_instruction)) {
    return EliminationReason::kPromptLeak;
  }
  return EliminationReason::kNone;
}

}  // namespace teamsrl::evol
