// Built-in word lists of the sim backend (sim_backend.h): the phrases its rewriter writes
// (and later recognises in a text), the general words it can make specific, the domains
// and topics breadth draws from, stopwords for the reviewer's comparison. All static,
// built once, never allocated per call.
//
// Invariants the tests check: no phrase the in-depth operations add contains a general
// word (only concretizing changes how many remain), and no specific replacement does.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace teamsrl::llm::sim {

// A sentence template; "{n}" becomes an integer drawn from [lo, hi], "{x}"/"{y}" are
// filled by the caller.
struct Template {
  std::string_view text;
  int lo = 0;
  int hi = 0;
};

// add_constraints: every sentence starts with one of ConstraintOpeners().
std::span<const Template> ConstraintTemplates();
std::span<const std::string_view> ConstraintOpeners();

// increase_reasoning: every sentence contains kReasoningSignature.
inline constexpr std::string_view kReasoningSignature = "step by step";
std::span<const std::string_view> ReasoningSentences();

// deepening: "{x}" and "{y}" are two Aspects(); every sentence starts with an opener.
std::span<const Template> DeepeningTemplates();
std::span<const std::string_view> DeepeningOpeners();
std::span<const std::string_view> Aspects();

// concretizing: a general word and specific phrases that can replace it.
struct GeneralWord {
  std::string_view word;  // lower case
  std::array<std::string_view, 3> specifics;
};
std::span<const GeneralWord> GeneralWords();
const GeneralWord* FindGeneralWord(std::string_view lower_word);  // nullptr if not general

// breadth: domains with keywords (for recognising a text's domain) and topics.
struct Domain {
  std::string_view name;
  std::span<const std::string_view> keywords;
  std::span<const std::string_view> topics;
};
std::span<const Domain> Domains();
// The domain a lower-case word signals (keywords and words of topics), or -1.
int DomainOfWord(std::string_view lower_word);
// "{topic}" templates; they use general words on purpose (material for concretizing).
std::span<const std::string_view> BreadthTemplates();

// Failure modes and the reviewer.
inline constexpr std::string_view kRewriteMarker = "#Rewritten Prompt#:";
inline constexpr std::string_view kCreateMarker = "#Created Prompt#:";
// Words of the leaked prompt scaffolding ("given prompt", "#Rewritten Prompt#", ...).
bool IsMarkerWord(std::string_view lower_word);
bool IsStopword(std::string_view lower_word);
struct Synonym {
  std::string_view from;  // lower case
  std::string_view to;
};
std::span<const Synonym> Synonyms();

// responder
std::span<const std::string_view> RefusalReplies();

}  // namespace teamsrl::llm::sim
