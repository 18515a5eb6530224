// Data sets written outside the project (Self-Instruct's seed tasks, WizardLM's test set)
// are not in the repository, so the tests on them are opt-in: they run when the
// environment variable TEAMSRL_EXTERNAL_DATA names a directory holding the file, and skip
// with a message otherwise. The same layouts are covered by our own fixtures in tests/data.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace teamsrl::external_data {

inline constexpr const char* kVariable = "TEAMSRL_EXTERNAL_DATA";

// DIR/name when TEAMSRL_EXTERNAL_DATA=DIR is set and DIR/name is a file; else "".
inline std::string File(const std::string& name) {
  const char* dir = std::getenv(kVariable);
  if (dir == nullptr || *dir == '\0') return "";
  const std::filesystem::path path = std::filesystem::path(dir) / name;
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) ? path.string() : "";
}

inline std::string SkipMessage(const std::string& name) {
  const char* dir = std::getenv(kVariable);
  std::string why = dir == nullptr || *dir == '\0'
                        ? std::string(kVariable) + " is not set"
                        : std::string(kVariable) + "=" + dir + " has no " + name;
  return "external data set not available (" + why + "): set " + kVariable + "=DIR holding " +
         name + " (e.g. ../shared/data) to run this test";
}

}  // namespace teamsrl::external_data

// Declares `const std::string var` = the external file `name`, or skips the test.
#define TEAMSRL_EXTERNAL_DATA_OR_SKIP(var, name)                 \
  const std::string var = ::teamsrl::external_data::File(name);  \
  if (var.empty()) {                                             \
    GTEST_SKIP() << ::teamsrl::external_data::SkipMessage(name); \
  }                                                              \
  static_assert(true, "")
