// Retry policy of the HTTP backends: which outcomes are retried, how long to wait, and the
// server's own hints (`Retry-After`, `retry-after-ms`). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace teamsrl::llm {

// 408, 409, 429 and 5xx are worth another attempt; other 4xx are the caller's fault.
bool IsRetryableHttpStatus(int http_status);
// The Status code a failed HTTP status maps to: 401/403 PermissionDenied, 404 NotFound,
// 429 ResourceExhausted, 408 DeadlineExceeded, 5xx/409 Unavailable, other 4xx
// InvalidArgument.
StatusCode CodeForHttpStatus(int http_status);

// `Retry-After`: delta-seconds (decimals accepted) or an HTTP date, converted to seconds
// from `now_unix_s`; nullopt when unparseable. Negative results clamp to 0.
std::optional<double> ParseRetryAfter(std::string_view value, double now_unix_s);
// `retry-after-ms` (OpenAI, Azure): milliseconds, returned in seconds.
std::optional<double> ParseRetryAfterMs(std::string_view value);

// Exponential backoff with full jitter before attempt `attempt` + 1 (attempt >= 1 failed
// attempts so far): uniform in [0, min(max_s, base_s * 2^(attempt-1))), the uniform draw a
// pure function of `jitter_hash` (deterministic per request and attempt).
double BackoffSeconds(int attempt, double base_s, double max_s, uint64_t jitter_hash);

// The wait before the next attempt: the server's hint when it gave one (capped at
// `max_hint_s`), else BackoffSeconds.
double RetryDelaySeconds(std::optional<double> server_hint_s, int attempt, double base_s,
                         double max_s, double max_hint_s, uint64_t jitter_hash);

}  // namespace teamsrl::llm
