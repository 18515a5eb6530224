// Schema version 1 of the run file: the row structs and the table layouts (names,
// types, enum name tables) of every dataset. run_file.h writes them; run_reader.h and
// analysis/teamsrl_analysis read them. Renaming, removing or changing the meaning of a
// field changes the file format: bump kSchemaVersion. A new column is additive (readers
// select columns by name) and keeps the version. Either way update analysis/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/table.h"

namespace teamsrl::io {

inline constexpr int64_t kSchemaVersion = 1;

inline constexpr char kIterationsPath[] = "/train/iterations";
inline constexpr char kEpisodesPath[] = "/train/episodes";
inline constexpr char kStepsPath[] = "/train/steps";
inline constexpr char kCallsPath[] = "/llm/calls";
inline constexpr char kBudgetPath[] = "/budget";
inline constexpr char kSamplesPath[] = "/dataset/samples";
inline constexpr char kTextPath[] = "/text/strings";
inline constexpr char kPolicyGroup[] = "/policy";

// Rows: plain structs, field names as in the file. Integers are int64 unless noted.
struct IterationRow {
  int64_t iteration = 0;
  double wall_s = 0.0;  // since the start of training
  int64_t episodes = 0;
  int64_t steps = 0;
  double mean_return = 0.0;
  double std_return = 0.0;
  double min_return = 0.0;
  double max_return = 0.0;
  double policy_loss = 0.0;
  double value_loss = 0.0;
  double kl = 0.0;
  double entropy = 0.0;
  double step_size = 0.0;
  int64_t queries = 0;  // LLM calls in this iteration
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cache_hits = 0;
  int64_t failed_calls = 0;
  // Seconds the iteration's calls were held back by rpm/tpm limits, summed over calls
  // (so over ranks too: two ranks waiting 1 s each count 2 s).
  double limit_wait_s = 0.0;
  // Reviewer replies of the iteration that were neither exactly "Equal" nor "Not Equal"
  // (evol::IsExactVerdict), whatever env.reward.match made of them.
  int64_t malformed_replies = 0;
};

struct EpisodeRow {
  int64_t iteration = 0;
  int64_t actor = 0;
  int64_t episode = 0;
  int64_t seed_index = 0;
  int64_t length = 0;
  double return_ = 0.0;  // field "return"
  int64_t queries = 0;
};

struct StepRow {
  int64_t iteration = 0;
  int64_t actor = 0;
  int64_t episode = 0;
  int64_t t = 0;
  int32_t action = 0;  // enum: RootAttributes::action_names
  double reward = 0.0;
  double logp = 0.0;
  int64_t text_id = -1;   // the instruction after the step
  int64_t reply_id = -1;  // the reviewer's raw reply
  int8_t failed = 0;
};

struct CallRow {
  int64_t iteration = 0;
  int64_t actor = 0;
  int32_t role = 0;         // enum: role_names
  int32_t status = 0;       // enum: StatusCodeName of StatusCode, 0 = OK
  int32_t http_status = 0;  // 0 for the simulator
  int32_t attempts = 1;
  double latency_ms = 0.0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int8_t cached = 0;
  int32_t endpoint = 0;        // enum: endpoint_names
  int64_t error_id = -1;       // text id of the error message, -1 = none
  int8_t usage_estimated = 0;  // the server's usage was implausible: the estimate is used
  double limit_wait_ms = 0.0;  // of latency_ms: held back by the endpoint's rpm/tpm limits
};

struct BudgetRow {
  int32_t role = 0;  // enum: role_names + "total"
  int64_t queries = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost_usd = 0.0;
  int64_t limit_queries = 0;  // 0 = unlimited
  int64_t limit_tokens = 0;
  double limit_cost_usd = 0.0;
};

struct SampleRow {  // generate / baseline
  int64_t sample_id = 0;
  int64_t seed_index = 0;
  int64_t round_or_step = 0;
  int32_t action = 0;  // enum: action_names
  int64_t instruction_id = -1;
  int64_t response_id = -1;
  int8_t eliminated = 0;
  int32_t reason = 0;  // enum: reason_names
};

// Rows of each appended table plus the strings of /text/strings: what a Flush() committed
// (RunFile::committed_rows), what a resume keeps (RunFile::OpenForResume) and what a live
// reader may read (run_commit.h). /budget is not counted: it is rewritten whole.
struct RowCounts {
  int64_t iterations = 0;
  int64_t episodes = 0;
  int64_t steps = 0;
  int64_t calls = 0;
  int64_t samples = 0;
  int64_t texts = 0;
  bool operator==(const RowCounts&) const = default;
};

// The table layouts. Enum columns get their name tables from the arguments.
TableSchema IterationSchema();
TableSchema EpisodeSchema();
TableSchema StepSchema(const std::vector<std::string>& action_names);
TableSchema CallSchema(const std::vector<std::string>& role_names,
                       const std::vector<std::string>& endpoint_names);
// Budget roles are role_names plus "total" as the last entry.
TableSchema BudgetSchema(const std::vector<std::string>& role_names);
TableSchema SampleSchema(const std::vector<std::string>& action_names,
                         const std::vector<std::string>& reason_names);

// StatusCodeName of every StatusCode, in code order ("OK" first): the `status` enum of
// /llm/calls.
std::vector<std::string> StatusCodeNames();

}  // namespace teamsrl::io
