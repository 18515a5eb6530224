#include "pipeline/recorder.h"

#include <fmt/format.h>

#include "core/saturating.h"
#include "dist/launcher.h"
#include "evol/actions.h"
#include "evol/elimination.h"

namespace teamsrl::pipeline {
namespace {

int32_t IndexIn(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int32_t>(i);
  }
  return -1;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ",") + p;
  return s;
}

}  // namespace

io::RootAttributes MakeRootAttributes(const Config& config, const RunContext& context) {
  io::RootAttributes a = io::RootAttributes::FromEnvironment();
  a.command = context.command;
  a.config_yaml = config.resolved_yaml;
  a.run_name = config.run.name;
  a.seed = config.run.seed;
  a.world_size = static_cast<int64_t>(context.hosts.size());
  a.actors = context.actors;
  a.hostnames = Join(context.hosts);
  a.launcher = dist::DetectLauncher().name;
  a.action_names = evol::ActionNames();
  a.endpoint_names = llm::EndpointTable(config.llm);
  a.reason_names = evol::EliminationReasonNames();
  return a;
}

Recorder::Recorder(const Config& config, io::RunFile file)
    : config_(config), file_(std::move(file)) {
  for (int r = 0; r < llm::kNumRoles; ++r) {
    endpoint_of_role_[r] = llm::EndpointIndex(config.llm, static_cast<llm::Role>(r));
  }
}

void Recorder::AddCall(int64_t iteration, int64_t actor, const CallRecord& call) {
  io::CallRow row;
  row.iteration = iteration;
  row.actor = actor;
  row.role = call.role;
  row.status = call.status;
  row.http_status = call.http_status;
  row.attempts = call.attempts;
  row.latency_ms = call.latency_ms;
  row.limit_wait_ms = call.limit_wait_ms;
  // The openai backend validates usage; a cache written before it did may still hold
  // negative counts, which would lower the totals the budget caps read.
  row.prompt_tokens = NonNegative(call.prompt_tokens);
  row.completion_tokens = NonNegative(call.completion_tokens);
  row.cached = call.cached;
  row.usage_estimated = call.usage_estimated;
  row.endpoint = endpoint_of_role_[call.role];
  row.error_id = call.error.empty() ? -1 : file_.AddText(call.error);
  pending_calls_.push_back(row);
  totals_.queries[call.role] = SaturatingAdd(totals_.queries[call.role], 1);
  totals_.prompt_tokens[call.role] =
      SaturatingAdd(totals_.prompt_tokens[call.role], row.prompt_tokens);
  totals_.completion_tokens[call.role] =
      SaturatingAdd(totals_.completion_tokens[call.role], row.completion_tokens);
  if (call.cached != 0) {  // counted, but free (pipeline/budget.h)
    totals_.cached_prompt_tokens[call.role] =
        SaturatingAdd(totals_.cached_prompt_tokens[call.role], row.prompt_tokens);
    totals_.cached_completion_tokens[call.role] =
        SaturatingAdd(totals_.cached_completion_tokens[call.role], row.completion_tokens);
  }
  sums_.queries += 1;
  sums_.prompt_tokens = SaturatingAdd(sums_.prompt_tokens, row.prompt_tokens);
  sums_.completion_tokens = SaturatingAdd(sums_.completion_tokens, row.completion_tokens);
  sums_.cache_hits += call.cached;
  sums_.failed_calls += call.status != 0 ? 1 : 0;
  sums_.limit_wait_s += call.limit_wait_ms / 1000.0;
  failed_calls_ += call.status != 0 ? 1 : 0;
  limit_wait_s_ += call.limit_wait_ms / 1000.0;
}

void Recorder::AddSamples(const std::vector<io::SampleLine>& samples) {
  std::vector<io::SampleRow> rows;
  rows.reserve(samples.size());
  for (const io::SampleLine& s : samples) {
    io::SampleRow row;
    row.sample_id = s.sample_id;
    row.seed_index = s.seed_index;
    row.round_or_step = s.step;
    row.action = IndexIn(evol::ActionNames(), s.action);
    row.instruction_id = file_.AddText(s.instruction);
    row.response_id = file_.AddText(s.output);
    row.eliminated = s.eliminated ? 1 : 0;
    row.reason = IndexIn(evol::EliminationReasonNames(), s.reason);
    rows.push_back(row);
    eliminated_ += s.eliminated ? 1 : 0;
    reviewed_ += s.not_equal.has_value() ? 1 : 0;
    malformed_replies_ += s.malformed_reply ? 1 : 0;
  }
  samples_ += static_cast<int64_t>(samples.size());
  file_.AppendSamples(rows);
}

Status Recorder::Flush() {
  TEAMSRL_RETURN_IF_ERROR(Stage());
  return file_.Flush();
}

Status Recorder::StartFlush() {
  TEAMSRL_RETURN_IF_ERROR(Stage());
  return file_.StartFlush();
}

Status Recorder::Stage() {
  file_.AppendCalls(pending_calls_);
  pending_calls_.clear();
  return file_.WriteBudget(BudgetRows(config_, totals_));
}

std::string QueriesDetail(const Recorder& rec) {
  const int64_t queries = rec.totals().all_queries();
  if (rec.failed_calls() == 0) return fmt::format("queries {}", queries);
  return fmt::format("queries {} | failed {}/{}", queries, rec.failed_calls(), queries);
}

CallSums Recorder::TakeSums() {
  CallSums s = sums_;
  sums_ = CallSums{};
  return s;
}

}  // namespace teamsrl::pipeline
