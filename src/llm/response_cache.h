// The persistent, content-addressed response cache (`llm.cache`, docs/architecture.md s.4):
// a directory of append-only segment files, one per writing process.
//
// Layout: `DIR/rank-<r>-<pid>[-<n>].log`, created with O_EXCL so no two processes (ranks
// writing at once, or an old run whose pid is reused) ever append to the same file. A
// segment is a sequence of records, every integer little-endian:
//
//   "TRC1" | u32 payload bytes | 8 bytes: SHA-256(payload)[0..8) | payload
//   payload = 32-byte key | u32 n, content | u32 n, finish_reason | i64 prompt_tokens
//             | i64 completion_tokens
//
// Open() loads every segment into an in-memory index (segments in name order; the first
// record of a key wins). A segment is read up to its first record that is incomplete or
// fails its checksum: the torn tail a process killed mid-write leaves behind is ignored,
// and since each file has a single writer that never reopens it, a bad record can only
// ever be a tail.
//
// Durability: Append() buffers; Commit() hands the buffered records to the kernel with
// one write() (so they survive the process being killed from then on) and fdatasync()s
// when the last sync is older than `sync_interval` (so they survive a machine crash from
// then on); the destructor commits and syncs. CachingClient commits before returning
// completions: an entry whose completion the pipeline has seen is in the file.
//
// Not thread-safe: one thread drives it (like every Client).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "llm/types.h"

namespace teamsrl::llm {

using CacheKey = std::array<uint8_t, 32>;  // SHA-256

// What produces an endpoint's replies, for the cache key: the backend and the model for a
// real server (moving a vLLM server to another port keeps its cache); the simulator's
// replies also depend on the run seed. The request-shaping keys (api, prompt_template's
// text, max_tokens_field, extra_body) are added only when they differ from their
// defaults, so an endpoint that uses none of them keeps the key it had before they existed.
std::string CacheIdentity(const EndpointConfig& endpoint, uint64_t run_seed);

// SHA-256 of a canonical, length-prefixed encoding of everything that determines a reply:
// `identity` (CacheIdentity), the role, the messages, the sampling parameters (an unset
// temperature or top_p differs from every set value), the intent (what the simulator reads instead
// of the messages) and the request's deterministic key. A collision of a 256-bit hash is not a
// practical concern; a 64-bit one would be at billions of entries.
CacheKey MakeCacheKey(std::string_view identity, const Request& request);
std::string KeyHex(const CacheKey& key);

struct CacheEntry {
  std::string content;
  std::string finish_reason;
  Usage usage;
};

class ResponseCache {
 public:
  struct Options {
    bool writable = true;  // false: replay, never creates a file
    int rank = 0;          // names the segment file
    std::chrono::milliseconds sync_interval{50};
  };
  struct LoadStats {
    int64_t segments = 0;
    int64_t records = 0;
    int64_t torn_bytes = 0;  // ignored bytes at segment tails
  };

  // Loads `dir` (created when writable). NotFound when a read-only cache's directory is
  // missing; Internal naming the file on an I/O error.
  static Result<std::unique_ptr<ResponseCache>> Open(std::string dir, Options options);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  const CacheEntry* Find(const CacheKey& key) const;
  // Indexes the entry at once and buffers its record for the next Commit(); a key
  // already present is ignored (false).
  bool Append(const CacheKey& key, CacheEntry entry);
  // Writes the buffered records (one write()); fdatasync as described above or if `sync`.
  Status Commit(bool sync = false);

  size_t size() const { return index_.size(); }
  const LoadStats& load_stats() const { return load_stats_; }
  const std::string& dir() const { return dir_; }
  const std::string& segment_path() const { return segment_path_; }  // "" until a write

  // Parses one segment image; appends valid records via `add`, returns the byte count of
  // the valid prefix. Exposed for tests.
  static size_t ParseSegment(std::string_view data,
                             const std::function<void(const CacheKey&, CacheEntry)>& add);

 private:
  ResponseCache(std::string dir, Options options) : dir_(std::move(dir)), options_(options) {}
  Status Load();
  Status OpenSegment();

  struct KeyHash {
    size_t operator()(const CacheKey& k) const;
  };

  std::string dir_;
  Options options_;
  std::unordered_map<CacheKey, CacheEntry, KeyHash> index_;
  LoadStats load_stats_;
  std::string segment_path_;
  int fd_ = -1;
  std::string pending_;  // encoded records not yet written
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace teamsrl::llm
