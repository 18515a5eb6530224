// `openai`: an OpenAI-compatible chat-completions client (OpenAI, vLLM, llama.cpp's
// server, Ollama) on libcurl's multi interface (docs/architecture.md s.4). With `api:
// completions` it speaks the legacy /completions API instead, the messages rendered into
// one prompt by `prompt_template` (prompt_template.h); only the URL, the body and the
// reply's text field differ, so everything below holds for both.
//
// One event loop, driven by Poll(): up to `max_concurrency` requests in flight, the rest
// queued in submission order. The loop is libcurl's socket interface on an epoll set, so
// a wake-up touches only the connections that have data (curl_multi_perform walks every
// transfer in flight, which at C = 128 cost more CPU than the calls themselves).
// Keep-alive connections: one per in-flight request over HTTP/1.1, multiplexed over
// HTTP/2 when a TLS server offers it. TLS verification on, `ca_path` overrides the CA
// bundle; TCP_NODELAY on (no 40-ms Nagle stall); no `Expect: 100-continue` round trip.
//
// Retries: 408, 409, 429, 5xx, timeouts, dropped connections and replies that are not a
// chat completion (bad JSON, no choices) are retried up to `max_retries` times, after the
// server's `retry-after-ms` / `Retry-After` when given, else exponential backoff with full
// jitter (deterministic per request key and attempt). Backoff waits are timers in the
// same loop: no thread sleeps. 400/401/403/404 and other 4xx fail at once. A call that
// finally fails comes back as a Completion with a non-OK status naming the endpoint, its
// base_url, the HTTP status and the server's message, plus attempts and http_status; a
// bad reply never crashes the client. An empty `content` with HTTP 200 is a valid reply
// (OK, content ""): judging it is the caller's business.
//
// Rate limits: every attempt passes the endpoint's RateLimiter (rpm, tpm x rank share),
// charged the prompt estimate plus the role's CompletionEstimate (or max_tokens, per
// `tpm_charge`) and settled with the reply's usage. The time a ready request is held back
// is Completion::limit_wait_ms and feeds llm::Activity (the progress line).
//
// Secrets: the key is read once from the environment variable named by `api_key_env`
// and sent only as `Authorization: Bearer`; a key with control characters is refused (a
// CR or LF would inject headers). The key and a base_url's user:password are redacted
// from everything a reply brings (content, finish_reason, error messages) before it is
// returned, so no cache, run file, data set or log line sees them (reply_checks.h).
// No header when the variable is unset or `api_key_env` is empty (local servers).
//
// Replies: a body longer than `max_reply_bytes` (0: derived from max_tokens) fails the
// call at once, ResourceExhausted naming the key, not retried; the bodies of all calls
// in flight in the process stay under kMaxReplyBytesInFlight (a call that would cross it
// fails, retryably). NUL characters in content become U+FFFD: HDF5 strings end at NUL.
//
// usage: the server's prompt/completion tokens; EstimateTokens when it sends none, and
// also when it sends implausible ones (PlausibleTokens; counted in usage_anomalies and
// flagged in Completion::usage_estimated).
// latency_ms: from Submit to completion, queueing and retries included.
// Not thread-safe: one thread drives a Client (docs/architecture.md s.4).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "llm/client.h"
#include "llm/openai/http_chat.h"
#include "llm/openai/http_curl.h"
#include "llm/openai/rate_limiter.h"
#include "llm/openai/reply_checks.h"
#include "llm/options.h"

