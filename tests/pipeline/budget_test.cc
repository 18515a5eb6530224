#include "pipeline/budget.h"

#include <gtest/gtest.h>

namespace teamsrl::pipeline {
namespace {

Config TwoEndpoints() {
  Config c;
  llm::EndpointConfig cheap;
  llm::EndpointConfig paid;
  paid.price_prompt_per_1k = 0.5;
  paid.price_completion_per_1k = 1.5;
  c.llm.endpoints = {{"local", cheap}, {"gpt", paid}};
  c.llm.rewriter = "local";
  c.llm.reviewer = "local";
  c.llm.responder = "gpt";
  return c;
}

Totals Some() {
  Totals t;
  t.queries[0] = 10;
  t.queries[1] = 10;
  t.queries[2] = 4;
  t.prompt_tokens[2] = 2000;
  t.completion_tokens[2] = 1000;
  t.prompt_tokens[0] = 500;
  return t;
}

TEST(BudgetTest, RowsPerRolePlusTotalWithCostFromTheRolesEndpoint) {
  Config c = TwoEndpoints();
  c.budget.max_queries = 100;
  c.budget.responder.max_cost_usd = 9.0;
  std::vector<io::BudgetRow> rows = BudgetRows(c, Some());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].cost_usd, 0.0);  // local endpoint: free
  EXPECT_DOUBLE_EQ(rows[2].cost_usd, 2.0 * 0.5 + 1.0 * 1.5);
  EXPECT_EQ(rows[2].limit_cost_usd, 9.0);
  EXPECT_EQ(rows[3].role, 3);
  EXPECT_EQ(rows[3].queries, 24);
  EXPECT_EQ(rows[3].prompt_tokens, 2500);
  EXPECT_DOUBLE_EQ(rows[3].cost_usd, 2.5);
  EXPECT_EQ(rows[3].limit_queries, 100);
}

TEST(BudgetTest, ReachedNamesTheCapTotalFirstThenRoles) {
  Config c = TwoEndpoints();
  EXPECT_EQ(BudgetReached(c, Some()), "");
  c.budget.reviewer.max_queries = 10;
  EXPECT_EQ(BudgetReached(c, Some()), "budget.reviewer.max_queries (10) reached: 10 queries");
  c.budget.max_tokens = 3500;
  EXPECT_EQ(BudgetReached(c, Some()), "budget.max_tokens (3500) reached: 3500 tokens");
  c = TwoEndpoints();
  c.budget.responder.max_cost_usd = 2.5;
  EXPECT_EQ(BudgetReached(c, Some()), "budget.responder.max_cost_usd (2.50) reached: $2.5000");
  c.budget.responder.max_cost_usd = 2.6;
  EXPECT_EQ(BudgetReached(c, Some()), "");
}

TEST(BudgetTest, CachedCallsCountAsQueriesAndTokensButCostNothing) {
  Config c = TwoEndpoints();
  c.budget.max_tokens = 3500;
  c.budget.responder.max_cost_usd = 2.5;
  Totals t = Some();  // the responder's 2000 + 1000 tokens, all answered from the cache
  t.cached_prompt_tokens[2] = 2000;
  t.cached_completion_tokens[2] = 1000;
  std::vector<io::BudgetRow> rows = BudgetRows(c, t);
  EXPECT_EQ(rows[2].queries, 4);
  EXPECT_EQ(rows[2].prompt_tokens, 2000);
  EXPECT_EQ(rows[2].cost_usd, 0.0);
  EXPECT_EQ(rows[3].cost_usd, 0.0);
  // The token cap still counts them (a replayed run stops where the original did); the
  // cost cap does not.
  EXPECT_EQ(BudgetReached(c, t), "budget.max_tokens (3500) reached: 3500 tokens");
  c.budget.max_tokens = 0;
  EXPECT_EQ(BudgetReached(c, t), "");
  t.cached_prompt_tokens[2] = 1000;  // half the prompt tokens came from the endpoint
  rows = BudgetRows(c, t);
  EXPECT_DOUBLE_EQ(rows[2].cost_usd, 1.0 * 0.5);
}

TEST(BudgetTest, HugeTotalsSaturateInsteadOfOverflowing) {
  // Three roles at INT64_MAX tokens used to wrap the total (undefined behaviour) into a
  // negative number that no cap ever reached.
  Config c = TwoEndpoints();
  c.budget.max_tokens = 500;
  Totals t;
  for (int r = 0; r < llm::kNumRoles; ++r) {
    t.queries[r] = INT64_MAX;
    t.prompt_tokens[r] = INT64_MAX;
    t.completion_tokens[r] = INT64_MAX;
  }
  const std::vector<io::BudgetRow> rows = BudgetRows(c, t);
  EXPECT_EQ(rows.back().prompt_tokens, INT64_MAX);
  EXPECT_EQ(rows.back().queries, INT64_MAX);
  EXPECT_EQ(t.all_queries(), INT64_MAX);
  EXPECT_NE(BudgetReached(c, t), "");
}

}  // namespace
}  // namespace teamsrl::pipeline
