#include "llm/sim/sim_rewriter.h"

#include <array>
#include <cmath>

#include "core/rng.h"
#include "llm/sim/sim_lexicon.h"

namespace teamsrl::llm::sim {

std::string_view RewriteOutcomeName(RewriteOutcome outcome) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "applied", "unchanged", "near_identical", "leaked_marker", "rambling", "too_similar"};
  return kNames[static_cast<int>(outcome)];
}

double SuccessProbability(Action action, const TextFeatures& f) {
  double p = 0.0;
  switch (action) {
    case Action::kBreadth:
      return kBreadthSuccess;  // breadth does not care how long the text is
    case Action::kAddConstraints:
      p = kAddConstraintsBase * std::pow(kAddConstraintsDecay, f.constraints);
      break;
    case Action::kDeepening:
      p = kDeepeningBase * std::pow(kDeepeningDecay, f.deepening);
      break;
    case Action::kConcretizing:
      p = f.general_words > 0 ? kConcretizingBase : 0.0;
      break;
    case Action::kIncreaseReasoning:
      p = f.reasoning == 0 ? kReasoningBase : kOnceRepeated;
      break;
    case Action::kComplicateInput:
      p = f.blocks == 0 ? kInputBase : kOnceRepeated;
      break;
  }
  if (f.words > kLongWords) p *= kLongFactor;
  return p;
}

std::string ApplyAction(Action action, std::string_view text, Rng& rng) {
  switch (action) {
    case Action::kBreadth:
      return NewInstruction(text, rng);
    case Action::kAddConstraints:
      return AddConstraint(text, rng);
    case Action::kDeepening:
      return Deepen(text, rng);
    case Action::kConcretizing:
      return Concretize(text, rng);
    case Action::kIncreaseReasoning:
      return AddReasoning(text, rng);
    case Action::kComplicateInput:
      return AddStructuredInput(text, rng);
  }
  return std::string(text);
}

RewriteResult SimRewrite(Action action, std::string_view input, uint64_t seed) {
  Rng rng(seed);
  // The simulated model rewrites the instruction, not an earlier leak of scaffolding.
  const std::string_view text = StripMarkers(input);
  const TextFeatures f = ExtractFeatures(text);
  RewriteResult r;
  r.success_probability = SuccessProbability(action, f);
  const double u_success = rng.Uniform();
  const double u_mode = rng.Uniform();
  const double u_marker = rng.Uniform();

  if (u_success < r.success_probability) {
    r.outcome = RewriteOutcome::kApplied;
    r.text = ApplyAction(action, text, rng);
    if (u_marker < kMarkerOnSuccess) {
      r.text.insert(
          0, std::string(action == Action::kBreadth ? kCreateMarker : kRewriteMarker) + "\n");
    }
    return r;
  }
  if (action == Action::kBreadth) {
    r.outcome = RewriteOutcome::kTooSimilar;
    r.text = NearIdentical(FirstSentence(text), rng);
    return r;
  }
  const bool is_long = f.words > kLongWords;
  const double unchanged = is_long ? 0.60 : 0.35;
  const double near = unchanged + (is_long ? 0.30 : 0.35);
  const double leaked = near + (is_long ? 0.10 : 0.20);
  if (u_mode < unchanged) {
    r.outcome = RewriteOutcome::kUnchanged;
    r.text.assign(text);
  } else if (u_mode < near) {
    r.outcome = RewriteOutcome::kNearIdentical;
    r.text = NearIdentical(text, rng);
  } else if (u_mode < leaked) {
    r.outcome = RewriteOutcome::kLeakedMarker;
    r.text = std::string(kRewriteMarker) + "\n" + NearIdentical(text, rng);
  } else {
    r.outcome = RewriteOutcome::kRambling;
    r.text = Rambling(text);
  }
  return r;
}

}  // namespace teamsrl::llm::sim
