#include "io/dataset_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/text.h"
#include "io/safe_file.h"

namespace teamsrl::io {
namespace {

using OrderedJson = nlohmann::ordered_json;

Status Errno(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

// Opens `path` for appending after truncating it to `length` bytes.
Result<int> OpenTruncated(const std::string& path, int64_t length) {
  TEAMSRL_ASSIGN_OR_RETURN(const int fd, OpenForWriting(path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < length) {
    ::close(fd);
    return DataLoss(path + " is shorter than its commit point in progress.json (" +
                    std::to_string(length) + " bytes): the directory was damaged");
  }
  if (::ftruncate(fd, length) != 0 || ::lseek(fd, length, SEEK_SET) < 0 || ::fsync(fd) != 0) {
    ::close(fd);
    return Errno("cannot truncate", path);
  }
  return fd;
}

Result<CommitPoint> ReadProgress(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(ss.str());
    CommitPoint c;
    c.next_seed = j.at("next_seed").get<int64_t>();
    c.dataset_bytes = j.at("dataset_bytes").get<int64_t>();
    c.calls_bytes = j.at("calls_bytes").get<int64_t>();
    c.samples = j.at("samples").get<int64_t>();
    c.chunks = j.at("chunks").get<int64_t>();
    c.complete = j.at("complete").get<bool>();
    c.fingerprint = j.at("fingerprint").get<std::string>();
    return c;
  } catch (const std::exception& e) {
    return DataLoss(path + ": not a progress file: " + e.what());
  }
}

}  // namespace

std::string SampleLineJson(const SampleLine& line, std::string_view step_key) {
  OrderedJson j;
  // As RunFile::AddText stores them: the data set and /text/strings hold the same text.
  j["instruction"] = ReplaceNul(line.instruction);
  j["input"] = ReplaceNul(line.input);
  j["output"] = ReplaceNul(line.output);
  j["seed_index"] = line.seed_index;
  j[std::string(step_key)] = line.step;
  if (line.action.empty()) {
    j["action"] = nullptr;
  } else {
    j["action"] = line.action;
  }
  j["parent"] = line.parent;
  j["sample_id"] = line.sample_id;
  j["eliminated"] = line.eliminated;
  j["reason"] = line.reason;
  if (line.not_equal.has_value()) {
    j["not_equal"] = *line.not_equal;
  } else {
    j["not_equal"] = nullptr;
  }
  j["queries"] = line.queries;
  if (line.malformed_reply) j["malformed_reply"] = true;
  // Invalid UTF-8 from a server is replaced rather than aborting a long run.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<SampleLine> ParseSampleLine(std::string_view json, std::string_view step_key) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    SampleLine s;
    s.instruction = j.at("instruction").get<std::string>();
    s.input = j.at("input").get<std::string>();
    s.output = j.at("output").get<std::string>();
    s.seed_index = j.at("seed_index").get<int64_t>();
    s.step = j.at(std::string(step_key)).get<int64_t>();
    if (!j.at("action").is_null()) s.action = j.at("action").get<std::string>();
    s.parent = j.at("parent").get<int64_t>();
    s.sample_id = j.at("sample_id").get<int64_t>();
    s.eliminated = j.at("eliminated").get<bool>();
    s.reason = j.at("reason").get<std::string>();
    if (!j.at("not_equal").is_null()) s.not_equal = j.at("not_equal").get<bool>();
    s.queries = j.at("queries").get<int64_t>();
    s.malformed_reply = j.value("malformed_reply", false);
    return s;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed dataset line: ") + e.what());
  }
}

Result<DatasetWriter> DatasetWriter::Open(const std::string& dir, const std::string& fingerprint,
                                          bool overwrite) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  DatasetWriter w;
  w.dir_ = dir;
  // One writer per directory, taken before anything in it is touched: a second run (or an
  // orphan of a killed one) is refused.
  TEAMSRL_ASSIGN_OR_RETURN(DirectoryLock lock, DirectoryLock::Acquire(dir));
  w.lock_.emplace(std::move(lock));
  if (overwrite) {  // starting over replaces the files, or links planted there, never a target
    for (const char* name : {kDatasetFile, kCallsFile, kProgressFile}) {
      TEAMSRL_RETURN_IF_ERROR(RemoveForReplacement(w.path(name)));
    }
  }
  const std::string progress = w.path(kProgressFile);
  if (!overwrite && std::filesystem::exists(progress, ec)) {
    TEAMSRL_ASSIGN_OR_RETURN(CommitPoint c, ReadProgress(progress));
    if (c.fingerprint != fingerprint) {
      return FailedPrecondition(
          dir +
          " holds the progress of another run (a different configuration, policy or "
          "seed file); pass --overwrite to start over, or choose another --out");
    }
    w.committed_ = c;
    w.resumed_ = true;
  } else {
    const std::string dataset = w.path(kDatasetFile);
    if (!overwrite && std::filesystem::exists(dataset, ec) &&
        std::filesystem::file_size(dataset, ec) > 0) {
      return FailedPrecondition(dataset +
                                " exists without progress.json; pass --overwrite to replace it, "
                                "or choose another --out");
    }
    w.committed_.fingerprint = fingerprint;
  }
  TEAMSRL_ASSIGN_OR_RETURN(w.dataset_fd_,
                           OpenTruncated(w.path(kDatasetFile), w.committed_.dataset_bytes));
  const bool journal_removed =
      w.resumed_ && w.committed_.complete && !PathOccupied(w.path(kCallsFile));
  if (!journal_removed) {
    TEAMSRL_ASSIGN_OR_RETURN(w.calls_fd_,
                             OpenTruncated(w.path(kCallsFile), w.committed_.calls_bytes));
  }
  if (!w.resumed_) TEAMSRL_RETURN_IF_ERROR(w.WriteProgress());
  return w;
}

