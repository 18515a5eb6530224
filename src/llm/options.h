// The llm layer's options: the endpoints a run talks to and which role uses which
// (config keys `llm.*`; every key is documented in the README's "Configuration" table).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// openai: which of the OpenAI-compatible APIs a request goes to.
enum class Api : int {
  kChat = 0,         // POST /chat/completions: the messages as they are
  kCompletions = 1,  // POST /completions: the messages rendered into one prompt (base models)
};

// openai: the name the completion limit is sent under. OpenAI's reasoning models refuse
// `max_tokens` (HTTP 400) and take only `max_completion_tokens`.
enum class MaxTokensField : int { kMaxTokens = 0, kMaxCompletionTokens = 1 };

// A JSON object kept as its compact text with keys sorted (nlohmann's dump), so equal
// objects have equal text: the cache key and operator== read the text. "" = none.
struct JsonObjectText {
  std::string text;
  bool empty() const { return text.empty() || text == "{}"; }
  bool operator==(const JsonObjectText&) const = default;
};

struct EndpointConfig {
  Backend backend = Backend::kSim;
  std::string base_url;  // openai: e.g. http://127.0.0.1:8000/v1
  std::string model = "sim-1";
  std::string api_key_env;  // name of the environment variable holding the key
  std::string ca_path;      // openai: CA bundle file for TLS verification; empty = system
  // Sent only when set: reasoning models accept only their defaults, and a server's own
  // default is what a config that leaves them out asks for.
  std::optional<double> temperature;
  std::optional<double> top_p;
  int max_tokens = 2048;
  MaxTokensField max_tokens_field = MaxTokensField::kMaxTokens;
  // openai: fields merged into every request body as they are (vLLM's top_k, Ollama's
  // options, ...); a field here replaces a generated one of the same name.
  JsonObjectText extra_body;
  Api api = Api::kChat;
  // openai, api completions: the template file (resolved path) and its text, read by the
  // config loader (prompt_template.h).
  std::string prompt_template;
  std::string prompt_template_text;
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
struct teamsrl::EnumNameTable<teamsrl::llm::Api> {
  static constexpr std::string_view kNames[] = {"chat", "completions"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::llm::MaxTokensField> {
  static constexpr std::string_view kNames[] = {"max_tokens", "max_completion_tokens"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::llm::TokenCharge> {
  static constexpr std::string_view kNames[] = {"estimate", "max_tokens"};
};
template <>
struct teamsrl::EnumNameTable<teamsrl::llm::CacheMode> {
  static constexpr std::string_view kNames[] = {"off", "read_write", "replay"};
};