namespace teamsrl::llm {

struct OpenAiOptions {
  double rank_share = 1.0;           // this rank's share of rpm/tpm, normally 1 / world size
  double backoff_base_s = 0.5;       // first backoff ceiling; doubles per attempt
  double backoff_max_s = 30.0;       // backoff ceiling cap
  double max_retry_after_s = 120.0;  // cap on a server's Retry-After hint
  double connect_timeout_s = 10.0;   // also capped by timeout_s
  // Bound on the reply bytes of all calls in flight in the process (tests lower it).
  int64_t max_reply_bytes_in_flight = kMaxReplyBytesInFlight;
};

class OpenAiBackend : public Client {
 public:
  // InvalidArgument naming `llm.endpoints.NAME.*` for a missing/non-http base_url or an
  // empty model; Internal when libcurl cannot be initialised.
  static Result<std::unique_ptr<OpenAiBackend>> Create(std::string endpoint_name,
                                                       EndpointConfig config,
                                                       OpenAiOptions options = {});
  ~OpenAiBackend() override;
  OpenAiBackend(const OpenAiBackend&) = delete;
  OpenAiBackend& operator=(const OpenAiBackend&) = delete;

  void Submit(Request request) override;
  std::vector<Completion> Poll(std::chrono::milliseconds max_wait) override;
  size_t InFlight() const override { return calls_.size(); }

  struct Counters {
    int64_t attempts = 0;  // HTTP requests started by this client
    int64_t resends = 0;   // requests libcurl sent again on a reused connection that died
    int64_t retries = 0;   // attempts after the first
    int64_t succeeded = 0;
    int64_t failed = 0;
    int64_t rate_limited_waits = 0;  // times dispatch waited for the RateLimiter
    int64_t usage_anomalies = 0;     // replies whose usage was implausible (estimate used)
    int64_t oversized_replies = 0;   // calls failed by max_reply_bytes or the in-flight cap
  };
  const Counters& counters() const { return counters_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Call;

  OpenAiBackend(std::string endpoint_name, EndpointConfig config, OpenAiOptions options);
  Status Init();
  void Dispatch(Clock::time_point now);
  // The queue head `call` waits for the rate limiter / goes out (limit-wait accounting).
  void HoldBack(Call* call, Clock::time_point now);
  void Release(Call* call, Clock::time_point now);
  Status Start(Call* call);
  void Harvest();
  // Runs libcurl's timer when due (new transfers start on a 0-ms timer).
  void RunTimer();
  // Runs libcurl on the sockets epoll reports within `wait_ms`.
  void RunSockets(int wait_ms);
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  static size_t OnBody(char* data, size_t size, size_t n, void* call);
  // Status of a transfer the body cap stopped, or nullopt when it did not.
  std::optional<Status> OversizedReply(Call* call, CURLcode rc, size_t received,
                                       const std::string& attempt);
  Completion ParsedReply(Call* call, const std::string& body, Status* status);
  void Finish(Call* call, CURLcode rc);
  void Complete(Call* call, Status status, Completion completion);
  std::string Where() const;
  std::string Redact(std::string text) const { return redact_(std::move(text)); }
  double Seconds(Clock::time_point t) const;

  std::string name_;
  EndpointConfig config_;
  OpenAiOptions options_;
  std::string url_;
  BodyShape shape_;        // model, max_tokens field and extra_body of every body
  std::string api_key_;    // never logged, never in a Status
  Redactor redact_;        // the key and the base_url's credentials
  std::string shown_url_;  // base_url without credentials, for messages
  RateLimiter limiter_;
  int epoll_fd_ = -1;  // outlives multi_: libcurl's cleanup reports closed sockets
  CurlMulti multi_;
  std::optional<Clock::time_point> curl_timer_at_;  // libcurl's timer; none when empty
  CurlSlist headers_;
  std::vector<CurlEasy> idle_easy_;  // pooled handles: their connections stay in multi_
  std::unordered_map<Call*, std::unique_ptr<Call>> calls_;  // every call not yet returned
  std::deque<Call*> ready_;                                 // waiting for a slot / limiter
  std::multimap<Clock::time_point, Call*> backoff_;         // waiting to retry
  size_t active_ = 0;
  Clock::time_point limiter_ready_at_{};
  bool limited_ = false;              // the queue head is held back by the limiter
  Clock::time_point limited_mark_{};  // last time the hold was added to Activity
  std::array<CompletionEstimate, kNumRoles> completion_estimate_{};
  Clock::time_point epoch_;
  std::vector<Completion> done_;
  Counters counters_;
};

}  // namespace teamsrl::llm
