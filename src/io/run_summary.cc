#include "io/run_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/saturating.h"
#include "core/text.h"
#include "io/attributes.h"
#include "io/run_reader.h"
#include "io/table.h"

namespace teamsrl::io {
namespace {

constexpr int kLabelWidth = 18;
constexpr size_t kWindow = 10;  // iterations averaged at the start and the end

std::string Line(std::string_view label, std::string_view value) {
  return fmt::format("{:<{}}{}\n", label, kLabelWidth, value);
}

std::string NameOf(const std::vector<std::string>& names, int64_t code, const char* prefix) {
  if (code >= 0 && static_cast<size_t>(code) < names.size()) return names[code];
  return fmt::format("{}{}", prefix, code);
}

double Mean(const std::vector<double>& v, size_t first, size_t last) {
  if (last <= first) return 0.0;
  return std::accumulate(v.begin() + first, v.begin() + last, 0.0) /
         static_cast<double>(last - first);
}

std::string Percent(int64_t part, int64_t whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100.0 * part / whole) : "-";
}

// `malformed` of `replies` reviewer replies were neither exact verdict (train and the
// dataset commands count them differently, and say it alike).
std::string MalformedRepliesLine(int64_t malformed, int64_t replies) {
  return Line("reviewer replies", fmt::format("{} of {} ({}) neither exactly Equal nor Not Equal",
                                              malformed, replies, Percent(malformed, replies)));
}

Status AppendProgress(const RunSnapshot& s, std::string& out) {
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> iteration,
      ReadInt64Column(s.file, kIterationsPath, "iteration", s.Rows(kIterationsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<double> mean_return,
      ReadFloat64Column(s.file, kIterationsPath, "mean_return", s.Rows(kIterationsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> episodes,
      ReadInt64Column(s.file, kIterationsPath, "episodes", s.Rows(kIterationsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> steps,
      ReadInt64Column(s.file, kIterationsPath, "steps", s.Rows(kIterationsPath)));
  const size_t n = iteration.size();
  if (n == 0) {
    out += Line("iterations", "0");
    return OkStatus();
  }
  out += Line("iterations", fmt::format("{} (last: iteration {})", n, iteration.back()));
  out += Line("episodes / steps",
              fmt::format("{} / {}", std::accumulate(episodes.begin(), episodes.end(), int64_t{0}),
                          std::accumulate(steps.begin(), steps.end(), int64_t{0})));
  const size_t window = std::min(kWindow, n);
  size_t best = static_cast<size_t>(std::max_element(mean_return.begin(), mean_return.end()) -
                                    mean_return.begin());
  out += Line("mean return",
              fmt::format("first {}: {:.4f}   last {}: {:.4f}   best: {:.4f} (iteration {})",
                          window, Mean(mean_return, 0, window), window,
                          Mean(mean_return, n - window, n), mean_return[best], iteration[best]));
  return OkStatus();
}

// "TITLE" and one line per code: its name, count and share.
void AppendMix(const std::string& title, const std::vector<int64_t>& codes,
               const std::vector<std::string>& names, const char* prefix, std::string& out,
               std::string_view negative = "(negative)") {
  out += "\n" + title + "\n";
  if (codes.empty()) return;
  int64_t max_code = *std::max_element(codes.begin(), codes.end());
  std::vector<int64_t> counts(std::max<size_t>(names.size(), max_code + 1), 0);
  int64_t invalid = 0;
  for (int64_t a : codes) {
    if (a < 0) {
      ++invalid;
    } else {
      ++counts[a];
    }
  }
  size_t width = 6;
  for (size_t i = 0; i < counts.size(); ++i) {
    width = std::max(width, NameOf(names, static_cast<int64_t>(i), prefix).size());
  }
  const int64_t total = static_cast<int64_t>(codes.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    out += fmt::format("  {:<{}}  {:>8}  {:>6}\n", NameOf(names, static_cast<int64_t>(i), prefix),
                       width, counts[i], Percent(counts[i], total));
  }
  if (invalid > 0) out += fmt::format("  {:<{}}  {:>8}\n", negative, width, invalid);
}

Status AppendActionMix(const RunSnapshot& s, const RunInfo& info, std::string& out) {
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> actions,
                           ReadInt64Column(s.file, kStepsPath, "action", s.Rows(kStepsPath)));
  AppendMix(fmt::format("action mix over {} steps", actions.size()), actions,
            info.root.action_names, "action_", out);
  return OkStatus();
}

// generate / baseline: the samples, why they were eliminated, the actions that made them,
// the policy and the seeds (issue 10 item 11: training fields said nothing of such runs).
Status AppendSamples(const RunSnapshot& s, const RunInfo& info, std::string& out) {
  for (const auto& [attribute, label] :
       {std::pair{"policy_file", "policy"}, std::pair{"policy_name", "policy name"}}) {
    if (Result<std::string> v = ReadStringAttribute(s.file, attribute); v.ok()) {
      out += Line(label, *v);
    }
  }
  if (Result<std::string> f = ReadStringAttribute(s.file, "obs_filter"); f.ok()) {
    out += Line("observation filter", *f);
  }
  Result<int64_t> reviewed = ReadInt64Attribute(s.file, "reviewer_replies");
  Result<int64_t> malformed = ReadInt64Attribute(s.file, "malformed_replies");
  if (reviewed.ok() && malformed.ok() && *reviewed > 0) {
    out += MalformedRepliesLine(*malformed, *reviewed);
  }
  Result<int64_t> usable = ReadInt64Attribute(s.file, "seeds_usable");
  Result<int64_t> skipped = ReadInt64Attribute(s.file, "seeds_skipped");
  if (usable.ok() && skipped.ok()) {
    out += Line("seeds", fmt::format("{} usable, {} bad records skipped", *usable, *skipped));
  }
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> eliminated,
      ReadInt64Column(s.file, kSamplesPath, "eliminated", s.Rows(kSamplesPath)));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> reason,
                           ReadInt64Column(s.file, kSamplesPath, "reason", s.Rows(kSamplesPath)));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> action,
                           ReadInt64Column(s.file, kSamplesPath, "action", s.Rows(kSamplesPath)));
  const int64_t n = static_cast<int64_t>(eliminated.size());
  const int64_t dropped =
      std::count_if(eliminated.begin(), eliminated.end(), [](int64_t e) { return e != 0; });
  out += Line("samples", fmt::format("{} ({} kept, {} eliminated)", n, n - dropped, dropped));
  std::vector<int64_t> why;
  for (size_t i = 0; i < eliminated.size(); ++i) {
    if (eliminated[i] != 0) why.push_back(reason[i]);
  }
  TEAMSRL_ASSIGN_OR_RETURN(DatasetId samples, OpenDataset(s.file, kSamplesPath));
  Result<std::vector<std::string>> reasons =
      ReadStringArrayAttribute(samples.get(), "reason_names");
  AppendMix(fmt::format("eliminated by reason ({} samples)", dropped), why,
            reasons.ok() ? *reasons : std::vector<std::string>{}, "reason_", out);
  // baseline.include_seeds: the seeds' own lines have no action (-1).
  AppendMix(fmt::format("action mix over {} samples", n), action, info.root.action_names, "action_",
            out, "(none: seeds)");
  return OkStatus();
}

// Training runs: the reviewer replies neither exactly "Equal" nor "Not Equal" (column
// malformed_replies) against the replies recorded in /train/steps (reply_id >= 0). Files
// written before the column existed, and runs without reviews, get no line.
Status AppendMalformedReplies(const RunSnapshot& s, std::string& out) {
  Result<std::vector<int64_t>> malformed =
      ReadInt64Column(s.file, kIterationsPath, "malformed_replies", s.Rows(kIterationsPath));
  if (!malformed.ok()) return OkStatus();
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> reply_ids,
                           ReadInt64Column(s.file, kStepsPath, "reply_id", s.Rows(kStepsPath)));
  int64_t replies = 0, odd = 0;
  for (int64_t id : reply_ids) replies += id >= 0 ? 1 : 0;
  for (int64_t m : *malformed) odd = SaturatingAdd(odd, m);
  if (replies == 0 && odd == 0) return OkStatus();  // nothing reviewed (a dataset run)
  out += MalformedRepliesLine(odd, replies);
  return OkStatus();
}

Status AppendCalls(const RunSnapshot& s, const RunInfo& info, std::string& out) {
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> role,
                           ReadInt64Column(s.file, kCallsPath, "role", s.Rows(kCallsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> status,
                           ReadInt64Column(s.file, kCallsPath, "status", s.Rows(kCallsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> prompt,
      ReadInt64Column(s.file, kCallsPath, "prompt_tokens", s.Rows(kCallsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> completion,
      ReadInt64Column(s.file, kCallsPath, "completion_tokens", s.Rows(kCallsPath)));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> cached,
                           ReadInt64Column(s.file, kCallsPath, "cached", s.Rows(kCallsPath)));
  const std::vector<std::string>& roles = info.root.role_names;
  struct Totals {
    int64_t calls = 0, prompt = 0, completion = 0, cached = 0, failed = 0;
  };
  int64_t max_role = role.empty() ? -1 : *std::max_element(role.begin(), role.end());
  std::vector<Totals> by_role(std::max<size_t>(roles.size(), max_role + 1));
  Totals total;
  std::vector<int64_t> failures_by_status;
  for (size_t i = 0; i < role.size(); ++i) {
    for (Totals* t : {&total, role[i] >= 0 ? &by_role[role[i]] : nullptr}) {
      if (t == nullptr) continue;
      t->calls += 1;
      t->prompt = SaturatingAdd(t->prompt, prompt[i]);  // a file's numbers: no UB on overflow
      t->completion = SaturatingAdd(t->completion, completion[i]);
      t->cached += cached[i] != 0;
      t->failed += status[i] != 0;
    }
    if (status[i] > 0) {
      if (failures_by_status.size() <= static_cast<size_t>(status[i])) {
        failures_by_status.resize(status[i] + 1, 0);
      }
      ++failures_by_status[status[i]];
    }
  }
  out += fmt::format("\nLLM calls\n  {:<10}  {:>8}  {:>13}  {:>17}  {:>8}  {:>8}\n", "role",
                     "calls", "prompt_tokens", "completion_tokens", "cached", "failed");
  auto row = [&](const std::string& name, const Totals& t) {
    out += fmt::format("  {:<10}  {:>8}  {:>13}  {:>17}  {:>8}  {:>8}\n", name, t.calls, t.prompt,
                       t.completion, t.cached, t.failed);
  };
  for (size_t r = 0; r < by_role.size(); ++r) row(NameOf(roles, r, "role_"), by_role[r]);
  row("total", total);

  std::string failed =
      fmt::format("{} of {} ({})", total.failed, total.calls, Percent(total.failed, total.calls));
  const std::vector<std::string> status_names = StatusCodeNames();
  std::string sep = ": ";
  for (size_t s = 0; s < failures_by_status.size(); ++s) {
    if (failures_by_status[s] == 0) continue;
    failed +=
        fmt::format("{}{} {}", sep, NameOf(status_names, s, "status_"), failures_by_status[s]);
    sep = ", ";
  }
  out += "\n" + Line("failed calls", failed);
  // Files written before the column existed have none: no line, not an error.
  if (Result<std::vector<double>> wait =
          ReadFloat64Column(s.file, kCallsPath, "limit_wait_ms", s.Rows(kCallsPath));
      wait.ok()) {
    double ms = 0.0;
    for (double w : *wait) ms += w;
    if (ms > 0.0) {
      out += Line("rate-limited",
                  fmt::format("{:.1f} s held back by rpm/tpm (summed over calls)", ms / 1000.0));
    }
  }
  return AppendMalformedReplies(s, out);
}

Status AppendBudget(const RunSnapshot& s, const RunInfo& info, std::string& out) {
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> role,
                           ReadInt64Column(s.file, kBudgetPath, "role", s.Rows(kBudgetPath)));
  if (role.empty()) return OkStatus();
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<int64_t> queries,
                           ReadInt64Column(s.file, kBudgetPath, "queries", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> prompt,
      ReadInt64Column(s.file, kBudgetPath, "prompt_tokens", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> completion,
      ReadInt64Column(s.file, kBudgetPath, "completion_tokens", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<double> cost,
                           ReadFloat64Column(s.file, kBudgetPath, "cost_usd", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> limit_queries,
      ReadInt64Column(s.file, kBudgetPath, "limit_queries", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<int64_t> limit_tokens,
      ReadInt64Column(s.file, kBudgetPath, "limit_tokens", s.Rows(kBudgetPath)));
  TEAMSRL_ASSIGN_OR_RETURN(
      std::vector<double> limit_cost,
      ReadFloat64Column(s.file, kBudgetPath, "limit_cost_usd", s.Rows(kBudgetPath)));
  // The "total" row: its code is the last entry of the budget role enum.
  const int64_t total_code = static_cast<int64_t>(info.root.role_names.size());
  auto total_row = std::find(role.begin(), role.end(), total_code);
  if (total_row == role.end()) return OkStatus();
  const size_t t = static_cast<size_t>(total_row - role.begin());
  auto of = [](auto used, auto limit, const char* format) {
    std::string s = fmt::format(fmt::runtime(format), used);
    return limit > 0 ? s + " of " + fmt::format(fmt::runtime(format), limit) : s + " (no limit)";
  };
  out += Line("budget used",
              fmt::format("queries {}, tokens {}, cost {}", of(queries[t], limit_queries[t], "{}"),
                          of(prompt[t] + completion[t], limit_tokens[t], "{}"),
                          of(cost[t], limit_cost[t], "${:.2f}")));
  return OkStatus();
}

}  // namespace

std::string RunNameFromConfigYaml(const std::string& yaml) {
  bool in_run = false;
  for (const std::string& raw : Split(yaml, '\n')) {
    std::string line = raw.substr(0, raw.find('#'));
    std::string trimmed = Trim(line);
    if (trimmed.empty()) continue;
    const bool top_level = line[0] != ' ' && line[0] != '\t';
    if (top_level) {
      in_run = StartsWith(trimmed, "run:");
      if (in_run) {
        // Flow style: run: {name: x, seed: 1}
        size_t brace = trimmed.find('{');
        size_t key = trimmed.find("name:", brace == std::string::npos ? 0 : brace);
        if (brace != std::string::npos && key != std::string::npos) {
          std::string value = trimmed.substr(key + 5);
          value = Trim(value.substr(0, value.find_first_of(",}")));
          if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'')) {
            value = value.substr(1, value.size() - 2);
          }
          return value;
        }
      }
      continue;
    }
    if (in_run && StartsWith(trimmed, "name:")) {
      std::string value = Trim(trimmed.substr(5));
      if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "";
}

namespace {

// One attempt at the summary of a consistent snapshot (ReadRunSnapshot may repeat it).
Status Summarize(const std::string& path, const RunSnapshot& s, std::string& out) {
  out.clear();
  TEAMSRL_ASSIGN_OR_RETURN(RunInfo info, ReadRunInfo(s.file));
  const RootAttributes& root = info.root;
  std::string name =
      root.run_name.empty() ? RunNameFromConfigYaml(root.config_yaml) : root.run_name;
  out += Line("run file", fmt::format("{} (schema {}, teamsrl {}, {}{})", path, info.schema_version,
                                      root.teamsrl_version, root.git_describe,
                                      root.build_simd.empty() ? "" : ", " + root.build_simd));
  out += Line("run", name.empty() ? "(unnamed)" : name);
  out += Line("status", info.status == "running" && info.finished_at.empty()
                            ? "running (live, or killed before finishing)"
                            : info.status);
  out += Line("started", root.started_at);
  out += Line("finished", info.finished_at.empty() ? "-" : info.finished_at);
  if (!root.command.empty()) out += Line("command", root.command);
  // Written by a signal stop and by train --resume (README "Checkpoints, resume and signals").
  if (Result<std::string> sig = ReadStringAttribute(s.file, "stop_signal");
      sig.ok() && !sig->empty()) {
    Result<std::string> kind = ReadStringAttribute(s.file, "stop_kind");
    out += Line("stopped by", *sig + (kind.ok() ? " (" + *kind + ")" : std::string()) +
                                  "; continue with --resume (train) or the same command");
  }
  if (Result<int64_t> restarts = ReadInt64Attribute(s.file, "restarts"); restarts.ok()) {
    out += Line("restarts", std::to_string(*restarts));
  }
  // generate and baseline record where they resumed; training runs have no such attribute.
  const bool dataset_run = ReadInt64Attribute(s.file, "resumed_from_seed").ok();
  out += Line(dataset_run ? "ranks / chunk" : "ranks / actors",
              fmt::format("{} / {}{}", root.world_size, root.actors, dataset_run ? " seeds" : ""));
  if (!root.hostnames.empty()) out += Line("hosts", root.hostnames);
  out += Line("seed", std::to_string(root.seed));
  if (!root.slurm_job_id.empty()) {
    out += Line("slurm job",
                root.slurm_array_task_id.empty()
                    ? root.slurm_job_id
                    : root.slurm_job_id + " (array task " + root.slurm_array_task_id + ")");
  }
  if (dataset_run) {
    TEAMSRL_RETURN_IF_ERROR(AppendSamples(s, info, out));
  } else {
    TEAMSRL_RETURN_IF_ERROR(AppendProgress(s, out));
    TEAMSRL_RETURN_IF_ERROR(AppendActionMix(s, info, out));
  }
  TEAMSRL_RETURN_IF_ERROR(AppendCalls(s, info, out));
  return AppendBudget(s, info, out);
}

}  // namespace

Result<std::string> SummarizeRunFile(const std::string& path) {
  std::string out;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(
      path, [&](const RunSnapshot& snapshot) { return Summarize(path, snapshot, out); }));
  return out;
}

}  // namespace teamsrl::io
