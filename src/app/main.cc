// The `teamsrl` command. Exit codes (documented in the README):
//   0 success, 1 the run failed, 2 bad usage or configuration, 70 internal error (abort),
//   75 stopped by a signal after saving what a resume needs (core/stop_signal.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/progress.h"
#include "app/report_command.h"
#include "app/sweep_command.h"
#include "config/config.h"
#include "core/install_paths.h"
#include "core/stop_signal.h"
#include "core/version.h"
#include "dist/comm.h"
#include "dist/launcher.h"
#include "eval/eval.h"
#include "io/dataset_export.h"
#include "io/eval_group.h"
#include "io/run_diff.h"
#include "io/run_summary.h"
#include "io/safe_file.h"
#include "pipeline/baseline.h"
#include "pipeline/generate.h"
#include "pipeline/train.h"
#include "sweep/manifest.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;

std::string JoinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

void SetUpLogging(int rank, bool verbose) {
  auto logger = spdlog::stderr_color_mt("teamsrl");
  logger->set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S] [rank {}] [%^%l%$] %v", rank));
  // Root reports progress; other ranks speak up only for warnings unless asked.
  logger->set_level(rank == 0 || verbose ? spdlog::level::info : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// Reports an error every rank has (config, setup, a failed run) once, from root, and keeps
// the other ranks until it is written: mpirun ends the job as soon as one rank exits
// non-zero, which could otherwise cut root off before it prints.
int CollectiveError(const teamsrl::dist::Comm& comm, const teamsrl::Status& status, int code) {
  if (comm.is_root()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", status.message().c_str());
    std::fflush(stderr);
  }
  comm.Barrier();
  return code;
}

// SLURM's task count against the MPI world (dist/launcher.h). srun's singletons each
// see a world of one: only SLURM's task 0 says so, the others leave quietly.
int CheckLaunch(const teamsrl::dist::Comm& comm) {
  const teamsrl::dist::Launcher launcher = teamsrl::dist::DetectLauncher();
  const teamsrl::Status st = teamsrl::dist::CheckWorldSize(launcher, comm.size());
  if (st.ok()) return kExitOk;
  if (launcher.slurm_rank <= 0) return CollectiveError(comm, st, kExitUsage);
  comm.Barrier();
  return kExitUsage;
}

// The cache is the one output a config can place anywhere (`../../x` is accepted): a
// shared cache outside the run directory is normal, so this is a notice, not an error.
void NoteOutputsOutsideRunDir(const teamsrl::Config& config, const std::string& out_dir) {
  namespace fs = std::filesystem;
  if (config.llm.cache_path.empty() || config.llm.cache_mode == teamsrl::llm::CacheMode::kOff) {
    return;
  }
  const fs::path dir =
      fs::absolute(out_dir.empty() ? config.run.out_dir : out_dir).lexically_normal();
  const fs::path cache = fs::absolute(config.llm.cache_path).lexically_normal();
  const fs::path rel = cache.lexically_relative(dir);
  if (rel.empty() || *rel.begin() == "..") {
    spdlog::info("llm.cache.path {} is outside the run directory {}", cache.string(), dir.string());
  }
}

// How a run command reports: --verbose, --quiet, --progress.
struct OutputFlags {
  bool verbose = false;
  bool quiet = false;
  teamsrl::app::ProgressMode progress = teamsrl::app::ProgressMode::kAuto;
  teamsrl::app::ProgressMode Mode() const {
    return quiet ? teamsrl::app::ProgressMode::kOff : progress;
  }
};

// Root's progress line; in live mode log messages clear and redraw it.
void AttachProgress(const teamsrl::dist::Comm& comm, teamsrl::app::ProgressLine& line) {
  if (comm.is_root()) line.WrapLogger(*spdlog::default_logger());
}

// What the loader chose on its own (config.h: Config::notes), said once, by root.
void LogConfigNotes(const teamsrl::Config& config) {
  for (const std::string& note : config.notes) spdlog::warn("{}", note);
}

// --sweep-task FILE: the provenance a sweep task records in its run file (sweep/manifest.h).
teamsrl::Result<std::map<std::string, std::string>> LoadLabels(const std::string& task_file) {
  if (task_file.empty()) return std::map<std::string, std::string>{};
  return teamsrl::sweep::ReadTaskLabels(task_file);
}

int Train(const std::string& config_path, const std::vector<std::string>& overrides,
          const std::string& out_dir, bool overwrite, const std::string& resume,
          const std::string& sweep_task, const OutputFlags& out, const std::string& command,
          int* argc, char*** argv) {
  const bool verbose = out.verbose;
  teamsrl::dist::MpiSession mpi(argc, argv);
  teamsrl::InstallStopSignalHandlers();  // after MPI_Init, which may install its own
  teamsrl::dist::Comm comm;
  SetUpLogging(comm.rank(), verbose);
  if (int code = CheckLaunch(comm); code != kExitOk) return code;
  // Every rank loads the same file, so a bad config fails everywhere alike: report it
  // once from root and leave together (LAMMPS's Error::all).
  teamsrl::Result<teamsrl::Config> config = teamsrl::LoadConfig(config_path, overrides);
  if (!config.ok()) return CollectiveError(comm, config.status(), kExitUsage);
  auto labels = LoadLabels(sweep_task);
  if (!labels.ok()) return CollectiveError(comm, labels.status(), kExitUsage);
  teamsrl::pipeline::TrainOptions options;
  options.labels = *std::move(labels);
  options.out_dir = out_dir;
  options.command = command;
  options.overwrite = overwrite;
  options.resume = resume.empty()     ? teamsrl::pipeline::ResumeMode::kNo
                   : resume == "auto" ? teamsrl::pipeline::ResumeMode::kAuto
                                      : teamsrl::pipeline::ResumeMode::kStrict;
  teamsrl::app::ProgressLine progress(out.Mode(), config->run.progress_interval_s);
  if (progress.mode() != teamsrl::app::ProgressMode::kOff) options.progress = &progress;
  AttachProgress(comm, progress);
  if (comm.is_root()) {
    spdlog::info("train '{}': {} actors on {} rank(s), {} iterations, seed {}", config->run.name,
                 config->train.actors, comm.size(), config->train.iterations, config->run.seed);
    LogConfigNotes(*config);
    NoteOutputsOutsideRunDir(*config, out_dir);
    if (comm.size() > config->train.actors) {
      spdlog::warn(
          "{} ranks for {} actor(s): {} rank(s) have no actor and only wait (raise "
          "train.actors or start fewer ranks)",
          comm.size(), config->train.actors, comm.size() - config->train.actors);
    }
  }
  teamsrl::Result<teamsrl::pipeline::TrainOutcome> outcome =
      teamsrl::pipeline::RunTrain(*config, options, comm);
  if (!outcome.ok()) return CollectiveError(comm, outcome.status(), kExitUsage);
  if (outcome->status == teamsrl::io::RunStatus::kFailed) {
    return CollectiveError(comm, outcome->error, kExitRunFailed);
  }
  if (comm.is_root()) {
    const std::string lead = progress.ResultLead();
    if (outcome->already_complete) {
      std::printf(
          "%salready complete: %d iterations; nothing run or changed (raise "
          "train.iterations to continue, --overwrite starts over)\n",
          lead.c_str(), outcome->iterations);
    }
    std::printf("%srun file: %s\n", lead.c_str(), outcome->run_file.c_str());
  }
  if (outcome->status == teamsrl::io::RunStatus::kPreempted) return teamsrl::kExitPreempted;
  return kExitOk;
}

// `generate` and `baseline`: same MPI, config and error handling as Train.
int Dataset(bool generate, const std::string& config_path,
            const std::vector<std::string>& overrides, teamsrl::pipeline::GenerateOptions options,
            const std::string& sweep_task, const OutputFlags& out, int* argc, char*** argv) {
  const bool verbose = out.verbose;
  teamsrl::dist::MpiSession mpi(argc, argv);
  teamsrl::InstallStopSignalHandlers();  // after MPI_Init, which may install its own
  teamsrl::dist::Comm comm;
  SetUpLogging(comm.rank(), verbose);
  if (int code = CheckLaunch(comm); code != kExitOk) return code;
  teamsrl::Result<teamsrl::Config> config = teamsrl::LoadConfig(config_path, overrides);
  if (!config.ok()) return CollectiveError(comm, config.status(), kExitUsage);
  auto labels = LoadLabels(sweep_task);
  if (!labels.ok()) return CollectiveError(comm, labels.status(), kExitUsage);
  options.labels = *std::move(labels);
  teamsrl::app::ProgressLine progress(out.Mode(), config->run.progress_interval_s);
  if (progress.mode() != teamsrl::app::ProgressMode::kOff) options.progress = &progress;
  AttachProgress(comm, progress);
  if (comm.is_root()) {
    LogConfigNotes(*config);
    NoteOutputsOutsideRunDir(*config, options.out_dir);
  }
  teamsrl::Result<teamsrl::pipeline::ChunkedOutcome> outcome = [&] {
    if (generate) return teamsrl::pipeline::RunGenerate(*config, options, comm);
    teamsrl::pipeline::BaselineOptions b;
    b.out_dir = options.out_dir;
    b.command = options.command;
    b.labels = options.labels;
    b.overwrite = options.overwrite;
    b.progress = options.progress;
    b.hooks = options.hooks;
    return teamsrl::pipeline::RunBaseline(*config, b, comm);
  }();
  if (!outcome.ok()) return CollectiveError(comm, outcome.status(), kExitUsage);
  if (outcome->status == teamsrl::io::RunStatus::kFailed) {
    return CollectiveError(comm, outcome->error, kExitRunFailed);
  }
  if (comm.is_root()) {
    const auto& o = *outcome;
    const std::string lead = progress.ResultLead();
    if (o.already_complete) {
      std::printf(
          "%salready complete: %lld seeds, %lld samples; nothing sent or changed (--overwrite "
          "starts over)\n%s\n%s\n",
          lead.c_str(), static_cast<long long>(o.seeds), static_cast<long long>(o.samples),
          o.dataset_path.c_str(), o.h5_path.c_str());
      return kExitOk;
    }
    std::printf(
        "%s%s: %lld seeds, %lld samples (%lld eliminated) in %.1f s; queries rewriter %lld, "
        "reviewer %lld, responder %lld\n%s\n%s\n",
        lead.c_str(), std::string(teamsrl::io::RunStatusName(o.status)).c_str(),
        static_cast<long long>(o.seeds), static_cast<long long>(o.samples),
        static_cast<long long>(o.eliminated), o.wall_s, static_cast<long long>(o.queries[0]),
        static_cast<long long>(o.queries[1]), static_cast<long long>(o.queries[2]),
        o.dataset_path.c_str(), o.h5_path.c_str());
  }
  if (outcome->status == teamsrl::io::RunStatus::kPreempted) return teamsrl::kExitPreempted;
  return kExitOk;
}

// Exit 0 only when the two files hold the same run (io/run_diff.h), 1 when they differ.
int Diff(const std::string& a, const std::string& b, bool all) {
  teamsrl::Result<teamsrl::io::RunDiff> diff = teamsrl::io::DiffRunFiles(a, b, all);
  if (!diff.ok()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", diff.status().message().c_str());
    return kExitUsage;
  }
  std::fputs(diff->Format().c_str(), stdout);
  return diff->identical() ? kExitOk : kExitRunFailed;
}

int Inspect(const std::string& path) {
  teamsrl::Result<std::string> summary = teamsrl::io::SummarizeRunFile(path);
  if (!summary.ok()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", summary.status().message().c_str());
    return kExitUsage;
  }
  std::fputs(summary->c_str(), stdout);
  return kExitOk;
}

// Bad input (a missing file, a malformed record, an output that is there already or is a
// symbolic link) is the user's to fix: usage-class exit.
int ExitCodeFor(const teamsrl::Status& status) {
  const teamsrl::StatusCode code = status.code();
  return code == teamsrl::StatusCode::kInvalidArgument || code == teamsrl::StatusCode::kNotFound ||
                 code == teamsrl::StatusCode::kFailedPrecondition ||
                 code == teamsrl::StatusCode::kPermissionDenied
             ? kExitUsage
             : kExitRunFailed;
}

int Eval(const std::string& dataset, const std::string& json_out, bool overwrite,
         const std::string& run_out, const teamsrl::io::DatasetFields& fields,
         const teamsrl::eval::NeighbourOptions& neighbours) {
  teamsrl::Result<teamsrl::eval::DatasetMetrics> metrics =
      teamsrl::eval::EvaluateDataset(dataset, fields, neighbours);
  if (!metrics.ok()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", metrics.status().message().c_str());
    return ExitCodeFor(metrics.status());
  }
  std::fputs(teamsrl::eval::FormatMetricsTable(*metrics, dataset).c_str(), stdout);
  const nlohmann::json json = teamsrl::eval::MetricsToJson(*metrics, dataset);
  if (!run_out.empty()) {
    teamsrl::Status written = teamsrl::io::WriteEvalGroup(run_out, "dataset", json);
    if (!written.ok()) {
      std::fprintf(stderr, "teamsrl: error: %s\n", written.message().c_str());
      return ExitCodeFor(written);
    }
  }
  if (!json_out.empty()) {
    teamsrl::Status written = teamsrl::eval::WriteJsonFile(json, json_out, overwrite);
    if (!written.ok()) {
      std::fprintf(stderr, "teamsrl: error: %s\n", written.message().c_str());
      return ExitCodeFor(written);
    }
  }
  return kExitOk;
}

int Export(const std::string& dataset, const std::string& format, const std::string& out,
           bool include_eliminated, bool overwrite, const teamsrl::io::DatasetFields& fields) {
  teamsrl::io::ExportOptions options;
  options.format = *teamsrl::io::ParseExportFormat(format);  // CLI11 checked the name
  options.include_eliminated = include_eliminated;
  options.overwrite = overwrite;
  options.fields = fields;
  teamsrl::Result<teamsrl::io::ExportReport> report =
      teamsrl::io::ExportDataset(dataset, out, options);
  if (!report.ok()) {
    std::fprintf(stderr, "teamsrl: error: %s\n", report.status().message().c_str());
    return ExitCodeFor(report.status());
  }
  std::printf("%s: %lld samples written (%lld read, %lld eliminated left out)\n", out.c_str(),
              static_cast<long long>(report->written), static_cast<long long>(report->read),
              static_cast<long long>(report->excluded));
  return kExitOk;
}

// --instruction-field/--input-field/--output-field: reading datasets in other layouts.
void AddFieldOptions(CLI::App* command, teamsrl::io::DatasetFields* fields) {
  command
      ->add_option("--instruction-field", fields->instruction,
                   "field holding the instruction (dotted path, e.g. Instruction)")
      ->capture_default_str();
  command
      ->add_option("--input-field", fields->input,
                   "field holding the input, e.g. instances[0].input; '' for none")
      ->capture_default_str();
  command
      ->add_option("--output-field", fields->output,
                   "field holding the output, e.g. instances[0].output; '' for none")
      ->capture_default_str();
}

// `teamsrl` alone: what it can do, one line per command (as git does).
int PrintCommands(const CLI::App& app) {
  std::fprintf(stderr, "usage: teamsrl <command> [options]  (teamsrl <command> --help)\n\n");
  std::fprintf(stderr, "commands:\n");
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    std::fprintf(stderr, "  %-10s %s\n", sub->get_name().c_str(), sub->get_description().c_str());
  }
  std::fprintf(stderr, "\n  --version  print the version\n");
  return kExitUsage;
}

