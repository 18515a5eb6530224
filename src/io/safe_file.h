// Writing outputs on shared file systems without clobbering what is not ours
// (docs/architecture.md s.6): no output is written through a symbolic link, a file that
// must be new is created exclusively, and temporary files get unique names beside their
// target, so a planted link or a stale temporary file changes nothing but the error.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace teamsrl::io {

// Whether anything is at `path`: a file, a directory or a symbolic link (dangling or not).
bool PathOccupied(const std::string& path);

// A descriptor for writing `path` that never follows a symbolic link at it (O_NOFOLLOW):
// created (0644, less the umask) when absent, never truncated. `extra_flags` adds e.g.
// O_APPEND. A link is FailedPrecondition naming the path.
Result<int> OpenForWriting(const std::string& path, int extra_flags = 0);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); errors name `path`.
Status WriteAll(int fd, std::string_view bytes, const std::string& path);

// Clears `path` for a new file: removes a file or a symbolic link there (the link itself,
// never its target); nothing there is fine; a directory is FailedPrecondition.
Status RemoveForReplacement(const std::string& path);

// A file written in one piece: its bytes go to a uniquely named temporary file in the
// target's directory (mkostemp), and Commit fsyncs it, renames it to the target and fsyncs
// the directory, so a reader sees the old contents or the new, never a part. Without
// `replace`, anything already at the target (a link included) is FailedPrecondition
// naming --overwrite, checked at Create and again, atomically, by the rename.
// Destroying an uncommitted AtomicFile removes its temporary file.
class AtomicFile {
 public:
  static Result<AtomicFile> Create(const std::string& path, bool replace);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  Status Write(std::string_view bytes);
  Status Commit();
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFile() = default;
  void Discard();

  std::string path_, temp_path_;
  bool replace_ = false;
  int fd_ = -1;
};

// One writer per run directory: DIR/.lock held with flock(LOCK_EX) for the object's life.
// Releasing it removes DIR/.lock, so a finished run leaves no lock file: the holder
// unlinks the path while it still holds the lock, and Acquire, once its flock succeeds,
// checks that the path still names the inode it locked (else it locked a file a holder
// has just unlinked, and tries again), so two processes never both hold the lock. The
// kernel drops the lock with the process, so a killed run leaves the file but no lock,
// and the next Acquire takes it.
class DirectoryLock {
 public:
  // FailedPrecondition "DIR is in use by another running process" when held elsewhere.
  static Result<DirectoryLock> Acquire(const std::string& dir);
  DirectoryLock(DirectoryLock&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

 private:
  DirectoryLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void Release() noexcept;

  std::string path_;  // DIR/.lock
  int fd_ = -1;
};

// Create + Write + Commit.
Status WriteFileAtomically(const std::string& path, std::string_view contents, bool replace);

}  // namespace teamsrl::io
