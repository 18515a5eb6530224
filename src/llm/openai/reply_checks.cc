#include "llm/openai/reply_checks.h"

#include <algorithm>
#include <limits>

namespace teamsrl::llm {
namespace {

constexpr char kRedacted[] = "[redacted]";

bool Skippable(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F || u == ' ';
}

// The end of a match of `secret` at text[at], skipping Skippable bytes between its
// characters, or npos.
size_t MatchEnd(std::string_view text, size_t at, std::string_view secret) {
  size_t j = at;
  for (size_t k = 0; k < secret.size();) {
    if (j >= text.size()) return std::string_view::npos;
    if (text[j] == secret[k]) {
      ++j;
      ++k;
    } else if (k > 0 && Skippable(text[j])) {
      ++j;
    } else {
      return std::string_view::npos;
    }
  }
  return j;
}

std::string RedactOne(std::string text, std::string_view secret) {
  std::string out;
  size_t copied = 0;
  for (size_t at = text.find(secret[0]); at != std::string::npos; at = text.find(secret[0], at)) {
    const size_t end = MatchEnd(text, at, secret);
    if (end == std::string_view::npos) {
      ++at;
      continue;
    }
    out.append(text, copied, at - copied);
    out += kRedacted;
    copied = at = end;
  }
  if (copied == 0 && out.empty()) return text;  // the common case: nothing to redact
  out.append(text, copied);
  return out;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// The user:password of `url`'s authority, or "".
std::string_view UserInfo(std::string_view url, size_t* start) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  *start = scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", *start), url.size());
  const size_t at = url.rfind('@', end);
  if (at == std::string_view::npos || at < *start) return {};
  return url.substr(*start, at - *start);
}

}  // namespace

int64_t DefaultMaxReplyBytes(int max_tokens) {
  const int64_t derived = 64 * static_cast<int64_t>(std::max(max_tokens, 0));
  return std::clamp<int64_t>(derived, int64_t{1} << 20, kMaxReplyBytesInFlight);
}

int64_t MaxReplyBytes(int64_t configured, int max_tokens) {
  if (configured > 0) return std::min(configured, kMaxReplyBytesInFlight);
  return DefaultMaxReplyBytes(max_tokens);
}

int64_t PlausibleTokens(std::optional<int64_t> reported, int64_t estimate, int64_t slack,
                        bool* anomaly) {
  if (!reported) return estimate;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 8;
  const int64_t e = std::clamp<int64_t>(estimate, 0, kMax);
  const int64_t ceiling = 4 * e + std::clamp<int64_t>(slack, 0, kMax);
  if (*reported < 0 || *reported > ceiling || *reported < e / 16) {
    *anomaly = true;
    return estimate;
  }
  return *reported;
}

bool HasControlCharacters(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

Redactor::Redactor(std::vector<std::string> secrets) {
  for (std::string& s : secrets) {
    if (s.size() >= 4) secrets_.push_back(std::move(s));
  }
  // Longest first: a secret that contains another is redacted whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::operator()(std::string text) const {
  for (const std::string& s : secrets_) text = RedactOne(std::move(text), s);
  return text;
}

std::vector<std::string> RequestCredentials(std::string_view base_url, std::string_view api_key) {
  std::vector<std::string> out;
  if (!api_key.empty()) out.emplace_back(api_key);
  size_t start = 0;
  const std::string_view user_info = UserInfo(base_url, &start);
  if (!user_info.empty()) {
    out.emplace_back(user_info);
    out.push_back(Base64(user_info));
    const size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) out.emplace_back(user_info.substr(colon + 1));
  }
  return out;
}

std::string UrlWithoutCredentials(std::string_view url) {
  size_t start = 0;
  const std::string_view user_info = UserInfo(url, &start);
  if (user_info.empty()) return std::string(url);
  return std::string(url.substr(0, start)) + kRedacted +
         std::string(url.substr(start + user_info.size()));
}

}  // namespace teamsrl::llm