// Where every command's options land.
struct Args {
  std::string config_path, out_dir, run_path, run_path_b, resume, sweep_task;
  bool all_columns = false;
  teamsrl::app::SweepArgs sweep;
  teamsrl::app::ReportArgs report;
  std::vector<std::string> overrides;
  bool overwrite = false;
  OutputFlags output;
  teamsrl::pipeline::GenerateOptions gen_options;
  std::string dataset_path, json_out, eval_run, export_format = "alpaca", export_out;
  teamsrl::io::DatasetFields fields;
  teamsrl::eval::NeighbourOptions neighbours;
  bool approx = false, exact = false, include_eliminated = false;
};

struct Commands {
  CLI::App *train, *generate, *baseline, *inspect, *diff, *sweep, *report, *keys, *eval,
      *export_cmd;
};

void AddOutputFlags(CLI::App* command, OutputFlags* out) {
  command->add_flag("--verbose", out->verbose, "log info from every rank, not only root");
  command->add_flag("--quiet", out->quiet, "no progress output (= --progress off)");
  std::map<std::string, teamsrl::app::ProgressMode> modes;
  for (size_t i = 0; i < std::size(teamsrl::EnumNameTable<teamsrl::app::ProgressMode>::kNames);
       ++i) {
    const auto m = static_cast<teamsrl::app::ProgressMode>(i);
    modes.emplace(std::string(teamsrl::EnumName(m)), m);
  }
  command
      ->add_option("--progress", out->progress,
                   "auto: a live line on a terminal, else log lines; live: the live line "
                   "(also under mpirun); log: a line per run.progress_interval_s; off")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->default_str("auto");
}

