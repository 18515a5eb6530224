#include "io/run_commit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "io/safe_file.h"

namespace teamsrl::io {
namespace {

constexpr char kCommitFormat[] = "teamsrl_commit";
constexpr int64_t kCommitVersion = 1;
// A record is a few hundred bytes; anything much larger at the path is not one.
constexpr std::streamsize kMaxCommitBytes = 64 * 1024;

std::optional<WriterState> WriterStateFromName(const std::string& name) {
  for (WriterState s : {WriterState::kWriting, WriterState::kIdle, WriterState::kClosed}) {
    if (name == WriterStateName(s)) return s;
  }
  return std::nullopt;
}

nlohmann::json RowsToJson(const RowCounts& r, int64_t budget_rows) {
  return {{"iterations", r.iterations}, {"episodes", r.episodes}, {"steps", r.steps},
          {"calls", r.calls},           {"samples", r.samples},   {"texts", r.texts},
          {"budget", budget_rows}};
}

}  // namespace

const char* WriterStateName(WriterState state) {
  switch (state) {
    case WriterState::kWriting:
      return "writing";
    case WriterState::kIdle:
      return "idle";
    case WriterState::kClosed:
      return "closed";
  }
  return "writing";
}

std::string CommitPath(const std::string& run_path) { return run_path + ".commit"; }

Status PublishCommit(const std::string& run_path, const CommitRecord& record) {
  const nlohmann::json doc = {{"format", kCommitFormat},
                              {"version", kCommitVersion},
                              {"token", record.token},
                              {"epoch", record.epoch},
                              {"seq", record.seq},
                              {"state", WriterStateName(record.state)},
                              {"rows", RowsToJson(record.rows, record.budget_rows)},
                              {"host", record.host},
                              {"pid", record.pid}};
  const std::string target = CommitPath(run_path);
  std::string temp = target + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    return Internal("cannot create a temporary file for " + target + ": " + std::strerror(errno));
  }
  Status written = WriteAll(fd, doc.dump() + "\n", temp);
  // No fsync: the record only has to survive the writer's death, which the page cache
  // does; close() is what NFS needs for another client to see the bytes (close-to-open).
  if (::close(fd) != 0 && written.ok()) {
    written = Internal("cannot write " + temp + ": " + std::strerror(errno));
  }
  // rename(2) replaces a symbolic link at the target, never its target.
  if (written.ok() && ::rename(temp.c_str(), target.c_str()) != 0) {
    written = Internal("cannot replace " + target + ": " + std::strerror(errno));
  }
  if (!written.ok()) ::unlink(temp.c_str());
  return written;
}

std::optional<CommitRecord> ReadCommit(const std::string& run_path) {
  std::ifstream in(CommitPath(run_path), std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(static_cast<size_t>(kMaxCommitBytes), '\0');
  in.read(bytes.data(), kMaxCommitBytes);
  bytes.resize(static_cast<size_t>(in.gcount()));
  const nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("format", "") != kCommitFormat ||
      doc.value("version", int64_t{0}) != kCommitVersion || !doc.contains("rows") ||
      !doc["rows"].is_object()) {
    return std::nullopt;
  }
  std::optional<WriterState> state = WriterStateFromName(doc.value("state", ""));
  if (!state) return std::nullopt;
  CommitRecord r;
  r.state = *state;
  r.token = doc.value("token", "");
  r.epoch = doc.value("epoch", int64_t{-1});
  r.seq = doc.value("seq", int64_t{-1});
  r.host = doc.value("host", "");
  r.pid = doc.value("pid", int64_t{0});
  const nlohmann::json& rows = doc["rows"];
  const std::pair<const char*, int64_t*> counts[] = {
      {"iterations", &r.rows.iterations}, {"episodes", &r.rows.episodes}, {"steps", &r.rows.steps},
      {"calls", &r.rows.calls},           {"samples", &r.rows.samples},   {"texts", &r.rows.texts},
      {"budget", &r.budget_rows}};
  for (const auto& [name, value] : counts) {
    *value = rows.value(name, int64_t{-1});
    if (*value < 0) return std::nullopt;
  }
  if (r.token.empty() || r.epoch < 0 || r.seq < 0) return std::nullopt;
  return r;
}

bool WriterKnownDead(const CommitRecord& record) {
  if (record.host != ThisHost() || record.pid <= 0 || record.pid == ThisPid()) return false;
  return ::kill(static_cast<pid_t>(record.pid), 0) != 0 && errno == ESRCH;
}

std::string NewCommitToken() {
  std::random_device device;
  std::string token;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof(part), "%08x", static_cast<unsigned>(device()));
    token += part;
  }
  return token;
}

std::string ThisHost() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

int64_t ThisPid() { return static_cast<int64_t>(::getpid()); }

}  // namespace teamsrl::io
