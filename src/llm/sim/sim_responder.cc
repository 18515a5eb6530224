#include "llm/sim/sim_responder.h"

#include <algorithm>
#include <vector>

#include "core/rng.h"
#include "llm/sim/sim_lexicon.h"

namespace teamsrl::llm::sim {
namespace {

constexpr std::string_view kOpenings[] = {"Here is a practical answer about ",
                                          "A good way to approach this is to look at ",
                                          "This question comes down to ", "Let us work through "};
constexpr std::string_view kBodies[] = {
    "Start with the fundamentals, then add detail where it matters most.",
    "The most reliable results come from small, repeatable habits rather than one big effort.",
    "It helps to compare a few options side by side before committing to one.",
    "Experienced practitioners usually check their assumptions early and adjust as they go.",
    "Keep notes on what works, since the best approach depends on your circumstances."};
// Instruction verbs say what to do, not what the answer is about.
constexpr std::string_view kTaskWords[] = {"explain", "describe", "write",   "give",    "list",
                                           "make",    "making",   "provide", "suggest", "would",
                                           "tell",    "show",     "use",     "answer",  "know"};
constexpr std::string_view kStepVerbs[] = {"Identify", "Compare",   "Estimate",
                                           "Check",    "Decide on", "Review"};

std::string Join(const std::vector<std::string>& words, size_t from, size_t n) {
  std::string out;
  for (size_t i = from; i < std::min(words.size(), from + n); ++i) {
    if (!out.empty()) out += (i + 1 == std::min(words.size(), from + n)) ? " and " : ", ";
    out += words[i];
  }
  return out.empty() ? std::string("the request") : out;
}

}  // namespace

double RefusalProbability(const TextFeatures& f) {
  double p = kBaseRefusal + kRefusalPerConstraint * std::max(0, f.constraints - 3);
  if (f.words > kRefusalWords) p += kLongRefusal;
  return std::min(p, kMaxRefusal);
}

Response SimRespond(std::string_view instruction, uint64_t seed) {
  Rng rng(seed);
  const TextFeatures f = ExtractFeatures(instruction);
  Response r;
  if (rng.Uniform() < RefusalProbability(f)) {
    const auto refusals = RefusalReplies();
    r.refused = true;
    r.text = refusals[rng.UniformInt(refusals.size())];
    return r;
  }
  std::vector<std::string> kw = KeyWords(instruction, 12);
  std::erase_if(kw, [](const std::string& w) {
    return std::find(std::begin(kTaskWords), std::end(kTaskWords), w) != std::end(kTaskWords);
  });
  if (kw.size() > 8) kw.resize(8);
  std::string& out = r.text;
  out.reserve(instruction.size() * 3 + 512);
  out += kOpenings[rng.UniformInt(std::size(kOpenings))];
  out += Join(kw, 0, 3) + ". ";
  // Longer instructions get longer answers: one body sentence per ~12 words, 2..6.
  const int body = std::clamp(f.words / 12, 2, 6);
  for (int i = 0; i < body; ++i) {
    if (i > 0) out += ' ';
    out += kBodies[rng.UniformInt(std::size(kBodies))];
  }
  if (f.reasoning > 0) {
    out += "\n\nStep by step:";
    const int steps = 3 + static_cast<int>(rng.UniformInt(3));
    for (int i = 0; i < steps; ++i) {
      out += "\n" + std::to_string(i + 1) + ". " +
             std::string(kStepVerbs[i % std::size(kStepVerbs)]) + " how " +
             Join(kw, static_cast<size_t>(i) % std::max<size_t>(kw.size(), 1), 2) +
             " fit together.";
    }
  }
  for (int i = 0; i < f.constraints; ++i) {
    out += "\n\nRequirement " + std::to_string(i + 1) +
           ": the answer above respects it; in practice this means keeping " +
           Join(kw, static_cast<size_t>(i + 1) % std::max<size_t>(kw.size(), 1), 2) +
           " within the stated limits.";
  }
  for (int i = 0; i < f.deepening; ++i) {
    out += "\n\nLooking deeper (" + std::to_string(i + 1) + "): the interaction between " +
           Join(kw, 2, 2) + " matters because small changes early on compound over time.";
  }
  if (instruction.find("```") != std::string_view::npos) {
    out +=
        "\n\n```python\n# applied to the provided input\nresult = process(data)\n"
        "print(result)\n```";
  } else if (f.blocks > 0) {
    out +=
        "\n\nFrom the provided table, the option with the best rating per cost is the "
        "one to prefer.";
  }
  out += "\n\nIn short: focus on " + Join(kw, 0, 2) + ", and adjust as you learn more.";
  return r;
}

}  // namespace teamsrl::llm::sim