// Written by `teamsrl sweep` into its tasks' commands; a user has no need of it.
void AddSweepTaskOption(CLI::App* command, std::string* task_file) {
  command->add_option("--sweep-task", *task_file,
                      "record this sweep task's provenance (DIR/STAGE/ID/task.json, written "
                      "by teamsrl sweep) in the run file");
}

// The options of `teamsrl sweep` (app/sweep_command.h).
void AddSweepCommand(CLI::App& app, teamsrl::app::SweepArgs& s, Commands* c) {
  c->sweep = app.add_subcommand("sweep", "expand a grid file into tasks and run them");
  CLI::App* w = c->sweep;
  w->add_option("grid", s.grid, "grid file (YAML)")->required();
  w->add_option("--out", s.out, "sweep directory (default: the grid's out_dir)");
  w->add_flag("--dry-run", s.dry_run,
              "print the tasks and their commands (with --slurm: the sbatch commands), run "
              "nothing");
  w->add_flag("--status", s.status, "print each task's state");
  CLI::Option* local = w->add_flag(
      "--local", s.local, "run the tasks on this machine (again: only those not completed)");
  w->add_flag("--slurm", s.slurm,
              "submit the tasks as SLURM job arrays of slurm/sweep.sbatch (again: only "
              "those not completed)")
      ->excludes(local);
  w->add_flag("--resume", s.resume,
              "continue a sweep (the default: tasks already completed are never rerun)");
  w->add_flag("--allow-changed-base", s.allow_changed_base,
              "resume even though the base config changed under tasks with output");
  w->add_flag("--check-reproducible", s.check_reproducible,
              "diff the run files of tasks that differ only in ranks:/repeats: (after "
              "--local or --slurm --wait, or alone on a finished sweep)");
  w->add_option("-j,--jobs", s.jobs, "tasks at once (--local)")->check(CLI::PositiveNumber);
  w->add_option("--np", s.np, "MPI ranks per task without a ranks: axis")
      ->check(CLI::PositiveNumber);
  w->add_option("--max-running", s.max_running, "--slurm: array tasks at once per array (%K)")
      ->check(CLI::PositiveNumber);
  w->add_option("--max-array-size", s.max_array_size,
                "--slurm: split arrays at this size (default: the cluster's MaxArraySize)")
      ->check(CLI::PositiveNumber);
  w->add_option("--template", s.template_path,
                "--slurm: the sbatch template (default: slurm/sweep.sbatch of this build)");
  w->add_option("--sbatch", s.sbatch_args,
                "--slurm: an extra sbatch argument, e.g. --sbatch=--partition=gpu (repeatable)");
  w->add_flag("--wait", s.wait, "--slurm: return when the jobs have left the queue");
}

