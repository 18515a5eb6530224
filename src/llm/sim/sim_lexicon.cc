// Phrase lists of the sim rewriter and reviewer (general words and domains live in
// sim_domains.cc). Written for this project; edit freely, the tests check the invariants.
#include "llm/sim/sim_lexicon.h"

#include <string_view>
#include <unordered_set>

namespace teamsrl::llm::sim {
namespace {

constexpr std::string_view kConstraintOpeners[] = {"Your answer must", "The answer must",
                                                   "Keep the answer", "Make sure the answer",
                                                   "The response must"};

constexpr Template kConstraints[] = {
    {"Your answer must stay under {n} words and avoid technical jargon.", 120, 300},
    {"Your answer must cite at least {n} credible sources published after 2015.", 2, 5},
    {"The answer must include a comparison table with exactly {n} rows.", 3, 6},
    {"Keep the answer suitable for a {n}-year-old reader without losing accuracy.", 10, 14},
    {"Make sure the answer respects a spending limit of {n} dollars per month.", 50, 400},
    {"The response must address the reader directly and use British spelling."},
    {"Your answer must end with a one-sentence summary printed in bold."},
    {"The answer must list {n} common mistakes together with a fix for each.", 3, 7},
    {"Keep the answer within {n} short paragraphs of plain prose, without bullet points.", 2, 4},
    {"Make sure the answer suits beginners who have only {n} hours available per week.", 2, 6},
    {"The response must mention at least one risk and one mitigation for every "
     "recommendation."},
    {"Your answer must use metric units throughout and round figures to {n} decimals.", 1, 2},
    {"The answer must avoid brand names and recommend only freely available resources."},
    {"Keep the answer focused on the {n} most important factors and ignore minor details.", 3, 5},
    {"Make sure the answer includes a realistic timeline spanning {n} weeks.", 4, 12},
    {"The response must quote no more than {n} sentences from external sources.", 1, 3},
    {"Your answer must provide an estimated cost range for each suggested option."},
    {"The answer must also address readers with a visual impairment."},
    {"Keep the answer free of personal opinions and back each claim with a statistic."},
    {"Make sure the answer contrasts urban and rural circumstances in separate sections."},
    {"The response must open with a {n}-item checklist before any explanation.", 3, 6},
    {"Your answer must consider a household of {n} members sharing one income.", 3, 6},
    {"The answer must flag every claim that is uncertain or still debated by experts."},
    {"Keep the answer neutral in tone and suitable for a school newsletter."},
};

// Long sentences are split over adjacent literals on purpose.
// NOLINTBEGIN(bugprone-suspicious-missing-comma)
constexpr std::string_view kReasoning[] = {
    "Work through it step by step, stating each assumption before reaching the final "
    "conclusion.",
    "Reason step by step: identify the key factors first, weigh them against each other, "
    "then recommend an option.",
    "Explain your thinking step by step and justify every intermediate decision with "
    "evidence.",
    "Break the solution down step by step, numbering each stage and checking it before "
    "moving on.",
    "Derive the answer step by step, showing the calculations or arguments behind each "
    "stage.",
    "Proceed step by step: outline a plan, carry it out, and verify the outcome against the "
    "goal.",
    "Think step by step about causes and effects before committing to a recommendation.",
    "Lay out the reasoning step by step so a reader can follow and check every inference.",
};
// NOLINTEND(bugprone-suspicious-missing-comma)

constexpr std::string_view kDeepeningOpeners[] = {"In particular,", "In addition,",
                                                  "Beyond the basics,"};

constexpr Template kDeepening[] = {
    {"In particular, examine how {x} affects {y}, and explain which trade-offs matter most."},
    {"In addition, discuss why {x} shapes {y} and what evidence supports that view."},
    {"Beyond the basics, analyse how {x} has changed over the last {n} years and what that "
     "means for {y}.",
     5, 30},
    {"In particular, compare how {x} and {y} interact in two contrasting situations."},
    {"In addition, explore what happens to {y} when {x} becomes the main concern."},
    {"Beyond the basics, consider the long-run consequences of {x} for {y}."},
};

constexpr std::string_view kAspects[] = {
    "the available budget",
    "seasonal variation",
    "local regulations",
    "the experience of beginners",
    "long-term maintenance costs",
    "environmental impact",
    "safety risks",
    "cultural expectations",
    "time pressure",
    "historical precedent",
    "accessibility needs",
    "scalability under growth",
    "ethical concerns",
    "personal privacy",
    "energy consumption",
    "supply shortages",
    "measurement error",
    "public perception",
    "regional climate differences",
    "family schedules",
    "mental fatigue",
    "quality control",
    "legal liability",
    "community traditions",
    "technological change",
    "health outcomes",
    "carbon emissions",
    "social inequality",
    "reliability over time",
    "personal motivation",
};

constexpr std::string_view kStopwords[] = {
    "a",       "about",   "above",     "after",  "again", "against",  "all",     "also",
    "am",      "an",      "and",       "any",    "are",   "as",       "at",      "be",
    "because", "been",    "before",    "being",  "below", "between",  "both",    "but",
    "by",      "can",     "could",     "did",    "do",    "does",     "doing",   "down",
    "during",  "each",    "etc",       "few",    "for",   "from",     "further", "had",
    "has",     "have",    "having",    "he",     "her",   "here",     "hers",    "him",
    "his",     "how",     "i",         "if",     "in",    "into",     "is",      "it",
    "its",     "itself",  "just",      "let",    "me",    "more",     "most",    "much",
    "must",    "my",      "no",        "nor",    "not",   "now",      "of",      "off",
    "on",      "once",    "one",       "only",   "or",    "other",    "our",     "ours",
    "out",     "over",    "own",       "please", "same",  "she",      "should",  "so",
    "some",    "such",    "than",      "that",   "the",   "their",    "them",    "then",
    "there",   "these",   "they",      "this",   "those", "through",  "to",      "too",
    "under",   "until",   "up",        "very",   "was",   "we",       "were",    "what",
    "when",    "where",   "which",     "while",  "who",   "whom",     "why",     "will",
    "with",    "would",   "you",       "your",   "yours", "yourself", "may",     "might",
    "shall",   "s",       "t",         "d",      "ll",    "re",       "ve",      "m",
    "don",     "can't",   "won't",     "it's",   "i'm",   "you're",   "let's",   "per",
    "via",     "within",  "without",   "upon",   "yet",   "ever",     "even",    "still",
    "well",    "however", "therefore", "thus",   "hence", "whether",
};

constexpr std::string_view kMarkerWords[] = {"given", "prompt", "prompts", "rewritten", "created"};

constexpr Synonym kSynonyms[] = {
    {"explain", "describe"}, {"describe", "explain"}, {"best", "top"},
    {"create", "make"},      {"make", "create"},      {"write", "compose"},
    {"list", "enumerate"},   {"give", "provide"},     {"provide", "give"},
    {"help", "assist"},      {"use", "employ"},       {"improve", "enhance"},
    {"important", "key"},    {"simple", "basic"},     {"quick", "fast"},
    {"show", "demonstrate"}, {"find", "identify"},    {"choose", "select"},
    {"start", "begin"},      {"get", "obtain"},       {"common", "frequent"},
    {"main", "principal"},   {"learn", "study"},      {"build", "construct"},
};

constexpr std::string_view kRefusals[] = {
    "Sorry, I cannot answer this as stated: the requirements contradict each other. Could "
    "you drop or relax some of them?",
    "Sorry, I can't help with this request in its current form. It asks for more "
    "constraints than a single answer can satisfy at once.",
    "Sorry, I cannot provide a complete answer. The request is too long and its "
    "requirements conflict; please simplify it and ask again.",
};

using WordSet = std::unordered_set<std::string_view>;

template <size_t N>
WordSet MakeSet(const std::string_view (&words)[N]) {
  return WordSet(std::begin(words), std::end(words));
}

}  // namespace

std::span<const Template> ConstraintTemplates() { return kConstraints; }
std::span<const std::string_view> ConstraintOpeners() { return kConstraintOpeners; }
std::span<const std::string_view> ReasoningSentences() { return kReasoning; }
std::span<const Template> DeepeningTemplates() { return kDeepening; }
std::span<const std::string_view> DeepeningOpeners() { return kDeepeningOpeners; }
std::span<const std::string_view> Aspects() { return kAspects; }
std::span<const Synonym> Synonyms() { return kSynonyms; }
std::span<const std::string_view> RefusalReplies() { return kRefusals; }

bool IsStopword(std::string_view lower_word) {
  static const WordSet* const set = new WordSet(MakeSet(kStopwords));
  return set->contains(lower_word);
}

bool IsMarkerWord(std::string_view lower_word) {
  static const WordSet* const set = new WordSet(MakeSet(kMarkerWords));
  return set->contains(lower_word);
}

}  // namespace teamsrl::llm::sim