DatasetWriter::DatasetWriter(DatasetWriter&& o) noexcept
    : dir_(std::move(o.dir_)),
      dataset_fd_(std::exchange(o.dataset_fd_, -1)),
      calls_fd_(std::exchange(o.calls_fd_, -1)),
      lock_(std::move(o.lock_)),
      committed_(std::move(o.committed_)),
      resumed_(o.resumed_) {}

DatasetWriter& DatasetWriter::operator=(DatasetWriter&& o) noexcept {
  if (this != &o) {
    if (dataset_fd_ >= 0) ::close(dataset_fd_);
    if (calls_fd_ >= 0) ::close(calls_fd_);
    dir_ = std::move(o.dir_);
    dataset_fd_ = std::exchange(o.dataset_fd_, -1);
    calls_fd_ = std::exchange(o.calls_fd_, -1);
    lock_ = std::move(o.lock_);
    committed_ = std::move(o.committed_);
    resumed_ = o.resumed_;
  }
  return *this;
}

DatasetWriter::~DatasetWriter() {
  if (dataset_fd_ >= 0) ::close(dataset_fd_);
  if (calls_fd_ >= 0) ::close(calls_fd_);
}

std::string DatasetWriter::path(std::string_view file) const {
  return (std::filesystem::path(dir_) / file).string();
}

Status DatasetWriter::Commit(std::string_view lines, std::string_view calls, int64_t next_seed,
                             int64_t samples) {
  const std::string dataset = path(kDatasetFile), journal = path(kCallsFile);
  TEAMSRL_RETURN_IF_ERROR(WriteAll(dataset_fd_, lines, dataset));
  const uint64_t block = calls.size();
  TEAMSRL_RETURN_IF_ERROR(WriteAll(
      calls_fd_, std::string_view(reinterpret_cast<const char*>(&block), sizeof(block)), journal));
  TEAMSRL_RETURN_IF_ERROR(WriteAll(calls_fd_, calls, journal));
  if (::fsync(dataset_fd_) != 0) return Errno("cannot fsync", dataset);
  if (::fsync(calls_fd_) != 0) return Errno("cannot fsync", journal);
  committed_.next_seed = next_seed;
  committed_.dataset_bytes += static_cast<int64_t>(lines.size());
  committed_.calls_bytes += static_cast<int64_t>(sizeof(block) + calls.size());
  committed_.samples += samples;
  committed_.chunks += 1;
  return WriteProgress();
}

Status DatasetWriter::MarkComplete() {
  committed_.complete = true;
  return WriteProgress();
}

Status DatasetWriter::RemoveJournal() {
  if (!committed_.complete || calls_fd_ < 0) return OkStatus();
  ::close(std::exchange(calls_fd_, -1));
  const std::string journal = path(kCallsFile);
  if (::unlink(journal.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", journal);
  return OkStatus();
}

Status DatasetWriter::WriteProgress() {
  nlohmann::ordered_json j;
  j["next_seed"] = committed_.next_seed;
  j["dataset_bytes"] = committed_.dataset_bytes;
  j["calls_bytes"] = committed_.calls_bytes;
  j["samples"] = committed_.samples;
  j["chunks"] = committed_.chunks;
  j["complete"] = committed_.complete;
  j["fingerprint"] = committed_.fingerprint;
  return WriteFileAtomically(path(kProgressFile), j.dump(2) + "\n", /*replace=*/true);
}

Status ForEachCallBlock(const std::string& path, int64_t bytes,
                        const std::function<Status(std::string_view)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  int64_t pos = 0;
  std::string payload;
  while (pos < bytes) {
    uint64_t size = 0;
    if (!in.read(reinterpret_cast<char*>(&size), sizeof(size)) ||
        pos + static_cast<int64_t>(sizeof(size) + size) > bytes) {
      return DataLoss(path + ": truncated call journal at byte " + std::to_string(pos));
    }
    payload.resize(size);
    if (!in.read(payload.data(), static_cast<std::streamsize>(size))) {
      return DataLoss(path + ": truncated call journal at byte " + std::to_string(pos));
    }
    TEAMSRL_RETURN_IF_ERROR(fn(payload));
    pos += static_cast<int64_t>(sizeof(size) + size);
  }
  return OkStatus();
}

}  // namespace teamsrl::io