// train, generate, baseline: the MPI commands.
void AddRunCommands(CLI::App& app, Args& a, Commands* c) {
  c->train = app.add_subcommand("train", "train the operation-choosing policy; writes DIR/run.h5");
  c->train->add_option("config", a.config_path, "experiment YAML file")->required();
  c->train->add_option("--set", a.overrides, "override a config key: dotted.key=value (repeatable)")
      ->take_all();
  c->train->add_option("--out", a.out_dir, "output directory (default: run.out_dir)");
  CLI::Option* overwrite =
      c->train->add_flag("--overwrite", a.overwrite, "replace an existing DIR/run.h5");
  c->train
      ->add_option("--resume", a.resume,
                   "continue from DIR/checkpoint.bin (--resume=auto: if there is one, else "
                   "start afresh)")
      ->expected(0, 1)
      ->default_str("yes")
      ->check(CLI::IsMember({"yes", "auto"}))
      ->excludes(overwrite);
  AddOutputFlags(c->train, &a.output);
  AddSweepTaskOption(c->train, &a.sweep_task);
  c->generate =
      app.add_subcommand("generate", "evolve seeds with a trained policy; DIR/dataset.jsonl");
  c->baseline =
      app.add_subcommand("baseline", "Evol-Instruct baseline; DIR/dataset.jsonl, baseline.h5");
  for (CLI::App* sub : {c->generate, c->baseline}) {
    sub->add_option("config", a.config_path, "experiment YAML file")->required();
    sub->add_option("--set", a.overrides, "override a config key: dotted.key=value (repeatable)")
        ->take_all();
    sub->add_option("--out", a.gen_options.out_dir, "output directory (default: run.out_dir)");
    sub->add_flag("--overwrite", a.gen_options.overwrite,
                  "start over, discarding the progress of a previous run in DIR");
    AddOutputFlags(sub, &a.output);
    AddSweepTaskOption(sub, &a.sweep_task);
  }
  c->generate->add_option("--policy", a.gen_options.policy_path, "training run file (run.h5)")
      ->required();
  c->generate
      ->add_option("--snapshot", a.gen_options.snapshot,
                   "use /policy/snapshot_NNNNNN instead of /policy/final")
      ->check(CLI::Range(0, 999999));  // NonNegativeNumber's message printed a 300-digit bound
}

