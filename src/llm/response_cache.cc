#include "llm/response_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace teamsrl::llm {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "TRC1";
constexpr size_t kHeaderBytes = 4 + 4 + 8;    // magic, payload length, checksum
constexpr uint32_t kMaxPayload = 256u << 20;  // 256 MiB: anything larger is garbage
constexpr std::string_view kKeyDomain = "teamsrl-cache-v1";

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutBytes(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void PutF64(std::string& out, double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  PutU64(out, bits);
}
// A set value is encoded as before it could be unset, so the keys of configs that set it
// stay what they were; unset is a NaN payload no config value can be (they are finite).
void PutOptionalF64(std::string& out, const std::optional<double>& v) {
  constexpr uint64_t kUnset = 0x7ff8'7465'616d'0000ULL;
  if (v) {
    PutF64(out, *v);
  } else {
    PutU64(out, kUnset);
  }
}

uint64_t GetU(std::string_view data, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(data[at + i])) << (8 * i);
  }
  return v;
}

std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> md{};
  unsigned int n = 0;
  const int ok = EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr);
  if (ok != 1 || n != md.size()) std::abort();  // only fails on allocation failure
  return md;
}

// Reads one record's payload at `at`; false when incomplete or corrupt.
bool ParsePayload(std::string_view p, CacheKey& key, CacheEntry& entry) {
  size_t at = 0;
  auto take = [&](size_t n) { return at + n <= p.size(); };
  if (!take(key.size())) return false;
  std::memcpy(key.data(), p.data(), key.size());
  at += key.size();
  for (std::string* s : {&entry.content, &entry.finish_reason}) {
    if (!take(4)) return false;
    const size_t n = GetU(p, at, 4);
    at += 4;
    if (!take(n)) return false;
    s->assign(p.substr(at, n));
    at += n;
  }
  if (!take(16)) return false;
  entry.usage.prompt_tokens = static_cast<int64_t>(GetU(p, at, 8));
  entry.usage.completion_tokens = static_cast<int64_t>(GetU(p, at + 8, 8));
  return at + 16 == p.size();
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::string CacheIdentity(const EndpointConfig& e, uint64_t run_seed) {
  std::string id = std::string(EnumName(e.backend)) + "|" + e.model;
  if (e.backend == Backend::kSim) return id + "|seed=" + std::to_string(run_seed);
  // Length-prefixed where the value is free text, so no two settings read alike.
  const auto add = [&id](std::string_view name, std::string_view value) {
    id += "|" + std::string(name) + "=" + std::to_string(value.size()) + ":" + std::string(value);
  };
  if (e.api != Api::kChat) {
    add("api", EnumName(e.api));
    add("prompt_template", e.prompt_template_text);
  }
  if (e.max_tokens_field != MaxTokensField::kMaxTokens) {
    add("max_tokens_field", EnumName(e.max_tokens_field));
  }
  if (!e.extra_body.empty()) add("extra_body", e.extra_body.text);
  return id;
}

CacheKey MakeCacheKey(std::string_view identity, const Request& request) {
  std::string buf;
  buf.reserve(256);
  buf.append(kKeyDomain);
  PutBytes(buf, identity);
  PutU32(buf, static_cast<uint32_t>(request.role));
  PutU32(buf, static_cast<uint32_t>(request.messages.size()));
  for (const Message& m : request.messages) {
    PutBytes(buf, m.role);
    PutBytes(buf, m.content);
  }
  const SamplingParams& s = request.sampling;
  PutOptionalF64(buf, s.temperature);
  PutOptionalF64(buf, s.top_p);
  PutU64(buf, static_cast<uint64_t>(static_cast<int64_t>(s.max_tokens)));
  buf.push_back(s.seed.has_value() ? 1 : 0);
  PutU64(buf, static_cast<uint64_t>(s.seed.value_or(0)));
  PutBytes(buf, request.intent.action);
  PutU32(buf, static_cast<uint32_t>(request.intent.texts.size()));
  for (const std::string& t : request.intent.texts) PutBytes(buf, t);
  const RequestKey& k = request.key;
  for (int64_t v : {k.actor, k.episode, k.step, k.sample}) PutU64(buf, static_cast<uint64_t>(v));
  return Sha256(buf);
}

std::string KeyHex(const CacheKey& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : key) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

size_t ResponseCache::KeyHash::operator()(const CacheKey& k) const {
  size_t h = 0;
  std::memcpy(&h, k.data(), sizeof h);  // already uniformly distributed
  return h;
}

size_t ResponseCache::ParseSegment(std::string_view data,
                                   const std::function<void(const CacheKey&, CacheEntry)>& add) {
  size_t at = 0;
  while (data.size() - at >= kHeaderBytes) {
    if (data.substr(at, 4) != kMagic) break;
    const uint64_t n = GetU(data, at + 4, 4);
    if (n > kMaxPayload || data.size() - at - kHeaderBytes < n) break;
    const std::string_view payload = data.substr(at + kHeaderBytes, n);
    const std::array<uint8_t, 32> sum = Sha256(payload);
    if (std::memcmp(sum.data(), data.data() + at + 8, 8) != 0) break;
    CacheKey key{};
    CacheEntry entry;
    if (!ParsePayload(payload, key, entry)) break;
    add(key, std::move(entry));
    at += kHeaderBytes + n;
  }
  return at;
}

Result<std::unique_ptr<ResponseCache>> ResponseCache::Open(std::string dir, Options options) {
  std::unique_ptr<ResponseCache> cache(new ResponseCache(std::move(dir), options));
  TEAMSRL_RETURN_IF_ERROR(cache->Load());
  return cache;
}

ResponseCache::~ResponseCache() {
  if (!pending_.empty() || fd_ >= 0) (void)Commit(/*sync=*/true);
  if (fd_ >= 0) ::close(fd_);
}

Status ResponseCache::Load() {
  std::error_code ec;
  if (options_.writable) {
    fs::create_directories(dir_, ec);  // concurrent creation by several ranks is fine
    if (ec) return Internal("llm.cache.path: cannot create " + dir_ + ": " + ec.message());
  }
  if (!fs::is_directory(dir_, ec)) {
    return NotFound("llm.cache.path: not a cache directory: " + dir_);
  }
  std::vector<fs::path> segments;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() == ".log" && e.is_regular_file()) segments.push_back(e.path());
  }
  if (ec) return Internal("llm.cache.path: cannot list " + dir_ + ": " + ec.message());
  std::sort(segments.begin(), segments.end());
  for (const fs::path& p : segments) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return Internal("llm.cache: cannot read " + p.string());
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t valid = ParseSegment(data, [this](const CacheKey& k, CacheEntry&& e) {
      index_.try_emplace(k, std::move(e));
      ++load_stats_.records;
    });
    load_stats_.torn_bytes += static_cast<int64_t>(data.size() - valid);
    ++load_stats_.segments;
  }
  return OkStatus();
}

