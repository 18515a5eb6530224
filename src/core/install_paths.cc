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

std::vector<std::string> DefaultPromptsCandidates(const std::string& config_relative,
                                                  const std::string& exe_path) {
  std::vector<std::string> out = {fs::path(config_relative).lexically_normal().string()};
  if (!exe_path.empty()) {
    const fs::path dir = fs::path(exe_path).parent_path();
    out.push_back((dir / ".." / "share" / "teamsrl" / "prompts").lexically_normal().string());
    out.push_back((dir / ".." / ".." / "experiments" / "prompts").lexically_normal().string());
  }
  return out;
}

Result<std::string> FindDefaultPromptsDir(const std::string& config_relative,
                                          const std::string& exe_path) {
  const std::vector<std::string> candidates = DefaultPromptsCandidates(config_relative, exe_path);
  std::string tried;
  for (const std::string& dir : candidates) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return dir;
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  return NotFound("prompt templates not found; tried " + tried);
}

}  // namespace teamsrl
