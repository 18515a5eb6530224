#include "pipeline/run_inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/version.h"

namespace teamsrl::pipeline {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadAll(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(what + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every regular file of the directory, by name, as "name\0bytes\0".
Result<std::string> ReadDirectory(const std::string& dir, const std::string& what) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) files.push_back(e.path());
  }
  if (ec) return NotFound(what + ": cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const fs::path& f : files) {
    TEAMSRL_ASSIGN_OR_RETURN(std::string bytes, ReadAll(f.string(), what));
    all += f.filename().string() + '\0' + bytes + '\0';
  }
  return all;
}

}  // namespace

Result<std::vector<dist::InputDigest>> DigestInputs(const Config& config,
                                                    const std::string& options,
                                                    const std::vector<InputFile>& files) {
  std::vector<dist::InputDigest> out;
  out.push_back({"teamsrl version",
                 dist::Digest(std::string(Version()) + " " + std::string(GitDescribe())), ""});
  out.push_back({"resolved configuration", dist::Digest(config.resolved_yaml), ""});
  out.push_back({"command options", dist::Digest(options), ""});
  TEAMSRL_ASSIGN_OR_RETURN(std::string templates,
                           ReadDirectory(config.env.prompts_dir, "prompt templates"));
  out.push_back({"prompt templates in", dist::Digest(templates), config.env.prompts_dir});
  std::vector<InputFile> all = files;
  if (!config.env.seeds.path.empty()) all.push_back({"seed file", config.env.seeds.path});
  for (const InputFile& f : all) {
    TEAMSRL_ASSIGN_OR_RETURN(std::string bytes, ReadAll(f.path, f.what));
    out.push_back({f.what, dist::Digest(bytes), f.path});
  }
  return out;
}

Status AgreeOnRunInputs(const dist::Comm& comm, const Config& config, const std::string& options,
                        const std::vector<InputFile>& files) {
  Result<std::vector<dist::InputDigest>> digests = DigestInputs(config, options, files);
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(comm, digests.status()));
  return dist::AgreeOnInputs(comm, *digests);
}

}  // namespace teamsrl::pipeline
