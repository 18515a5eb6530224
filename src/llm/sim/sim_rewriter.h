// The sim backend's rewriter model: whether the simulated model manages an operation,
// and what it returns when it does not. An honest surrogate, not a language model; its
// structure is documented here so results on it are read for what they are.
//
// Model (constants below; tests/llm/sim_policy_test.cc measures the consequences):
//  * Features are read from the text itself, recognised by the phrases the sim writes
//    (sim_text.h TextFeatures): constraint sentences c, reasoning requests r, structured
//    blocks b, deepening sentences d, general words left g, word count w.
//  * Success probability of a genuine rewrite, with diminishing returns:
//      breadth             0.85                            (always returns a short text)
//      add_constraints     0.95 * 0.90^c
//      deepening           0.90 * 0.85^d
//      concretizing        0.90 if g > 0, else 0           (nothing left to make specific)
//      increase_reasoning  0.10 if r == 0, else 0.05
//      complicate_input    0.10 if b == 0, else 0.05
//    and when w > kLongWords (160) every in-depth operation is further multiplied by
//    kLongFactor (0.15: the real model truncates an over-long rewrite or returns it
//    unchanged). The split is state-independent on purpose: real rewriter/reviewer pairs
//    reward some operations far more reliably than others. A 13B model asked to add a
//    step-by-step request or (zero-shot) structured input mostly returns the prompt with a
//    cosmetic change, while a new instruction, an added constraint, a deeper question or a
//    specific term is almost always judged Not Equal; the paper's learned policy used
//    add_constraints 25 %, concretizing 19 %, deepening 17 %, complicate_input 4 % and
//    increase_reasoning 1.5 % (breadth, helped by the policy's +0.3 bias, the rest).
//  * A failed in-depth rewrite returns: the text unchanged (35 %), a near-identical copy
//    (synonym / punctuation / case change, 35 %), a near-identical copy behind a leaked
//    "#Rewritten Prompt#:" marker (20 %), or a rambling restatement twice as long (10 %).
//    For texts over kLongWords: unchanged 60 %, near-identical 30 %, leaked marker 10 %.
//  * breadth always resets the text to one short sentence: a new instruction on another
//    topic of the same domain when it succeeds, else the original's first sentence,
//    nearly unchanged (too similar: the reviewer says Equal).
//  * A genuine rewrite leaks the marker prefix with probability kMarkerOnSuccess.
// Resulting figures (reviewer's exact "Not Equal", carried-over text, uniform choice):
// breadth 0.76, add_constraints 0.70, deepening 0.66, concretizing 0.40 (general words run
// out), increase_reasoning 0.10, complicate_input 0.10; uniform return about 2.8 of 6.
// Without breadth the text outgrows kLongWords and every operation fails, so a good policy
// keeps resetting with breadth and spends the remaining steps on the three reliable
// operations: the fixed cycle breadth, add_constraints, deepening, concretizing,
// add_constraints, deepening reaches about 1.6x uniform's Not-Equal rate
// (sim_policy_test), and the paper preset (TRPO, 1 episode of 6 steps per update, 200
// updates) learns about 1.4x uniform's return over its last 50 updates (seeds 1-6: 4.06 vs
// 2.87; learned mix breadth 29 %, add_constraints 26 %, deepening 20 %, concretizing 17 %,
// increase_reasoning 5 %, complicate_input 3 %).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm/sim/sim_actions.h"
#include "llm/sim/sim_text.h"

namespace teamsrl::llm::sim {

inline constexpr double kBreadthSuccess = 0.85;
inline constexpr double kAddConstraintsBase = 0.95;
inline constexpr double kAddConstraintsDecay = 0.90;
inline constexpr double kDeepeningBase = 0.90;
inline constexpr double kDeepeningDecay = 0.85;
inline constexpr double kConcretizingBase = 0.90;
inline constexpr double kReasoningBase = 0.10;  // increase_reasoning the first time
inline constexpr double kInputBase = 0.10;      // complicate_input the first time
inline constexpr double kOnceRepeated = 0.05;   // ... and once already present
inline constexpr int kLongWords = 160;
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

double SuccessProbability(Action action, const TextFeatures& features);

// A pure function of (action, input, seed); `seed` already mixes run seed, request key,
// input hash and action (sim_backend.cc).
RewriteResult SimRewrite(Action action, std::string_view input, uint64_t seed);

// The genuine operation on a marker-free text.
std::string ApplyAction(Action action, std::string_view text, Rng& rng);

}  // namespace teamsrl::llm::sim
