// WizardLM's elimination rules (docs/method.md s.6): when an evolution counts as
// failed, so its sample is marked eliminated (and, in the baseline, the parent instruction
// goes back to the pool). Each rule is switchable (`generate.eliminate`,
// `baseline.eliminate`):
//   equal        no information gain: the reviewer says the two instructions are Equal
//   sorry        the response contains "sorry" (any case) and is short (< 80 words)
//   stopwords    the response is only punctuation and stop words (an empty one included)
//   prompt_leak  the evolved instruction copies words of the evolving prompt ("given
//                prompt", "rewritten prompt", "#Given Prompt#", ..., any case)
// A failed LLM call is its own reason (kFailedCall), whatever the rules, and so is an
// evolved instruction or a response that is empty or blank (kEmpty): neither is a sample to
// fine-tune on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace teamsrl::evol {

enum class EliminationReason : int {
  kNone = 0,
  kEqual = 1,
  kSorry = 2,
  kStopwords = 3,
  kPromptLeak = 4,
  kFailedCall = 5,
  kEmpty = 6,
};
inline constexpr int kNumEliminationReasons = 7;

// "none", "equal", "sorry", "stopwords", "prompt_leak", "failed_call", "empty".
std::string_view EliminationReasonName(EliminationReason reason);
// The names in enum order: the `reason_names` attribute of /dataset/samples.
const std::vector<std::string>& EliminationReasonNames();

inline constexpr int kSorryMaxWords = 80;  // "short": fewer words than this

struct EliminationRules {
  bool equal = false;
  bool sorry = false;
  bool stopwords = false;
  bool prompt_leak = false;

  // From rule names (equal | sorry | stopwords | prompt_leak); InvalidArgument names an
  // unknown one. An empty list switches every rule off.
  static Result<EliminationRules> FromNames(const std::vector<std::string>& names);
  static EliminationRules All() { return {true, true, true, true}; }
  bool operator==(const EliminationRules&) const = default;
};

// Rule (2): contains "sorry" in any case and has fewer than kSorryMaxWords words.
bool IsShortApology(std::string_view response);
// Rule (3): no word outside the stop-word list (punctuation-only and empty included).
bool IsOnlyStopWords(std::string_view response);
// Rule (4): one of the evolving prompt's marker phrases appears (case-insensitive).
bool LeaksPromptWords(std::string_view evolved_instruction);

// The first rule (in the numbered order above) that eliminates the sample, or kNone.
// `not_equal` is the reviewer's parsed verdict, absent when no review was asked for (the
// equal rule then cannot fire).
EliminationReason Eliminate(const EliminationRules& rules, std::string_view evolved_instruction,
                            std::string_view response, std::optional<bool> not_equal);

}  // namespace teamsrl::evol
