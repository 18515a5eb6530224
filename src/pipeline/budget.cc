#include "pipeline/budget.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/saturating.h"

namespace teamsrl::pipeline {
namespace {

const RoleBudget& RoleCaps(const BudgetConfig& b, int role) {
  switch (static_cast<llm::Role>(role)) {
    case llm::Role::kRewriter:
      return b.rewriter;
    case llm::Role::kReviewer:
      return b.reviewer;
    case llm::Role::kResponder:
      break;
  }
  return b.responder;
}

std::string Reached(const std::string& key, const io::BudgetRow& row) {
  if (row.limit_queries > 0 && row.queries >= row.limit_queries) {
    return fmt::format("{}.max_queries ({}) reached: {} queries", key, row.limit_queries,
                       row.queries);
  }
  const int64_t tokens = SaturatingAdd(row.prompt_tokens, row.completion_tokens);
  if (row.limit_tokens > 0 && tokens >= row.limit_tokens) {
    return fmt::format("{}.max_tokens ({}) reached: {} tokens", key, row.limit_tokens, tokens);
  }
  if (row.limit_cost_usd > 0 && row.cost_usd >= row.limit_cost_usd) {
    return fmt::format("{}.max_cost_usd ({:.2f}) reached: ${:.4f}", key, row.limit_cost_usd,
                       row.cost_usd);
  }
  return "";
}

}  // namespace

int64_t Totals::all_queries() const {
  return SaturatingAdd(SaturatingAdd(queries[0], queries[1]), queries[2]);
}

std::vector<io::BudgetRow> BudgetRows(const Config& config, const Totals& t) {
  std::vector<io::BudgetRow> rows;
  io::BudgetRow total;
  total.role = llm::kNumRoles;
  for (int r = 0; r < llm::kNumRoles; ++r) {
    const llm::EndpointConfig& e =
        config.llm.endpoints.at(llm::EndpointFor(config.llm, static_cast<llm::Role>(r)));
    const RoleBudget& caps = RoleCaps(config.budget, r);
    io::BudgetRow row;
    row.role = r;
    row.queries = t.queries[r];
    row.prompt_tokens = t.prompt_tokens[r];
    row.completion_tokens = t.completion_tokens[r];
    // A cached reply was paid for by the run that stored it, if by any.
    const auto billed = [](int64_t tokens, int64_t cached) {
      return static_cast<double>(tokens - std::min(tokens, cached));  // both saturate
    };
    row.cost_usd =
        e.price_prompt_per_1k * billed(row.prompt_tokens, t.cached_prompt_tokens[r]) / 1000.0 +
        e.price_completion_per_1k * billed(row.completion_tokens, t.cached_completion_tokens[r]) /
            1000.0;
    row.limit_queries = caps.max_queries;
    row.limit_tokens = caps.max_tokens;
    row.limit_cost_usd = caps.max_cost_usd;
    total.queries = SaturatingAdd(total.queries, row.queries);
    total.prompt_tokens = SaturatingAdd(total.prompt_tokens, row.prompt_tokens);
    total.completion_tokens = SaturatingAdd(total.completion_tokens, row.completion_tokens);
    total.cost_usd += row.cost_usd;
    rows.push_back(row);
  }
  total.limit_queries = config.budget.max_queries;
  total.limit_tokens = config.budget.max_tokens;
  total.limit_cost_usd = config.budget.max_cost_usd;
  rows.push_back(total);
  return rows;
}

std::string BudgetReached(const Config& config, const Totals& totals) {
  const std::vector<io::BudgetRow> rows = BudgetRows(config, totals);
  if (std::string note = Reached("budget", rows.back()); !note.empty()) return note;
  for (int r = 0; r < llm::kNumRoles; ++r) {
    std::string note =
        Reached("budget." + std::string(llm::RoleName(static_cast<llm::Role>(r))), rows[r]);
    if (!note.empty()) return note;
  }
  return "";
}

}  // namespace teamsrl::pipeline
