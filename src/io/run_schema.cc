#include "io/run_schema.h"

#include <cstddef>

#include "core/status.h"

namespace teamsrl::io {
namespace {

using T = ColumnType;

template <typename Row>
TableSchema Schema(const char* path, std::vector<Column> columns) {
  return TableSchema{path, sizeof(Row), std::move(columns)};
}

}  // namespace

// offsetof on the row structs: they are standard-layout (Table::Append checks it).
#define TEAMSRL_COLUMN(Row, member, type)    \
  Column {                                   \
#member, offsetof(Row, member), type, {} \
  }

TableSchema IterationSchema() {
  using R = IterationRow;
  return Schema<R>(kIterationsPath, {TEAMSRL_COLUMN(R, iteration, T::kInt64),
                                     TEAMSRL_COLUMN(R, wall_s, T::kFloat64),
                                     TEAMSRL_COLUMN(R, episodes, T::kInt64),
                                     TEAMSRL_COLUMN(R, steps, T::kInt64),
                                     TEAMSRL_COLUMN(R, mean_return, T::kFloat64),
                                     TEAMSRL_COLUMN(R, std_return, T::kFloat64),
                                     TEAMSRL_COLUMN(R, min_return, T::kFloat64),
                                     TEAMSRL_COLUMN(R, max_return, T::kFloat64),
                                     TEAMSRL_COLUMN(R, policy_loss, T::kFloat64),
                                     TEAMSRL_COLUMN(R, value_loss, T::kFloat64),
                                     TEAMSRL_COLUMN(R, kl, T::kFloat64),
                                     TEAMSRL_COLUMN(R, entropy, T::kFloat64),
                                     TEAMSRL_COLUMN(R, step_size, T::kFloat64),
                                     TEAMSRL_COLUMN(R, queries, T::kInt64),
                                     TEAMSRL_COLUMN(R, prompt_tokens, T::kInt64),
                                     TEAMSRL_COLUMN(R, completion_tokens, T::kInt64),
                                     TEAMSRL_COLUMN(R, cache_hits, T::kInt64),
                                     TEAMSRL_COLUMN(R, failed_calls, T::kInt64),
                                     TEAMSRL_COLUMN(R, limit_wait_s, T::kFloat64),
                                     TEAMSRL_COLUMN(R, malformed_replies, T::kInt64)});
}

TableSchema EpisodeSchema() {
  using R = EpisodeRow;
  return Schema<R>(kEpisodesPath,
                   {TEAMSRL_COLUMN(R, iteration, T::kInt64), TEAMSRL_COLUMN(R, actor, T::kInt64),
                    TEAMSRL_COLUMN(R, episode, T::kInt64), TEAMSRL_COLUMN(R, seed_index, T::kInt64),
                    TEAMSRL_COLUMN(R, length, T::kInt64),
                    Column{"return", offsetof(R, return_), T::kFloat64, {}},
                    TEAMSRL_COLUMN(R, queries, T::kInt64)});
}

TableSchema StepSchema(const std::vector<std::string>& action_names) {
  using R = StepRow;
  std::vector<Column> columns = {
      TEAMSRL_COLUMN(R, iteration, T::kInt64), TEAMSRL_COLUMN(R, actor, T::kInt64),
      TEAMSRL_COLUMN(R, episode, T::kInt64),   TEAMSRL_COLUMN(R, t, T::kInt64),
      TEAMSRL_COLUMN(R, action, T::kInt32),    TEAMSRL_COLUMN(R, reward, T::kFloat64),
      TEAMSRL_COLUMN(R, logp, T::kFloat64),    TEAMSRL_COLUMN(R, text_id, T::kInt64),
      TEAMSRL_COLUMN(R, reply_id, T::kInt64),  TEAMSRL_COLUMN(R, failed, T::kInt8)};
  columns[4].enum_names = action_names;
  return Schema<R>(kStepsPath, std::move(columns));
}

TableSchema CallSchema(const std::vector<std::string>& role_names,
                       const std::vector<std::string>& endpoint_names) {
  using R = CallRow;
  std::vector<Column> columns = {TEAMSRL_COLUMN(R, iteration, T::kInt64),
                                 TEAMSRL_COLUMN(R, actor, T::kInt64),
                                 TEAMSRL_COLUMN(R, role, T::kInt32),
                                 TEAMSRL_COLUMN(R, status, T::kInt32),
                                 TEAMSRL_COLUMN(R, http_status, T::kInt32),
                                 TEAMSRL_COLUMN(R, attempts, T::kInt32),
                                 TEAMSRL_COLUMN(R, latency_ms, T::kFloat64),
                                 TEAMSRL_COLUMN(R, prompt_tokens, T::kInt64),
                                 TEAMSRL_COLUMN(R, completion_tokens, T::kInt64),
                                 TEAMSRL_COLUMN(R, cached, T::kInt8),
                                 TEAMSRL_COLUMN(R, endpoint, T::kInt32),
                                 TEAMSRL_COLUMN(R, error_id, T::kInt64),
                                 TEAMSRL_COLUMN(R, usage_estimated, T::kInt8),
                                 TEAMSRL_COLUMN(R, limit_wait_ms, T::kFloat64)};
  columns[2].enum_names = role_names;
  columns[3].enum_names = StatusCodeNames();
  columns[10].enum_names = endpoint_names;
  return Schema<R>(kCallsPath, std::move(columns));
}

TableSchema BudgetSchema(const std::vector<std::string>& role_names) {
  using R = BudgetRow;
  std::vector<Column> columns = {
      TEAMSRL_COLUMN(R, role, T::kInt32),          TEAMSRL_COLUMN(R, queries, T::kInt64),
      TEAMSRL_COLUMN(R, prompt_tokens, T::kInt64), TEAMSRL_COLUMN(R, completion_tokens, T::kInt64),
      TEAMSRL_COLUMN(R, cost_usd, T::kFloat64),    TEAMSRL_COLUMN(R, limit_queries, T::kInt64),
      TEAMSRL_COLUMN(R, limit_tokens, T::kInt64),  TEAMSRL_COLUMN(R, limit_cost_usd, T::kFloat64)};
  columns[0].enum_names = role_names;
  columns[0].enum_names.emplace_back("total");
  return Schema<R>(kBudgetPath, std::move(columns));
}

TableSchema SampleSchema(const std::vector<std::string>& action_names,
                         const std::vector<std::string>& reason_names) {
  using R = SampleRow;
  std::vector<Column> columns = {
      TEAMSRL_COLUMN(R, sample_id, T::kInt64),      TEAMSRL_COLUMN(R, seed_index, T::kInt64),
      TEAMSRL_COLUMN(R, round_or_step, T::kInt64),  TEAMSRL_COLUMN(R, action, T::kInt32),
      TEAMSRL_COLUMN(R, instruction_id, T::kInt64), TEAMSRL_COLUMN(R, response_id, T::kInt64),
      TEAMSRL_COLUMN(R, eliminated, T::kInt8),      TEAMSRL_COLUMN(R, reason, T::kInt32)};
  columns[3].enum_names = action_names;
  columns[7].enum_names = reason_names;
  return Schema<R>(kSamplesPath, std::move(columns));
}

#undef TEAMSRL_COLUMN

std::vector<std::string> StatusCodeNames() {
  std::vector<std::string> names;
  for (int code = 0; code <= static_cast<int>(StatusCode::kCancelled); ++code) {
    names.emplace_back(StatusCodeName(static_cast<StatusCode>(code)));
  }
  return names;
}

}  // namespace teamsrl::io
