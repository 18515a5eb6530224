#include "llm/sim/sim_reviewer.h"

#include "core/rng.h"

namespace teamsrl::llm::sim {
namespace {

constexpr std::string_view kNoisyNotEqual[] = {
    "not equal.", "Not Equal.", " Not Equal\n", "Not equal",
    "Not Equal - the second instruction adds a constraint."};
constexpr std::string_view kNoisyEqual[] = {"Equal.", "equal", " Equal\n",
                                            "Equal - both instructions ask for the same thing."};

}  // namespace

ReviewResult SimReview(std::string_view before, std::string_view after, uint64_t seed) {
  Rng rng(seed);
  const double u_error = rng.Uniform();
  const double u_noise = rng.Uniform();
  ReviewResult r;
  r.increment = InformationIncrement(before, after);
  r.adds_information =
      r.increment.new_content_words >= kMinNewContentWords || r.increment.new_blocks > 0;
  r.says_not_equal = u_error < kReviewerErrorRate ? !r.adds_information : r.adds_information;
  r.noisy = u_noise < kReplyNoiseRate;
  if (!r.noisy) {
    r.reply = r.says_not_equal ? "Not Equal" : "Equal";
  } else if (r.says_not_equal) {
    r.reply = kNoisyNotEqual[rng.UniformInt(std::size(kNoisyNotEqual))];
  } else {
    r.reply = kNoisyEqual[rng.UniformInt(std::size(kNoisyEqual))];
  }
  return r;
}

}  // namespace teamsrl::llm::sim
