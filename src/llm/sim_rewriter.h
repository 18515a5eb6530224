// The sim backend's rewriter model: whether the simulated model manages an operation,
// and what it returns when it does not. An honest surrogate, not a language model; its
// structure is documented here so results on it are read for what they are.
//
// Model (constants below; tests/llm/sim_policy_test.cc measures the consequences):
//  * Features are read from the text itself, recognised by the phrases the sim writes
//    (sim_text.h TextFeatures): constraint sentences c, reasoning requests r, structured
//    blocks b, deepening sentences d, general words left g, word count w.
//  * Success probability of a genuine rewrite, with diminishing returns:
//      breadth             kBreadthSuccess                 (always returns a short text)
//      add_constraints     0.85 * 0.60^c
//      deepening           0.80 * 0.55^d
//      concretizing        0.85 if g > 0, else 0           (nothing left to make specific)
//      increase_reasoning  0.85 if r == 0, else 0.10
//      complicate_input    0.85 if b == 0, else 0.10
//    and when w > kLongWords every in-depth operation is further multiplied by
//    kLongFactor (the real model truncates an over-long rewrite or returns it unchanged).
//  * A failed in-depth rewrite returns: the text unchanged (35 %), a near-identical copy
//    (synonym / punctuation / case change, 35 %), a near-identical copy behind a leaked
//    "#Rewritten Prompt#:" marker (20 %), or a rambling restatement twice as long (10 %).
//    For texts over kLongWords: unchanged 60 %, near-identical 30 %, leaked marker 10 %.
//  * breadth always resets the text to one short sentence: a new instruction on another
//    topic of the same domain when it succeeds, else the original's first sentence,
//    nearly unchanged (too similar: the reviewer says Equal).
//  * A genuine rewrite leaks the marker prefix with probability kMarkerOnSuccess.
// So the best use of the operations is to apply each once after a breadth reset, while
// uniform random choice repeats operations and lets texts grow too long: a policy that
// learns the order beats uniform choice (about 1.4x the reviewer's Not-Equal rate).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm/sim_actions.h"
#include "llm/sim_text.h"

namespace teamsrl::llm::sim {

inline constexpr double kBreadthSuccess = 0.55;
inline constexpr double kAddConstraintsBase = 0.85;
inline constexpr double kAddConstraintsDecay = 0.60;
inline constexpr double kDeepeningBase = 0.80;
inline constexpr double kDeepeningDecay = 0.55;
inline constexpr double kConcretizingBase = 0.85;
inline constexpr double kOnceBase = 0.85;      // increase_reasoning, complicate_input: first
inline constexpr double kOnceRepeated = 0.10;  // ... and once already present
inline constexpr int kLongWords = 110;
inline constexpr double kLongFactor = 0.15;
inline constexpr double kMarkerOnSuccess = 0.03;

enum class RewriteOutcome : int {
  kApplied = 0,        // the operation was carried out
  kUnchanged = 1,      // the input returned as is
  kNearIdentical = 2,  // synonym / punctuation / case change only
  kLeakedMarker = 3,   // near-identical behind "#Rewritten Prompt#:"
  kRambling = 4,       // over-long restatement
  kTooSimilar = 5,     // breadth: the original's first sentence, nearly unchanged
};
std::string_view RewriteOutcomeName(RewriteOutcome outcome);

struct RewriteResult {
  std::string text;
  RewriteOutcome outcome = RewriteOutcome::kApplied;
  double success_probability = 0.0;
};

double SuccessProbability(SimAction action, const TextFeatures& features);

// A pure function of (action, input, seed); `seed` already mixes run seed, request key,
// input hash and action (sim_backend.cc).
RewriteResult SimRewrite(SimAction action, std::string_view input, uint64_t seed);

// The genuine operation on a marker-free text.
std::string ApplyAction(SimAction action, std::string_view text, Rng& rng);

}  // namespace teamsrl::llm::sim
