#include "io/safe_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace teamsrl::io {
namespace {

namespace fs = std::filesystem;

Status Errno(const std::string& what, const std::string& path, int err) {
  if (err == ELOOP) {
    return FailedPrecondition(path +
                              " is a symbolic link; teamsrl does not write through links "
                              "(remove it or choose another path)");
  }
  if (err == EEXIST) {
    return FailedPrecondition(path +
                              " exists; pass --overwrite to replace it, or choose "
                              "another path");
  }
  // A path the user must fix (a missing directory, no permission) is the user's error,
  // the same kind of Status (and exit code) in every command.
  const std::string message = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return NotFound(message);
  if (err == EACCES || err == EPERM || err == EROFS) {
    return Status(StatusCode::kPermissionDenied, message);
  }
  return Internal(message);
}

std::string DirectoryOf(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

void SyncDirectory(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // makes the rename itself durable
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

// rename(2) that fails with EEXIST when anything is at `to`; link(2) where the file system
// has no RENAME_NOREPLACE.
int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  return ::unlink(from.c_str());
}

}  // namespace

bool PathOccupied(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<int> OpenForWriting(const std::string& path, int extra_flags) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | extra_flags, 0644);
  if (fd < 0) return Errno("cannot open", path, errno);
  return fd;
}

Status RemoveForReplacement(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return OkStatus();
  if (S_ISDIR(st.st_mode)) return FailedPrecondition(path + " is a directory");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path, errno);
  return OkStatus();
}

Result<AtomicFile> AtomicFile::Create(const std::string& path, bool replace) {
  if (!replace && PathOccupied(path)) return Errno("cannot create", path, EEXIST);
  AtomicFile f;
  f.path_ = path;
  f.replace_ = replace;
  const std::string name = fs::path(path).filename().string();
  std::string templ = (fs::path(DirectoryOf(path)) / ("." + name + ".tmp-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  f.fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
  if (f.fd_ < 0) return Errno("cannot create a temporary file for", path, errno);
  f.temp_path_ = buf.data();
  // mkostemp creates 0600; the output gets the usual 0644 less the umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(f.fd_, 0644 & ~mask);
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept { *this = std::move(other); }

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    replace_ = other.replace_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  (void)::unlink(temp_path_.c_str());
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status AtomicFile::Write(std::string_view bytes) { return WriteAll(fd_, bytes, temp_path_); }

Status AtomicFile::Commit() {
  if (::fsync(fd_) != 0) return Errno("cannot fsync", temp_path_, errno);
  // rename(2) replaces a symbolic link at the target; it never writes through it.
  const int rc =
      replace_ ? ::rename(temp_path_.c_str(), path_.c_str()) : RenameNoReplace(temp_path_, path_);
  if (rc != 0) return Errno("cannot rename " + temp_path_ + " to", path_, errno);
  ::close(fd_);
  fd_ = -1;
  SyncDirectory(DirectoryOf(path_));
  return OkStatus();
}

namespace {

// Whether `path` names the file open as `fd` (not a file unlinked, or replaced, since).
bool NamesOpenFile(const std::string& path, int fd) {
  struct stat open_st {
  }, path_st{};
  if (::fstat(fd, &open_st) != 0 || ::lstat(path.c_str(), &path_st) != 0) return false;
  return open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino;
}

}  // namespace

Result<DirectoryLock> DirectoryLock::Acquire(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  while (true) {
    TEAMSRL_ASSIGN_OR_RETURN(const int fd, OpenForWriting(path));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return FailedPrecondition(dir + " is in use by another running process");
    }
    // Between our open and our flock the holder may have released the lock, unlinking
    // the file we opened: holding a lock on that file excludes nobody, so open the path
    // afresh (a new file, or one a third process now holds).
    if (NamesOpenFile(path, fd)) return DirectoryLock(path, fd);
    ::close(fd);
  }
}

void DirectoryLock::Release() noexcept {
  if (fd_ < 0) return;
  // Unlinked while still held, so whoever locks this inode next sees it is gone; the
  // check spares a file that is not ours (someone replaced the path meanwhile).
  if (NamesOpenFile(path_, fd_)) ::unlink(path_.c_str());
  ::close(fd_);  // releases the lock
  fd_ = -1;
}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    Release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirectoryLock::~DirectoryLock() { Release(); }

Status WriteFileAtomically(const std::string& path, std::string_view contents, bool replace) {
  TEAMSRL_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::Create(path, replace));
  TEAMSRL_RETURN_IF_ERROR(f.Write(contents));
  return f.Commit();
}

}  // namespace teamsrl::io
