// The llm layer's options: the endpoints a run talks to and which role uses which
// (config keys `llm.*`; every key is documented in the README's "Configuration" table).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/enum_names.h"

namespace teamsrl::llm {

enum class Backend : int {
  kSim = 0,     // the built-in deterministic simulator (llm/sim/)
  kOpenai = 1,  // an OpenAI-compatible server (llm/openai/)
};

enum class CacheMode : int {
  kOff = 0,
  kReadWrite = 1,  // answer from the cache, fill it with misses
  kReplay = 2,     // answer only from the cache; a miss is an error
};

// What a request costs the endpoint's tokens-per-minute bucket when it starts.
enum class TokenCharge : int {
  // The prompt's estimate plus the completion tokens this role's replies have used so far
  // (a first guess before any reply), corrected by the reply's usage when it arrives.
  kEstimate = 0,
  // The prompt's estimate plus max_tokens, never corrected: for providers that reserve
  // max_tokens against the limit at admission.
  kMaxTokens = 1,
};

struct EndpointConfig {
  Backend backend = Backend::kSim;
  std::string base_url;  // openai: e.g. http://127.0.0.1:8000/v1
  std::string model = "sim-1";
  std::string api_key_env;  // name of the environment variable holding the key
  std::string ca_path;      // openai: CA bundle file for TLS verification; empty = system
  double temperature = 0.0;
  double top_p = 1.0;
  int max_tokens = 2048;
  // openai: cap on one reply's body, bytes; 0 = DefaultMaxReplyBytes(max_tokens) of
  // llm/openai/reply_checks.h.
  int64_t max_reply_bytes = 0;
  double timeout_s = 120.0;
  int max_retries = 5;
  int max_concurrency = 64;  // requests in flight per rank
  double rpm = 0.0;          // 0 = unlimited (cluster-wide; split across ranks)
  double tpm = 0.0;
  TokenCharge tpm_charge = TokenCharge::kEstimate;
  double price_prompt_per_1k = 0.0;  // USD
  double price_completion_per_1k = 0.0;
  double latency_ms = 0.0;      // sim only: simulated latency per call
  double latency_jitter = 0.0;  // sim only: relative jitter of the latency, in [0, 1]

  bool operator==(const EndpointConfig&) const = default;
};

// Validated by the config loader: every role names a defined endpoint, a cache mode other
// than off has a path, an openai endpoint has a base_url. Code building an LlmConfig by
// hand must keep those promises (MakeRouter checks them as preconditions).
struct LlmConfig {
  std::map<std::string, EndpointConfig> endpoints;  // default: {"sim": EndpointConfig{}}
  std::string rewriter = "sim";
  std::string reviewer = "sim";
  std::string responder = "sim";
  std::string cache_path;
  CacheMode cache_mode = CacheMode::kOff;
  // Share of an iteration's (or chunk's) calls that may fail after their retries before
  // the run stops; calls no retry can fix (HTTP 400/401/403/404) stop it at once.
  double max_failed_share = 0.5;

  bool operator==(const LlmConfig&) const = default;
};

}  // namespace teamsrl::llm

template <>
struct teamsrl::EnumNameTable<teamsrl::llm::Backend> {
  static constexpr std::string_view kNames[] = {"sim", "openai"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::llm::TokenCharge> {
  static constexpr std::string_view kNames[] = {"estimate", "max_tokens"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::llm::CacheMode> {
  static constexpr std::string_view kNames[] = {"off", "read_write", "replay"};
};