const CacheEntry* ResponseCache::Find(const CacheKey& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second;
}

bool ResponseCache::Append(const CacheKey& key, CacheEntry entry) {
  if (!options_.writable || index_.contains(key)) return false;
  std::string payload(key.begin(), key.end());
  PutBytes(payload, entry.content);
  PutBytes(payload, entry.finish_reason);
  PutU64(payload, static_cast<uint64_t>(entry.usage.prompt_tokens));
  PutU64(payload, static_cast<uint64_t>(entry.usage.completion_tokens));
  const std::array<uint8_t, 32> sum = Sha256(payload);
  pending_.append(kMagic);
  PutU32(pending_, static_cast<uint32_t>(payload.size()));
  pending_.append(reinterpret_cast<const char*>(sum.data()), 8);
  pending_.append(payload);
  index_.emplace(key, std::move(entry));
  return true;
}

Status ResponseCache::OpenSegment() {
  const std::string base =
      dir_ + "/rank-" + std::to_string(options_.rank) + "-" + std::to_string(::getpid());
  for (int n = 0; n < 1000; ++n) {
    std::string path = base + (n == 0 ? "" : "-" + std::to_string(n)) + ".log";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      segment_path_ = std::move(path);
      return OkStatus();
    }
    if (errno != EEXIST) return Internal(Errno("llm.cache: cannot create", path));
  }
  return Internal("llm.cache: no free segment name for " + base);
}

Status ResponseCache::Commit(bool sync) {
  if (!pending_.empty()) {
    if (fd_ < 0) TEAMSRL_RETURN_IF_ERROR(OpenSegment());
    size_t done = 0;
    while (done < pending_.size()) {  // one write() unless the kernel takes less
      const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        // The file may now end in a torn record that would hide anything appended after
        // it: give it up and write everything pending to a fresh segment next time.
        Status error = Internal(Errno("llm.cache: write failed on", segment_path_));
        (void)::fdatasync(fd_);
        ::close(fd_);
        fd_ = -1;
        unsynced_ = false;
        return error;
      }
      done += static_cast<size_t>(n);
    }
    pending_.clear();
    unsynced_ = true;
  }
  const auto now = std::chrono::steady_clock::now();
  if (unsynced_ && (sync || now - last_sync_ >= options_.sync_interval)) {
    if (::fdatasync(fd_) != 0)
      return Internal(Errno("llm.cache: fdatasync failed on", segment_path_));
    unsynced_ = false;
    last_sync_ = now;
  }
  return OkStatus();
}

}  // namespace teamsrl::llm
