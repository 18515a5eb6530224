// LLM query accounting by role and the budget caps (`budget.*`), shared by train,
// generate and baseline. Caps are checked on root at iteration or chunk boundaries, so a
// run overshoots a cap by at most the calls of one iteration or chunk: calls already in
// flight are paid for anyway, and abandoning them would lose their results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/run_schema.h"
#include "llm/types.h"

namespace teamsrl::pipeline {

struct Totals {
  int64_t queries[llm::kNumRoles] = {};
  int64_t prompt_tokens[llm::kNumRoles] = {};
  int64_t completion_tokens[llm::kNumRoles] = {};
  int64_t all_queries() const;
};

// /budget: one row per role (with that role's caps) plus the total (with the run's caps);
// cost from the prices of the endpoint each role is bound to.
std::vector<io::BudgetRow> BudgetRows(const Config& config, const Totals& totals);

// The first cap reached, as a message naming the key ("budget.reviewer.max_queries (100)
// reached: 104 queries"), or "" when none is.
std::string BudgetReached(const Config& config, const Totals& totals);

}  // namespace teamsrl::pipeline