// inspect, keys, eval, export: single-process commands on files.
void AddFileCommands(CLI::App& app, Args& a, Commands* c) {
  c->inspect = app.add_subcommand("inspect", "print a human summary of a run file");
  c->inspect->add_option("file", a.run_path, "run file (.h5)")->required();
  c->diff = app.add_subcommand(
      "diff", "compare two run files bitwise, table by table (exit 0 only when identical)");
  c->diff->add_option("a", a.run_path, "run file (.h5)")->required();
  c->diff->add_option("b", a.run_path_b, "run file (.h5)")->required();
  c->diff->add_flag("--all", a.all_columns,
                    "compare the timing columns too (wall_s, latency_ms, ...)");
  AddSweepCommand(app, a.sweep, c);
  c->report = app.add_subcommand(
      "report",
      "one self-contained HTML report of a run or a sweep (python3 -m teamsrl_analysis.report)");
  c->report->add_option("path", a.report.path, "run file, run directory or sweep directory")
      ->required();
  c->report->add_option("--out", a.report.out, "the HTML file to write")->required();
  c->report->add_option("--title", a.report.title, "the page's title");
  c->report->add_flag("--overwrite", a.report.overwrite, "replace an existing --out file");
  c->report->add_option("--reps", a.report.reps, "bootstrap resamples of the CIs (default 2000)")
      ->check(CLI::PositiveNumber);
  c->keys = app.add_subcommand("keys", "print every config key (markdown table)");
  c->eval = app.add_subcommand("eval", "dataset metrics: size, lengths, diversity, eliminations");
  c->eval->add_option("dataset", a.dataset_path, "dataset (JSON Lines, Alpaca fields)")->required();
  c->eval->add_option("--json", a.json_out, "also write the metrics as JSON to this file");
  c->eval->add_flag("--overwrite", a.overwrite, "replace an existing --json file");
  c->eval->add_option("--run", a.eval_run,
                      "also write the metrics into this run file's /eval/dataset group");
  CLI::Option* approx_flag =
      c->eval->add_flag("--approx", a.approx, "approximate nearest-neighbour ROUGE-L (large sets)");
  c->eval->add_flag("--exact", a.exact, "exact nearest-neighbour ROUGE-L (O(n^2))")
      ->excludes(approx_flag);
  c->eval
      ->add_option("--exact-max-size", a.neighbours.exact_max_size,
                   "without --approx/--exact: exact up to this many samples")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  AddFieldOptions(c->eval, &a.fields);
  c->export_cmd =
      app.add_subcommand("export", "write a dataset for SFT tools (Alpaca or ShareGPT JSON)");
  c->export_cmd->add_option("dataset", a.dataset_path, "dataset (JSON Lines)")->required();
  c->export_cmd->add_option("--format", a.export_format, "alpaca | sharegpt")
      ->capture_default_str()
      ->check(CLI::IsMember({"alpaca", "sharegpt"}));
  c->export_cmd->add_option("--out", a.export_out, "output file (JSON array)")->required();
  c->export_cmd->add_flag("--overwrite", a.overwrite, "replace an existing --out file");
  c->export_cmd->add_flag("--include-eliminated", a.include_eliminated,
                          "keep samples marked eliminated (left out by default)");
  AddFieldOptions(c->export_cmd, &a.fields);
}

