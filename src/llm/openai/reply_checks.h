// What the openai backend does not take on trust from a server (issue 9): the size of a
// reply, the usage numbers it reports, and text that may echo the credentials the request
// carried. Pure functions and a small value type; OpenAiBackend applies them to every
// reply before anything is stored, cached or printed (docs/architecture.md s.4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace teamsrl::llm {

// Bodies of all calls in flight in this process, summed, stay under this; MaxReplyBytes
// clamps `max_reply_bytes` to it, so one reply always fits.
inline constexpr int64_t kMaxReplyBytesInFlight = int64_t{256} << 20;

// The per-call body cap when `llm.endpoints.*.max_reply_bytes` is 0: 64 bytes per
// completion token (a token is ~4 bytes of text; JSON escapes and the envelope need the
// rest), at least 1 MiB, at most kMaxReplyBytesInFlight.
int64_t DefaultMaxReplyBytes(int max_tokens);
// `configured` when > 0, else DefaultMaxReplyBytes(max_tokens).
int64_t MaxReplyBytes(int64_t configured, int max_tokens);

// A server-reported token count, or the estimate when the report is implausible: negative,
// above 4 x estimate + `slack`, or below estimate / 16. A missing report is the estimate
// and no anomaly; an implausible one sets *anomaly.
int64_t PlausibleTokens(std::optional<int64_t> reported, int64_t estimate, int64_t slack,
                        bool* anomaly);

// Whether `s` holds an ASCII control character (< 0x20 or 0x7F): in a header value a CR or
// LF would start a header of the sender's choosing.
bool HasControlCharacters(std::string_view s);

// Replaces each secret in text with "[redacted]", also when the text splits a secret with
// control characters or spaces (a server wrapping the line, `\n` in JSON). Run it on the
// whole text, before truncating or replacing control characters: either would break the
// match and leave most of the secret behind.
class Redactor {
 public:
  Redactor() = default;
  // Secrets shorter than 4 bytes are ignored (they would match ordinary text).
  explicit Redactor(std::vector<std::string> secrets);
  std::string operator()(std::string text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

// The credentials a request to `base_url` with bearer `api_key` carries: the key, and a
// URL's user:password with its parts and its Basic-auth (base64) form.
std::vector<std::string> RequestCredentials(std::string_view base_url, std::string_view api_key);
// `url` with any user:password@ replaced by "[redacted]@", for messages.
std::string UrlWithoutCredentials(std::string_view url);

}  // namespace teamsrl::llm
