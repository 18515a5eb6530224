#include "app/report_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/install_paths.h"

namespace teamsrl::app {

namespace fs = std::filesystem;

std::string ReportPython() {
  if (const char* env = std::getenv("TEAMSRL_PYTHON"); env != nullptr && *env != '\0') return env;
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

std::vector<std::string> ReportCommand(const std::string& python, const ReportArgs& args) {
  std::vector<std::string> argv = {python, "-m", "teamsrl_analysis.report", args.path};
  if (!args.out.empty()) argv.insert(argv.end(), {"--out", args.out});
  if (!args.title.empty()) argv.insert(argv.end(), {"--title", args.title});
  if (args.overwrite) argv.emplace_back("--overwrite");
  if (args.reps > 0) argv.insert(argv.end(), {"--reps", std::to_string(args.reps)});
  return argv;
}

int RunReportCommand(const ReportArgs& args) {
  Result<std::string> package = FindShipped(RunningExecutablePath(), "analysis", "analysis");
  std::error_code ec;
  if (!package.ok() || !fs::exists(fs::path(*package) / "teamsrl_analysis" / "report.py", ec)) {
    const std::string where =
        package.ok() ? *package + " has no teamsrl_analysis/report.py" : package.status().message();
    std::fprintf(
        stderr,
        "teamsrl: error: report: the analysis package is not beside this binary (%s); "
        "from a source tree run `PYTHONPATH=analysis python3 -m teamsrl_analysis.report`\n",
        where.c_str());
    return 2;
  }
  const char* old = std::getenv("PYTHONPATH");
  const std::string path =
      *package + (old != nullptr && *old != '\0' ? std::string(":") + old : std::string());
  setenv("PYTHONPATH", path.c_str(), /*overwrite=*/1);
  const std::string python = ReportPython();
  std::vector<std::string> argv = ReportCommand(python, args);
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (std::string& s : argv) c_argv.push_back(s.data());
  c_argv.push_back(nullptr);
  ::execvp(python.c_str(), c_argv.data());
  std::fprintf(stderr, "teamsrl: error: report: cannot run %s (set TEAMSRL_PYTHON): %s\n",
               python.c_str(), std::strerror(errno));
  return 2;
}

}  // namespace teamsrl::app
