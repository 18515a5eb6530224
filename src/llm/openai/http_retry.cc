#include "llm/openai/http_retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "core/rng.h"
#include "core/text.h"

namespace teamsrl::llm {
namespace {

std::optional<double> ParseNumber(std::string_view s) {
  const std::string t = Trim(s);
  if (t.empty()) return std::nullopt;
  double v = 0.0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

bool IsRetryableHttpStatus(int s) { return s == 408 || s == 409 || s == 429 || s >= 500; }

StatusCode CodeForHttpStatus(int s) {
  if (s == 401 || s == 403) return StatusCode::kPermissionDenied;
  if (s == 404) return StatusCode::kNotFound;
  if (s == 429) return StatusCode::kResourceExhausted;
  if (s == 408) return StatusCode::kDeadlineExceeded;
  if (s == 409 || s >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInvalidArgument;
}

std::optional<double> ParseRetryAfter(std::string_view value, double now_unix_s) {
  if (std::optional<double> secs = ParseNumber(value)) return std::max(0.0, *secs);
  const std::string date = Trim(value);
  if (date.empty()) return std::nullopt;
  const time_t t = curl_getdate(date.c_str(), nullptr);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::max(0.0, static_cast<double>(t) - now_unix_s);
}

std::optional<double> ParseRetryAfterMs(std::string_view value) {
  std::optional<double> ms = ParseNumber(value);
  if (!ms) return std::nullopt;
  return std::max(0.0, *ms) / 1000.0;
}

double BackoffSeconds(int attempt, double base_s, double max_s, uint64_t jitter_hash) {
  const int exponent = std::clamp(attempt - 1, 0, 60);
  const double ceiling = std::min(max_s, base_s * std::ldexp(1.0, exponent));
  return ceiling * HashToUnit(Mix64(jitter_hash));
}

double RetryDelaySeconds(std::optional<double> server_hint_s, int attempt, double base_s,
                         double max_s, double max_hint_s, uint64_t jitter_hash) {
  if (server_hint_s) return std::min(*server_hint_s, max_hint_s);
  return BackoffSeconds(attempt, base_s, max_s, jitter_hash);
}

}  // namespace teamsrl::llm
