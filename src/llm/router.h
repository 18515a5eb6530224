// Router: one Client per endpoint, dispatching each request by its Role to the endpoint
// named in `llm.roles` (a cheap local server for the rewriter during training, a paid API
// for the responder during generation, ...). Roles sharing an endpoint share its Client.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "llm/client.h"
#include "llm/options.h"

namespace teamsrl::llm {

class Router : public Client {
 public:
  // `role_endpoints[role]` must name an entry of `backends`.
  Router(std::map<std::string, std::unique_ptr<Client>> backends,
         std::array<std::string, kNumRoles> role_endpoints);

  // Forwards to the role's backend under a router-private tag; the completion comes back
  // with the caller's tag.
  void Submit(Request request) override;
  // Polls every busy backend without blocking; if nothing is ready, waits up to
  // `max_wait`: inside the backend when only one is busy, else in slices of kSlice.
  std::vector<Completion> Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override;

  const std::string& EndpointFor(Role role) const {
    return role_endpoints_[static_cast<int>(role)];
  }
  Client& BackendFor(Role role) const { return *by_role_[static_cast<int>(role)]; }

  static constexpr std::chrono::milliseconds kSlice{2};

 private:
  void Collect(Client& client, std::chrono::milliseconds wait, std::vector<Completion>& out);

  std::map<std::string, std::unique_ptr<Client>> backends_;
  std::array<std::string, kNumRoles> role_endpoints_;
  std::array<Client*, kNumRoles> by_role_{};
  std::vector<Client*> clients_;                       // distinct backends, by endpoint name
  std::unordered_map<uint64_t, uint64_t> caller_tag_;  // router tag -> caller's tag
  uint64_t next_tag_ = 0;
  size_t next_slice_ = 0;
};

// Where this process sits in the run: `rank` names its cache segment, `world_size` sets
// its share of each endpoint's run-wide rpm/tpm. The driver passes them (from dist::Comm);
// the llm layer never reads the launcher's environment.
struct Placement {
  int rank = 0;
  int world_size = 1;
};

// Builds the backends of the endpoints `llm.roles` names (unused endpoints are not built)
// and the router. An empty `endpoints` map means the default {sim: EndpointConfig{}}.
// Errors name the role (llm.roles.reviewer: unknown endpoint 'x') or the endpoint.
Result<std::unique_ptr<Router>> MakeRouter(const LlmConfig& config, uint64_t run_seed,
                                           Placement placement = {});

}  // namespace teamsrl::llm
