// The sim rewriter's operations carried out *successfully*: each changes the text in its
// own visible way (sim_rewriter.h decides whether the simulated model succeeds at all).
// Every function is a pure function of its arguments and the Rng's state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/action.h"
#include "core/rng.h"

namespace teamsrl::llm::sim {

// The operations are the catalogue's (core/action.h: teamsrl::Action).

// add_constraints: appends a constraint sentence with a concrete limit, one the text does
// not contain yet.
std::string AddConstraint(std::string_view text, Rng& rng);
// deepening: appends "In particular, examine how <aspect> affects <aspect>..." and the like.
std::string Deepen(std::string_view text, Rng& rng);
// concretizing: replaces one or two general words with specific phrases; returns the text
// unchanged when none remains.
std::string Concretize(std::string_view text, Rng& rng);
// increase_reasoning: appends a step-by-step reasoning request.
std::string AddReasoning(std::string_view text, Rng& rng);
// complicate_input: appends a JSON object, markdown table, Python, SQL, XML or shell block.
std::string AddStructuredInput(std::string_view text, Rng& rng);
// breadth: a new, short instruction on another topic of the text's domain.
std::string NewInstruction(std::string_view text, Rng& rng);

// Failure helpers. A synonym, punctuation or case change only (always differs from text).
std::string NearIdentical(std::string_view text, Rng& rng);
// The text restated: roughly twice as long, nothing new.
std::string Rambling(std::string_view text);
// The domain index (sim_lexicon.h Domains()) a text is about, or -1.
int DetectDomain(std::string_view text);

}  // namespace teamsrl::llm::sim
