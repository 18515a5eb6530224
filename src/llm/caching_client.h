// CachingClient: the response cache as a Client decorator around one endpoint's backend
// (MakeRouter wraps every backend when `llm.cache.mode` is not off).
//
//   read_write  a hit completes at once from the cache; a miss goes to the backend and
//               its successful completion is stored (failures are not: a retry later may
//               succeed).
//   replay      a hit as above; a miss completes with NotFound naming the request (role,
//               actor, episode, step, sample) and never reaches the backend.
//
// A hit carries the stored content, finish_reason and usage, with cached = true,
// attempts = 0, http_status = 0 and latency_ms = 0: no network was used.
// New entries are committed to the segment file (one write()) before Poll returns their
// completions. Not thread-safe, like every Client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "llm/client.h"
#include "llm/options.h"
#include "llm/response_cache.h"

namespace teamsrl::llm {

class CachingClient : public Client {
 public:
  // `identity` names what produces the replies (backend, model, ...; see MakeCacheKey);
  // `endpoint` is for messages only. Several CachingClients may share one cache.
  CachingClient(std::unique_ptr<Client> inner, std::shared_ptr<ResponseCache> cache, CacheMode mode,
                std::string identity, std::string endpoint);

  void Submit(Request request) override;
  std::vector<Completion> Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override { return ready_.size() + inner_->InFlight(); }

  struct Counters {
    int64_t hits = 0;
    int64_t misses = 0;  // replay: failed; read_write: sent to the backend
    int64_t stored = 0;
  };
  const Counters& counters() const { return counters_; }
  Client& inner() const { return *inner_; }

 private:
  std::unique_ptr<Client> inner_;
  std::shared_ptr<ResponseCache> cache_;
  CacheMode mode_;
  std::string identity_;
  std::string endpoint_;
  std::vector<Completion> ready_;                // hits and replay misses
  std::unordered_map<uint64_t, CacheKey> keys_;  // backend tag -> key, for misses
  Counters counters_;
};

}  // namespace teamsrl::llm
