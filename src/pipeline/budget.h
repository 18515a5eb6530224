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

// Every call counts as a query and its tokens, cached or not, so a method's query budget
// is the same with or without a cache and a replayed run stops where the original did.
// Only calls an endpoint answered cost money: the cached calls' tokens are also summed
// apart, and cost (and the max_cost_usd caps) leave them out.
struct Totals {
  int64_t queries[llm::kNumRoles] = {};
  int64_t prompt_tokens[llm::kNumRoles] = {};
  int64_t completion_tokens[llm::kNumRoles] = {};
  int64_t cached_prompt_tokens[llm::kNumRoles] = {};  // of calls answered from the cache
  int64_t cached_completion_tokens[llm::kNumRoles] = {};
  int64_t all_queries() const;
};

// /budget: one row per role (with that role's caps) plus the total (with the run's caps);
// cost from the prices of the endpoint each role is bound to, of the calls it answered
// (not those answered from the cache).
std::vector<io::BudgetRow> BudgetRows(const Config& config, const Totals& totals);

// The first cap reached, as a message naming the key ("budget.reviewer.max_queries (100)
// reached: 104 queries"), or "" when none is.
std::string BudgetReached(const Config& config, const Totals& totals);

}  // namespace teamsrl::pipeline
