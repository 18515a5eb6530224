// The `teamsrl` command. Exit codes (documented in the README):
//   0 success, 1 the run failed, 2 bad usage or configuration, 70 internal error (abort).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "dist/comm.h"
#include "io/run_summary.h"
#include "pipeline/train.h"

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

int Train(const std::string& config_path, const std::vector<std::string>& overrides,
          const std::string& out_dir, bool overwrite, bool verbose, bool quiet,
          const std::string& command, int* argc, char*** argv) {
  teamsrl::dist::MpiSession mpi(argc, argv);
  teamsrl::dist::Comm comm;
  SetUpLogging(comm.rank(), verbose);
  // Every rank loads the same file, so a bad config fails everywhere alike: report it
  // once from root and leave together (LAMMPS's Error::all).
  teamsrl::Result<teamsrl::Config> config = teamsrl::LoadConfig(config_path, overrides);
  if (!config.ok()) {
    if (comm.is_root())
      std::fprintf(stderr, "teamsrl: error: %s\n", config.status().message().c_str());
    return kExitUsage;
  }
  teamsrl::pipeline::TrainOptions options;
  options.out_dir = out_dir;
  options.command = command;
  options.overwrite = overwrite;
  options.quiet = quiet;
  if (comm.is_root()) {
    spdlog::info("train '{}': {} actors on {} rank(s), {} iterations, seed {}", config->run.name,
                 config->train.actors, comm.size(), config->train.iterations, config->run.seed);
  }
  teamsrl::Result<teamsrl::pipeline::TrainOutcome> outcome =
      teamsrl::pipeline::RunTrain(*config, options, comm);
  if (!outcome.ok()) {
    if (comm.is_root())
      std::fprintf(stderr, "teamsrl: error: %s\n", outcome.status().message().c_str());
    return outcome.status().code() == teamsrl::StatusCode::kInternal ? kExitRunFailed : kExitUsage;
  }
  if (comm.is_root()) std::printf("run file: %s\n", outcome->run_file.c_str());
  return kExitOk;
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

}  // namespace

int Main(int argc, char** argv) {
  const std::string command = JoinArgs(argc, argv);
  CLI::App app{
      "teamsrl: RL-driven instruction-dataset generation (TeaMs-RL) with the "
      "Evol-Instruct baseline"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", std::string("teamsrl ") + TEAMSRL_VERSION + " (" + TEAMSRL_GIT_DESCRIBE + ")");

  std::string config_path, out_dir, run_path;
  std::vector<std::string> overrides;
  bool overwrite = false, verbose = false, quiet = false;
  CLI::App* train =
      app.add_subcommand("train", "train the operation-choosing policy; writes DIR/run.h5");
  train->add_option("config", config_path, "experiment YAML file")->required();
  train->add_option("--set", overrides, "override a config key: dotted.key=value (repeatable)")
      ->take_all();
  train->add_option("--out", out_dir, "output directory (default: run.out_dir)");
  train->add_flag("--overwrite", overwrite, "replace an existing DIR/run.h5");
  train->add_flag("--verbose", verbose, "log info from every rank, not only root");
  train->add_flag("--quiet", quiet, "no progress output");

  CLI::App* inspect = app.add_subcommand("inspect", "print a human summary of a run file");
  inspect->add_option("file", run_path, "run file (.h5)")->required();

  CLI::App* keys = app.add_subcommand("keys", "print every config key (markdown table)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (train->parsed()) {
    return Train(config_path, overrides, out_dir, overwrite, verbose, quiet, command, &argc, &argv);
  }
  if (inspect->parsed()) return Inspect(run_path);
  if (keys->parsed()) {
    std::fputs(teamsrl::ConfigKeyReference().c_str(), stdout);
    return kExitOk;
  }
  return kExitUsage;
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
