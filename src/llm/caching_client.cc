#include "llm/caching_client.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/check.h"

namespace teamsrl::llm {

CachingClient::CachingClient(std::unique_ptr<Client> inner, std::shared_ptr<ResponseCache> cache,
                             CacheMode mode, std::string identity, std::string endpoint)
    : inner_(std::move(inner)),
      cache_(std::move(cache)),
      mode_(mode),
      identity_(std::move(identity)),
      endpoint_(std::move(endpoint)) {
  TEAMSRL_CHECK(inner_ != nullptr && cache_ != nullptr && mode_ != CacheMode::kOff)
      << "CachingClient needs a backend, a cache and a mode other than off";
}

void CachingClient::Submit(Request request) {
  const CacheKey key = MakeCacheKey(identity_, request);
  if (const CacheEntry* e = cache_->Find(key); e != nullptr) {
    ++counters_.hits;
    Completion c;
    c.tag = request.tag;
    c.role = request.role;
    c.content = e->content;
    c.finish_reason = e->finish_reason;
    c.usage = e->usage;
    c.http_status = 0;
    c.attempts = 0;
    c.latency_ms = 0.0;
    c.cached = true;
    ready_.push_back(std::move(c));
    return;
  }
  ++counters_.misses;
  if (mode_ == CacheMode::kReplay) {
    const RequestKey& k = request.key;
    Completion c;
    c.tag = request.tag;
    c.role = request.role;
    c.attempts = 0;
    c.latency_ms = 0.0;
    c.status = NotFound("llm.cache (replay): no cached reply for the " +
                        std::string(RoleName(request.role)) + " request of actor " +
                        std::to_string(k.actor) + ", episode " + std::to_string(k.episode) +
                        ", step " + std::to_string(k.step) + ", sample " +
                        std::to_string(k.sample) + " (endpoint '" + endpoint_ + "', key " +
                        KeyHex(key).substr(0, 16) + ", cache " + cache_->dir() + ")");
    ready_.push_back(std::move(c));
    return;
  }
  keys_.emplace(request.tag, key);
  inner_->Submit(std::move(request));
}

std::vector<Completion> CachingClient::Poll(std::chrono::milliseconds max_wait) {
  std::vector<Completion> out = std::move(ready_);
  ready_.clear();
  if (inner_->InFlight() == 0) return out;
  std::vector<Completion> fresh =
      inner_->Poll(out.empty() ? max_wait : std::chrono::milliseconds(0));
  bool stored = false;
  for (Completion& c : fresh) {
    auto it = keys_.find(c.tag);
    TEAMSRL_CHECK(it != keys_.end()) << "cache: completion with unknown tag " << c.tag;
    if (c.status.ok()) {
      CacheEntry entry{c.content, c.finish_reason, c.usage};
      if (cache_->Append(it->second, std::move(entry))) {
        ++counters_.stored;
        stored = true;
      }
    }
    keys_.erase(it);
    out.push_back(std::move(c));
  }
  if (stored) {
    // The replies are valid whether or not they persist: warn, don't fail the calls.
    if (Status s = cache_->Commit(); !s.ok()) spdlog::warn("{}", s.message());
  }
  return out;
}

}  // namespace teamsrl::llm
