// `teamsrl report RUN_OR_SWEEP --out report.html [--title T]`: README "Analysing results".
// The report is written by the Python analysis package (analysis/teamsrl_analysis/report.py,
// `python3 -m teamsrl_analysis.report`, the same command); this runs it with the package
// shipped beside the binary, so a user needs neither PYTHONPATH nor the source tree.
#pragma once

#include <string>
#include <vector>

namespace teamsrl::app {

struct ReportArgs {
  std::string path;   // a run file, a run directory or a sweep directory
  std::string out;    // the HTML file
  std::string title;  // empty: the module's default
  bool overwrite = false;
  int reps = 0;  // bootstrap resamples; 0: the module's default
};

// The interpreter: $TEAMSRL_PYTHON, else Debian's /usr/bin/python3 (where apt installs
// python3-h5py & co.) when it exists, else `python3` from PATH.
std::string ReportPython();

// The argument vector that runs the report module for `args` with `python`.
std::vector<std::string> ReportCommand(const std::string& python, const ReportArgs& args);

// Replaces this process with the module (its exit code is the command's); returns 2 with
// a message naming what is missing when the package or the interpreter is not there.
int RunReportCommand(const ReportArgs& args);

}  // namespace teamsrl::app
