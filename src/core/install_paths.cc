#include "core/install_paths.h"

#include <filesystem>
#include <system_error>

namespace teamsrl {

namespace fs = std::filesystem;

std::string RunningExecutablePath() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.string();
}

std::vector<std::string> ShippedCandidates(const std::string& exe_path,
                                           const std::string& installed,
                                           const std::string& in_source) {
  if (exe_path.empty()) return {};
  const fs::path dir = fs::path(exe_path).parent_path();
  return {(dir / ".." / "share" / "teamsrl" / installed).lexically_normal().string(),
          (dir / ".." / ".." / in_source).lexically_normal().string()};
}

namespace {

// `directory`: only a directory will do (a file of that name is skipped).
Result<std::string> FirstExisting(const std::vector<std::string>& candidates,
                                  const std::string& what, bool directory) {
  std::string tried;
  for (const std::string& p : candidates) {
    std::error_code ec;
    if (directory ? fs::is_directory(p, ec) : fs::exists(p, ec)) return p;
    tried += (tried.empty() ? "" : ", ") + p;
  }
  return NotFound(what + " not found; tried " + (tried.empty() ? "nothing" : tried));
}

}  // namespace

Result<std::string> FindShipped(const std::string& exe_path, const std::string& installed,
                                const std::string& in_source) {
  return FirstExisting(ShippedCandidates(exe_path, installed, in_source), in_source,
                       /*directory=*/false);
}

std::vector<std::string> DefaultPromptsCandidates(const std::string& config_relative,
                                                  const std::string& exe_path) {
  std::vector<std::string> out = {fs::path(config_relative).lexically_normal().string()};
  for (std::string& p : ShippedCandidates(exe_path, "prompts", "experiments/prompts")) {
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::string> FindDefaultPromptsDir(const std::string& config_relative,
                                          const std::string& exe_path) {
  return FirstExisting(DefaultPromptsCandidates(config_relative, exe_path), "prompt templates",
                       /*directory=*/true);
}

}  // namespace teamsrl