int Dispatch(const Commands& c, Args& a, const std::string& command, int* argc, char*** argv) {
  if (c.train->parsed()) {
    return Train(a.config_path, a.overrides, a.out_dir, a.overwrite, a.resume, a.sweep_task,
                 a.output, command, argc, argv);
  }
  if (c.generate->parsed() || c.baseline->parsed()) {
    a.gen_options.command = command;
    return Dataset(c.generate->parsed(), a.config_path, a.overrides, a.gen_options, a.sweep_task,
                   a.output, argc, argv);
  }
  if (c.inspect->parsed()) return Inspect(a.run_path);
  if (c.diff->parsed()) return Diff(a.run_path, a.run_path_b, a.all_columns);
  if (c.sweep->parsed()) return teamsrl::app::RunSweepCommand(a.sweep, (*argv)[0]);
  if (c.report->parsed()) return teamsrl::app::RunReportCommand(a.report);
  if (c.eval->parsed()) {
    if (a.approx) a.neighbours.mode = teamsrl::eval::NeighbourMode::kApprox;
    if (a.exact) a.neighbours.mode = teamsrl::eval::NeighbourMode::kExact;
    return Eval(a.dataset_path, a.json_out, a.overwrite, a.eval_run, a.fields, a.neighbours);
  }
  if (c.export_cmd->parsed()) {
    return Export(a.dataset_path, a.export_format, a.export_out, a.include_eliminated, a.overwrite,
                  a.fields);
  }
  if (c.keys->parsed()) {
    std::fputs(teamsrl::ConfigKeyReference().c_str(), stdout);
    return kExitOk;
  }
  return kExitUsage;
}

}  // namespace

int Main(int argc, char** argv) {
  const std::string command = JoinArgs(argc, argv);
  CLI::App app{
      "teamsrl: RL-driven instruction-dataset generation (TeaMs-RL) with the "
      "Evol-Instruct baseline"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("teamsrl {} ({}, {})", teamsrl::Version(),
                                                teamsrl::GitDescribe(), teamsrl::BuildSimd()));
  Args args;
  Commands commands{};
  AddRunCommands(app, args, &commands);
  AddFileCommands(app, args, &commands);
  if (argc == 1) return PrintCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return Dispatch(commands, args, command, &argc, &argv);
}

int main(int argc, char** argv) {
  // No exception may escape into the MPI runtime: report it and fail like a run error.
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "teamsrl: error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "teamsrl: error: unknown exception\n");
  }
  return kExitRunFailed;
}
