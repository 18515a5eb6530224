#include "llm/router.h"

#include <algorithm>
#include <utility>

#include "core/check.h"
#include "llm/activity.h"
#include "llm/backend_factory.h"
#include "llm/caching_client.h"
#include "llm/response_cache.h"

namespace teamsrl::llm {

Router::Router(std::map<std::string, std::unique_ptr<Client>> backends,
               std::array<std::string, kNumRoles> role_endpoints)
    : backends_(std::move(backends)), role_endpoints_(std::move(role_endpoints)) {
  for (int r = 0; r < kNumRoles; ++r) {
    auto it = backends_.find(role_endpoints_[r]);
    TEAMSRL_CHECK(it != backends_.end() && it->second != nullptr)
        << "role " << RoleName(static_cast<Role>(r)) << " names endpoint '" << role_endpoints_[r]
        << "' without a backend";
    by_role_[r] = it->second.get();
  }
  for (auto& [name, client] : backends_) {
    if (std::find(by_role_.begin(), by_role_.end(), client.get()) != by_role_.end()) {
      clients_.push_back(client.get());
    }
  }
}

void Router::Submit(Request request) {
  const uint64_t tag = next_tag_++;
  caller_tag_.emplace(tag, request.tag);
  request.tag = tag;
  Client& backend = *by_role_[static_cast<int>(request.role)];
  Activity::Process().Submitted();
  backend.Submit(std::move(request));
}

void Router::Collect(Client& client, std::chrono::milliseconds wait, std::vector<Completion>& out) {
  for (Completion& c : client.Poll(wait)) {
    auto it = caller_tag_.find(c.tag);
    TEAMSRL_CHECK(it != caller_tag_.end()) << "router: completion with unknown tag " << c.tag;
    c.tag = it->second;
    caller_tag_.erase(it);
    Activity::Process().Completed(c.status.ok());
    out.push_back(std::move(c));
  }
}

std::vector<Completion> Router::Poll(std::chrono::milliseconds max_wait) {
  using Clock = std::chrono::steady_clock;
  std::vector<Completion> out;
  std::vector<Client*> busy;
  for (Client* c : clients_) {
    if (c->InFlight() > 0) busy.push_back(c);
  }
  for (Client* c : busy) Collect(*c, std::chrono::milliseconds(0), out);
  if (!out.empty() || busy.empty() || max_wait.count() <= 0) return out;
  if (busy.size() == 1) {  // nothing else can finish meanwhile: let the backend wait
    Collect(*busy[0], max_wait, out);
    return out;
  }
  const Clock::time_point deadline = Clock::now() + max_wait;
  while (out.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    Client* waiter = busy[next_slice_++ % busy.size()];
    Collect(*waiter, std::min(left, kSlice), out);
    for (Client* c : busy) {
      if (c != waiter) Collect(*c, std::chrono::milliseconds(0), out);
    }
  }
  return out;
}

size_t Router::InFlight() const {
  size_t n = 0;
  for (const Client* c : clients_) n += c->InFlight();
  return n;
}

Result<std::unique_ptr<Router>> MakeRouter(const LlmConfig& config, uint64_t run_seed,
                                           Placement placement) {
  std::map<std::string, EndpointConfig> endpoints = config.endpoints;
  if (endpoints.empty()) endpoints.emplace("sim", EndpointConfig{});
  std::array<std::string, kNumRoles> role_endpoints;
  for (int r = 0; r < kNumRoles; ++r) role_endpoints[r] = EndpointFor(config, static_cast<Role>(r));
  const CacheMode cache_mode = config.cache_mode;
  std::shared_ptr<ResponseCache> cache;  // one per process, shared by its endpoints
  if (cache_mode != CacheMode::kOff) {
    TEAMSRL_CHECK(!config.cache_path.empty()) << "llm.cache.mode needs a path (checked at load)";
    ResponseCache::Options options;
    options.writable = cache_mode == CacheMode::kReadWrite;
    options.rank = placement.rank;
    TEAMSRL_ASSIGN_OR_RETURN(std::unique_ptr<ResponseCache> opened,
                             ResponseCache::Open(config.cache_path, options));
    cache = std::move(opened);
  }
  std::map<std::string, std::unique_ptr<Client>> backends;
  for (int r = 0; r < kNumRoles; ++r) {
    const std::string& name = role_endpoints[r];
    auto it = endpoints.find(name);
    // The loader names the key and line of a role bound to an undefined endpoint.
    TEAMSRL_CHECK(it != endpoints.end())
        << "llm.roles." << RoleName(static_cast<Role>(r)) << ": endpoint " << name
        << " not defined (checked at load)";
    if (backends.contains(name)) continue;
    TEAMSRL_ASSIGN_OR_RETURN(
        std::unique_ptr<Client> client,
        MakeBackend(name, it->second, run_seed, 1.0 / std::max(1, placement.world_size)));
    if (cache != nullptr) {
      client = std::make_unique<CachingClient>(std::move(client), cache, cache_mode,
                                               CacheIdentity(it->second, run_seed), name);
    }
    backends.emplace(name, std::move(client));
  }
  return std::make_unique<Router>(std::move(backends), role_endpoints);
}

}  // namespace teamsrl::llm
