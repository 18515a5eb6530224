#include "io/undo_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "io/hdf5_handle.h"

namespace teamsrl::io {
namespace {

static_assert(std::endian::native == std::endian::little, "the journal is written little-endian");

// Journal layout: a header, then records, each appended with one write(2):
//   header: magic "TSRLUNDO", version, inode of the file, committed size ("base"), hash of
//           the committed file's first kHeadBytes, hash of the previous 40 bytes
//   record: address, length, the old bytes, hash of the previous 16 + length bytes
// A record that is short or fails its hash was being written when the writer died: its
// overwrite had not started, so it and anything after it are ignored.
constexpr char kMagic[8] = {'T', 'S', 'R', 'L', 'U', 'N', 'D', 'O'};
constexpr uint64_t kVersion = 1;
constexpr uint64_t kHeadBytes = 4096;
constexpr size_t kHeaderSize = 48;
constexpr size_t kRecordOverhead = 24;
constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 20;
// sec2's limit: off_t is signed.
constexpr haddr_t kMaxAddr = (haddr_t{1} << (8 * sizeof(off_t) - 1)) - 1;

std::atomic<int> g_crash_countdown{0};

uint64_t Fnv1a(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ULL) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

void Put64(std::vector<char>& out, uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out.insert(out.end(), bytes, bytes + 8);
}

uint64_t Get64(const char* p) {
  uint64_t value = 0;
  std::memcpy(&value, p, 8);
  return value;
}

std::string ErrnoText(int error) {
  return "errno = " + std::to_string(error) + ", error message = '" + std::strerror(error) + "'";
}

// Pushes a driver error onto HDF5's stack (Hdf5Error reports it) and returns -1.
herr_t Fail(const char* function, hid_t minor, const std::string& message) {
  H5Epush2(H5E_DEFAULT, __FILE__, function, __LINE__, H5E_ERR_CLS, H5E_VFL, minor, "%s",
           message.c_str());
  return -1;
}

// Reads [offset, offset + size); bytes past the end of the file read as zeros.
bool ReadAt(int fd, void* buffer, size_t size, uint64_t offset) {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      std::memset(out, 0, size);
      return true;
    }
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool WriteAt(int fd, const void* buffer, size_t size, uint64_t offset) {
  const auto* in = static_cast<const char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, in, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    in += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

struct Record {
  uint64_t address = 0;
  std::vector<char> bytes;
};

// What a journal says about its file.
struct JournalContents {
  enum class Kind { kNone, kStale, kHot } kind = Kind::kNone;
  uint64_t base = 0;
  std::vector<Record> records;
};

uint64_t HeadHash(int fd, uint64_t base, const std::vector<Record>& records, bool& ok) {
  std::vector<char> head(std::min(base, kHeadBytes));
  ok = ReadAt(fd, head.data(), head.size(), 0);
  for (const Record& r : records) {
    for (uint64_t i = 0; i < r.bytes.size() && r.address + i < head.size(); ++i) {
      head[r.address + i] = r.bytes[i];
    }
  }
  return Fnv1a(head.data(), head.size());
}

// Parses the journal at `journal_path` of the file open as `fd` (inode `inode`).
Result<JournalContents> ReadJournal(const std::string& journal_path, int fd, uint64_t inode) {
  JournalContents contents;
  int jfd = ::open(journal_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (jfd < 0) {
    if (errno == ENOENT) return contents;
    return Internal("opening undo journal " + journal_path + ": " + ErrnoText(errno));
  }
  struct stat st {};
  std::vector<char> data;
  bool ok = ::fstat(jfd, &st) == 0;
  if (ok) {
    data.resize(static_cast<size_t>(st.st_size));
    ok = ReadAt(jfd, data.data(), data.size(), 0);
  }
  const int error = errno;
  ::close(jfd);
  if (!ok) return Internal("reading undo journal " + journal_path + ": " + ErrnoText(error));
  if (data.size() < kHeaderSize || std::memcmp(data.data(), kMagic, 8) != 0 ||
      Get64(data.data() + 8) != kVersion || Get64(data.data() + 40) != Fnv1a(data.data(), 40)) {
    return contents;  // empty (committed), or its header was being written: nothing changed
  }
  contents.kind = JournalContents::Kind::kStale;
  if (Get64(data.data() + 16) != inode) return contents;
  contents.base = Get64(data.data() + 24);
  for (size_t at = kHeaderSize; at + kRecordOverhead <= data.size();) {
    const uint64_t length = Get64(data.data() + at + 8);
    if (length > data.size() - at - kRecordOverhead) break;
    if (Get64(data.data() + at + 16 + length) != Fnv1a(data.data() + at, 16 + length)) break;
    Record record{Get64(data.data() + at), {}};
    record.bytes.assign(data.data() + at + 16, data.data() + at + 16 + length);
    contents.records.push_back(std::move(record));
    at += kRecordOverhead + length;
  }
  bool read_ok = false;
  const uint64_t head = HeadHash(fd, contents.base, contents.records, read_ok);
  if (!read_ok) return Internal("reading the head of the file of " + journal_path);
  if (head != Get64(data.data() + 32)) {
    contents.records.clear();
    return contents;  // the file was replaced since: not its journal
  }
  contents.kind = JournalContents::Kind::kHot;
  return contents;
}

// Puts the old bytes back, cuts the file to its committed size, syncs it, then empties the
// journal (in that order: a rollback killed half-way is simply done again).
Status ApplyRollback(int fd, const std::string& journal_path, const JournalContents& contents) {
  for (const Record& r : contents.records) {
    if (!WriteAt(fd, r.bytes.data(), r.bytes.size(), r.address)) {
      return Internal("rolling back with " + journal_path + ": " + ErrnoText(errno));
    }
  }
  if (::ftruncate(fd, static_cast<off_t>(contents.base)) != 0 || ::fsync(fd) != 0) {
    return Internal("rolling back with " + journal_path + ": " + ErrnoText(errno));
  }
  if (::truncate(journal_path.c_str(), 0) != 0) {
    return Internal("emptying undo journal " + journal_path + ": " + ErrnoText(errno));
  }
  return OkStatus();
}

// The undo log of a file open for writing.
class Journal {
 public:
  Journal(std::string path, int file_fd, uint64_t inode, uint64_t base)
      : path_(std::move(path)), file_fd_(file_fd), inode_(inode), base_(base) {}
  ~Journal() {
    if (fd_ >= 0) ::close(fd_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Saves the committed bytes of [address, address + size) not saved yet; called before
  // every write and truncation.
  Status Protect(uint64_t address, uint64_t size) {
    TEAMSRL_RETURN_IF_ERROR(Begin());
    const uint64_t end = std::min(address + size, base_);
    std::vector<std::pair<uint64_t, uint64_t>> gaps;
    uint64_t cursor = address;
    auto it = saved_.upper_bound(address);
    if (it != saved_.begin() && std::prev(it)->second > cursor) cursor = std::prev(it)->second;
    for (; cursor < end; ++it) {
      const uint64_t stop = it == saved_.end() ? end : std::min(it->first, end);
      if (cursor < stop) gaps.emplace_back(cursor, stop);
      if (it == saved_.end()) break;
      cursor = std::max(cursor, it->second);
    }
    for (auto [from, to] : gaps) {
      for (uint64_t at = from; at < to; at += kMaxRecordBytes) {
        TEAMSRL_RETURN_IF_ERROR(Save(at, std::min(to, at + kMaxRecordBytes)));
      }
    }
    return OkStatus();
  }

  // The file's current bytes become the committed state.
  Status Commit() {
    struct stat st {};
    if (::fstat(file_fd_, &st) != 0) return Internal("sizing " + path_ + ": " + ErrnoText(errno));
    if (active_ && ::ftruncate(fd_, 0) != 0) {
      return Internal("emptying undo journal " + path_ + ": " + ErrnoText(errno));
    }
    active_ = false;
    size_ = 0;
    saved_.clear();
    base_ = static_cast<uint64_t>(st.st_size);
    return OkStatus();
  }

  // After a clean close: no journal is left beside the file.
  void Remove() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }

 private:
  Status Begin() {
    if (active_) return OkStatus();
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd_ < 0) return Internal("creating undo journal " + path_ + ": " + ErrnoText(errno));
    }
    bool ok = false;
    const uint64_t head = HeadHash(file_fd_, base_, {}, ok);
    if (!ok) return Internal("reading the head of the file of " + path_ + ": " + ErrnoText(errno));
    std::vector<char> header(kMagic, kMagic + 8);
    Put64(header, kVersion);
    Put64(header, inode_);
    Put64(header, base_);
    Put64(header, head);
    Put64(header, Fnv1a(header.data(), header.size()));
    if (!WriteAt(fd_, header.data(), header.size(), 0)) {
      return Internal("writing undo journal " + path_ + ": " + ErrnoText(errno));
    }
    size_ = header.size();
    active_ = true;
    return OkStatus();
  }

  Status Save(uint64_t from, uint64_t to) {
    std::vector<char> record;
    record.reserve(kRecordOverhead + (to - from));
    Put64(record, from);
    Put64(record, to - from);
    record.resize(16 + (to - from));
    if (!ReadAt(file_fd_, record.data() + 16, to - from, from)) {
      return Internal("reading old bytes for undo journal " + path_ + ": " + ErrnoText(errno));
    }
    Put64(record, Fnv1a(record.data(), record.size()));
    if (!WriteAt(fd_, record.data(), record.size(), size_)) {
      return Internal("writing undo journal " + path_ + ": " + ErrnoText(errno));
    }
    size_ += record.size();
    saved_[from] = to;
    return OkStatus();
  }

  std::string path_;
  int file_fd_;
  uint64_t inode_;
  uint64_t base_;  // the file's size at the last commit
  int fd_ = -1;
  bool active_ = false;  // the header is written: the journal is hot
  uint64_t size_ = 0;
  std::map<uint64_t, uint64_t> saved_;  // start -> end of the ranges already saved
};

// HDF5 requires the public part first; the rest is plain data, so the struct stays
// standard-layout and the casts from H5FD_t* are valid.
struct UndoFile {
  H5FD_t pub;
  int fd;
  haddr_t eoa;
  haddr_t eof;
  uint64_t device;
  uint64_t inode;
  bool writable;
  bool failed;                   // a write failed since the last commit: closing must not commit
  Journal* journal;              // writers
  std::vector<Record>* overlay;  // read-only opens of a file with a hot journal
  uint64_t committed_size;       // with an overlay: the size readers see
};

UndoFile* Cast(H5FD_t* file) { return reinterpret_cast<UndoFile*>(file); }
const UndoFile* Cast(const H5FD_t* file) { return reinterpret_cast<const UndoFile*>(file); }

void Destroy(UndoFile* file) {
  if (file->fd >= 0) ::close(file->fd);
  delete file->journal;
  delete file->overlay;
  delete file;
}

bool Overflows(haddr_t address, size_t size) {
  return address == HADDR_UNDEF || address > kMaxAddr || size > kMaxAddr - address;
}

// For a writer of the file open as `fd`: rolls a hot journal back and removes a stale one;
// true when bytes were restored.
Result<bool> RollBack(int fd, uint64_t inode, const std::string& journal_path) {
  TEAMSRL_ASSIGN_OR_RETURN(JournalContents contents, ReadJournal(journal_path, fd, inode));
  if (contents.kind == JournalContents::Kind::kStale) ::unlink(journal_path.c_str());
  if (contents.kind != JournalContents::Kind::kHot) return false;
  TEAMSRL_RETURN_IF_ERROR(ApplyRollback(fd, journal_path, contents));
  return true;
}

// Rolls back (writers) or overlays (readers) a hot journal of a file just opened.
Status PrepareJournal(UndoFile* file, const std::string& name, unsigned flags) {
  const std::string journal_path = UndoJournalPath(name);
  if (file->writable && (flags & (H5F_ACC_TRUNC | H5F_ACC_CREAT)) != 0) {
    ::unlink(journal_path.c_str());  // a journal of a file that no longer exists
    return OkStatus();
  }
  if (file->writable) return RollBack(file->fd, file->inode, journal_path).status();
  TEAMSRL_ASSIGN_OR_RETURN(JournalContents contents,
                           ReadJournal(journal_path, file->fd, file->inode));
  if (contents.kind != JournalContents::Kind::kHot) return OkStatus();
  file->committed_size = contents.base;
  file->overlay = new std::vector<Record>(std::move(contents.records));
  return OkStatus();
}

H5FD_t* Open(const char* name, unsigned flags, hid_t /*fapl*/, haddr_t maxaddr) {
  constexpr const char* kFunction = "undo journal open";
  if (name == nullptr || *name == '\0') {
    Fail(kFunction, H5E_BADVALUE, "invalid file name");
    return nullptr;
  }
  if (maxaddr == 0 || maxaddr == HADDR_UNDEF) maxaddr = kMaxAddr;
  if (maxaddr > kMaxAddr) {
    Fail(kFunction, H5E_OVERFLOW, "maxaddr too large");
    return nullptr;
  }
  int mode = (flags & H5F_ACC_RDWR) != 0 ? O_RDWR : O_RDONLY;
  if ((flags & H5F_ACC_TRUNC) != 0) mode |= O_TRUNC;
  if ((flags & H5F_ACC_CREAT) != 0) mode |= O_CREAT;
  if ((flags & H5F_ACC_EXCL) != 0) mode |= O_EXCL;
  const int fd = ::open(name, mode | O_CLOEXEC, 0666);
  if (fd < 0) {
    Fail(kFunction, H5E_CANTOPENFILE,
         std::string("unable to open file: name = '") + name + "', " + ErrnoText(errno));
    return nullptr;
  }
  auto* file = new UndoFile{};
  file->fd = fd;
  file->writable = (flags & H5F_ACC_RDWR) != 0;
  struct stat st {};
  Status status = ::fstat(fd, &st) == 0 ? OkStatus() : Internal("fstat: " + ErrnoText(errno));
  if (status.ok()) {
    file->device = static_cast<uint64_t>(st.st_dev);
    file->inode = static_cast<uint64_t>(st.st_ino);
    status = PrepareJournal(file, name, flags);
  }
  if (status.ok() && ::fstat(fd, &st) != 0) status = Internal("fstat: " + ErrnoText(errno));
  if (!status.ok()) {
    Fail(kFunction, H5E_CANTOPENFILE, std::string(name) + ": " + status.message());
    Destroy(file);
    return nullptr;
  }
  file->eof = file->overlay != nullptr ? file->committed_size : static_cast<haddr_t>(st.st_size);
  if (file->writable) {
    file->journal = new Journal(UndoJournalPath(name), fd, file->inode, file->eof);
  }
  return &file->pub;
}

herr_t Close(H5FD_t* handle) {
  UndoFile* file = Cast(handle);
  herr_t result = 0;
  if (file->writable && !file->failed) {
    // HDF5 closes the driver only after writing everything: the file is whole.
    if (::fsync(file->fd) != 0 && errno != EINVAL) {
      result = Fail("undo journal close", H5E_CANTCLOSEFILE, "fsync: " + ErrnoText(errno));
    } else {
      file->journal->Remove();
    }
  }
  if (::close(std::exchange(file->fd, -1)) != 0 && result == 0) {
    result = Fail("undo journal close", H5E_CANTCLOSEFILE, "close: " + ErrnoText(errno));
  }
  Destroy(file);
  return result;
}

int Compare(const H5FD_t* a, const H5FD_t* b) {
  const auto key = [](const H5FD_t* f) { return std::pair(Cast(f)->device, Cast(f)->inode); };
  return key(a) < key(b) ? -1 : (key(b) < key(a) ? 1 : 0);
}

herr_t Query(const H5FD_t* /*file*/, unsigned long* flags) {
  if (flags != nullptr) {
    // sec2's features, so files are laid out as sec2 lays them out.
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  }
  return 0;
}

haddr_t GetEoa(const H5FD_t* file, H5FD_mem_t /*type*/) { return Cast(file)->eoa; }

herr_t SetEoa(H5FD_t* file, H5FD_mem_t /*type*/, haddr_t address) {
  Cast(file)->eoa = address;
  return 0;
}

haddr_t GetEof(const H5FD_t* file, H5FD_mem_t /*type*/) { return Cast(file)->eof; }

herr_t GetHandle(H5FD_t* file, hid_t /*fapl*/, void** handle) {
  if (handle == nullptr) return Fail("undo journal get_handle", H5E_BADVALUE, "no handle");
  *handle = file;
  return 0;
}

herr_t Read(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address, size_t size,
            void* buffer) {
  UndoFile* file = Cast(handle);
  if (Overflows(address, size) || address + size > file->eoa) {
    return Fail("undo journal read", H5E_OVERFLOW, "address beyond the end of allocation");
  }
  if (!ReadAt(file->fd, buffer, size, address)) {
    return Fail("undo journal read", H5E_READERROR, "pread: " + ErrnoText(errno));
  }
  if (file->overlay == nullptr) return 0;
  // The committed state: nothing past its size, and the old bytes where they were changed.
  auto* out = static_cast<char*>(buffer);
  const uint64_t end = address + size;
  if (end > file->committed_size) {
    const uint64_t from = std::max<uint64_t>(address, file->committed_size);
    std::memset(out + (from - address), 0, end - from);
  }
  for (const Record& r : *file->overlay) {
    const uint64_t from = std::max(address, r.address);
    const uint64_t to = std::min(end, r.address + r.bytes.size());
    if (from < to)
      std::memcpy(out + (from - address), r.bytes.data() + (from - r.address), to - from);
  }
  return 0;
}

// The test hook: half of the write, then SIGKILL.
void MaybeCrash(int fd, const void* buffer, size_t size, haddr_t address) {
  if (g_crash_countdown.load() <= 0 || g_crash_countdown.fetch_sub(1) != 1) return;
  (void)WriteAt(fd, buffer, size / 2, address);
  ::raise(SIGKILL);
}

herr_t Write(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address, size_t size,
             const void* buffer) {
  UndoFile* file = Cast(handle);
  if (!file->writable) return Fail("undo journal write", H5E_WRITEERROR, "file is read-only");
  if (Overflows(address, size) || address + size > file->eoa) {
    return Fail("undo journal write", H5E_OVERFLOW, "address beyond the end of allocation");
  }
  Status saved = file->journal->Protect(address, size);
  if (!saved.ok()) {
    file->failed = true;
    return Fail("undo journal write", H5E_WRITEERROR, saved.message());
  }
  MaybeCrash(file->fd, buffer, size, address);
  if (!WriteAt(file->fd, buffer, size, address)) {
    file->failed = true;
    return Fail("undo journal write", H5E_WRITEERROR, "pwrite: " + ErrnoText(errno));
  }
  file->eof = std::max<haddr_t>(file->eof, address + size);
  return 0;
}

herr_t Truncate(H5FD_t* handle, hid_t /*dxpl*/, hbool_t /*closing*/) {
  UndoFile* file = Cast(handle);
  if (!file->writable || file->eoa == file->eof) return 0;
  if (file->eoa < file->eof) {
    Status saved = file->journal->Protect(file->eoa, file->eof - file->eoa);
    if (!saved.ok()) {
      file->failed = true;
      return Fail("undo journal truncate", H5E_WRITEERROR, saved.message());
    }
  }
  if (::ftruncate(file->fd, static_cast<off_t>(file->eoa)) != 0) {
    file->failed = true;
    return Fail("undo journal truncate", H5E_WRITEERROR, "ftruncate: " + ErrnoText(errno));
  }
  file->eof = file->eoa;
  return 0;
}

H5FD_class_t MakeClass() {
  H5FD_class_t c{};
  c.name = "teamsrl_undo";
  c.maxaddr = kMaxAddr;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.open = Open;
  c.close = Close;
  c.cmp = Compare;
  c.query = Query;
  c.get_eoa = GetEoa;
  c.set_eoa = SetEoa;
  c.get_eof = GetEof;
  c.get_handle = GetHandle;
  c.read = Read;
  c.write = Write;
  c.truncate = Truncate;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(map), std::end(map), c.fl_map);
  return c;
}

Result<hid_t> DriverId() {
  static const H5FD_class_t kClass = MakeClass();
  static std::mutex mutex;
  static hid_t id = H5I_INVALID_HID;
  static std::once_flag hook_from_environment;
  std::call_once(hook_from_environment, [] {
    // Fault injection for the integration tests (tests/integration/torn_run_file_test.py).
    if (const char* count = std::getenv("TEAMSRL_CRASH_AT_WRITE"); count != nullptr) {
      CrashAtUndoWriteForTest(std::atoi(count));
    }
  });
  std::lock_guard<std::mutex> lock(mutex);
  if (id < 0 || H5Iis_valid(id) <= 0) id = H5FDregister(&kClass);
  if (id < 0) return Hdf5Error("registering the undo journal file driver");
  return id;
}

}  // namespace

std::string UndoJournalPath(const std::string& path) { return path + ".undo"; }

Status UseUndoJournal(hid_t fapl) {
  SilenceHdf5Errors();
  TEAMSRL_ASSIGN_OR_RETURN(hid_t driver, DriverId());
  return CheckHdf5(H5Pset_driver(fapl, driver, nullptr), "selecting the undo journal driver");
}

Status CommitUndoJournal(hid_t file) {
  TEAMSRL_ASSIGN_OR_RETURN(hid_t driver, DriverId());
  PlistId fapl(H5Fget_access_plist(file));
  if (!fapl) return Hdf5Error("reading the access properties of " + DescribeObject(file));
  if (H5Pget_driver(fapl.get()) != driver) {
    return FailedPrecondition(DescribeObject(file) + " is not open through the undo journal");
  }
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, fapl.get(), &handle) < 0 || handle == nullptr) {
    return Hdf5Error("getting the driver of " + DescribeObject(file));
  }
  UndoFile* undo = Cast(static_cast<H5FD_t*>(handle));
  // fsync first, so a reader on another NFS client that sees the next commit record also
  // sees these bytes (close-to-open consistency only covers closed files).
  if (::fsync(undo->fd) != 0 && errno != EINVAL) {
    return Internal("fsync of " + DescribeObject(file) + ": " + ErrnoText(errno));
  }
  if (!undo->writable) return OkStatus();
  TEAMSRL_RETURN_IF_ERROR(undo->journal->Commit());
  undo->failed = false;
  return OkStatus();
}

Result<bool> RollBackUndoJournal(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no file " + path);
    return Internal("opening " + path + ": " + ErrnoText(errno));
  }
  struct stat st {};
  Result<bool> rolled_back =
      ::fstat(fd, &st) == 0 ? RollBack(fd, st.st_ino, UndoJournalPath(path))
                            : Result<bool>(Internal("fstat of " + path + ": " + ErrnoText(errno)));
  ::close(fd);
  return rolled_back;
}

void CrashAtUndoWriteForTest(int count) { g_crash_countdown.store(count); }

}  // namespace teamsrl::io
