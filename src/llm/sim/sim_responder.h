// The sim backend's responder: an answer whose length and content follow the instruction
// (its key words, one paragraph per constraint and deepening sentence, a numbered list
// when reasoning is requested, a code block when the input is code), or a short
// "Sorry, I cannot ..." refusal, more likely the more over-constrained the instruction:
//   p(refusal) = kBaseRefusal + kRefusalPerConstraint * max(0, constraints - 3)
//                + kLongRefusal if words > kRefusalWords      (capped at kMaxRefusal)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm/sim/sim_text.h"

namespace teamsrl::llm::sim {

inline constexpr double kBaseRefusal = 0.02;
inline constexpr double kRefusalPerConstraint = 0.20;
inline constexpr int kRefusalWords = 150;
inline constexpr double kLongRefusal = 0.30;
inline constexpr double kMaxRefusal = 0.90;

double RefusalProbability(const TextFeatures& features);

struct Response {
  std::string text;
  bool refused = false;
};

Response SimRespond(std::string_view instruction, uint64_t seed);

}  // namespace teamsrl::llm::sim
