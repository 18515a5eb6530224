// Plain data of the LLM layer: requests, completions, usage. Knows nothing of RL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "llm/options.h"

namespace teamsrl::llm {

enum class Role : int { kRewriter = 0, kReviewer = 1, kResponder = 2 };
inline constexpr int kNumRoles = 3;
std::string_view RoleName(Role role);
// Name table used by logs and by the HDF5 enum attribute, in enum order.
const std::vector<std::string>& RoleNames();

struct Message {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

struct SamplingParams {
  std::optional<double> temperature;  // unset: not sent, the server's default applies
  std::optional<double> top_p;
  int max_tokens = 2048;
  std::optional<int64_t> seed;
};

// The name of the endpoint `llm.roles` binds `role` to.
const std::string& EndpointFor(const LlmConfig& config, Role role);
// The run file's endpoint table (the `endpoint_names` of /llm/calls): each endpoint that
// `llm.roles` names, once, in name order.
std::vector<std::string> EndpointTable(const LlmConfig& config);
// The index of `role`'s endpoint in EndpointTable(config).
int EndpointIndex(const LlmConfig& config, Role role);
// Whether a call that failed with this HTTP status would fail the same way on every retry
// (400, 401, 403, 404, ...: a wrong request, key or model); 0 (no HTTP answer) is not.
bool NoRetryCanFix(int http_status);

// The sampling parameters of the endpoint `llm.roles` binds `role` to. An unset temperature
// or top_p stays unset (not sent), but for the simulator, which reads neither: there they
// are 0 and 1, as before they could be unset, so its cache keys do not change.
SamplingParams SamplingFor(const LlmConfig& config, Role role);

// The deterministic identity of a request (docs/architecture.md s.3): the sim backend derives
// its randomness from it, the cache keys on it plus the content.
struct RequestKey {
  int64_t actor = 0;
  int64_t episode = 0;  // or seed index during generation
  int64_t step = 0;
  int64_t sample = 0;  // retries of the same logical request by the pipeline, rounds
  uint64_t Hash(Role role) const;
};

// What the pipeline is asking for, in structured form. Real backends ignore it (they
// only see `messages`); the simulator reads it, since it is not a language model and
// cannot parse arbitrary prompt templates.
struct Intent {
  std::string action;              // rewriter: action name, e.g. "add_constraints"
  std::vector<std::string> texts;  // rewriter: {instruction}; reviewer: {before, after};
                                   // responder: {instruction}
};

struct Request {
  Role role = Role::kRewriter;
  std::vector<Message> messages;
  SamplingParams sampling;
  RequestKey key;
  Intent intent;
  uint64_t tag = 0;  // caller's cookie, returned in the Completion
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct Completion {
  uint64_t tag = 0;
  Role role = Role::kRewriter;
  Status status;  // OK, or why the call finally failed
  std::string content;
  std::string finish_reason;  // "stop" | "length" | ...
  Usage usage;
  int http_status = 0;  // 0 for the simulator
  int attempts = 1;
  double latency_ms = 0.0;
  // Of latency_ms: time the request was ready to go but held back by the endpoint's
  // rpm/tpm limits (llm/openai/rate_limiter.h); 0 for the simulator.
  double limit_wait_ms = 0.0;
  bool cached = false;
  // The server's usage was implausible (negative, overflowing, far from the text's
  // size), so `usage` is the estimate (llm/openai/reply_checks.h).
  bool usage_estimated = false;
};

}  // namespace teamsrl::llm
