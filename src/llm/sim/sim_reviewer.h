// The sim backend's reviewer: Equal / Not Equal from a real comparison of two texts.
//  * information increment (sim_text.h): distinct content words of `after` missing from
//    `before` (stopwords and leaked marker words excluded) and new structured blocks;
//    Not Equal iff >= kMinNewContentWords new words or a new block;
//  * a wrong judgement with probability kReviewerErrorRate;
//  * formatting noise on kReplyNoiseRate of replies ("not equal.", " Not Equal\n",
//    "Not Equal - the second instruction adds a constraint.", "Equal.", ...) so reply
//    parsing matters: the exact match loses most noisy Not Equals, the normalized match
//    recovers all but the ones with extra words.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm/sim/sim_text.h"

namespace teamsrl::llm::sim {

inline constexpr int kMinNewContentWords = 4;
inline constexpr double kReviewerErrorRate = 0.03;
inline constexpr double kReplyNoiseRate = 0.08;

struct ReviewResult {
  std::string reply;
  Increment increment;
  bool adds_information = false;  // what the comparison found
  bool says_not_equal = false;    // the verdict given (after the occasional error)
  bool noisy = false;             // the reply is not the bare "Equal" / "Not Equal"
};

ReviewResult SimReview(std::string_view before, std::string_view after, uint64_t seed);

}  // namespace teamsrl::llm::sim
