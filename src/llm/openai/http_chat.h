// The OpenAI chat-completions wire format: request bodies and replies. Pure functions.
// Protocol: POST {base_url}/chat/completions with {model, messages, temperature, top_p,
// max_tokens, seed?}; reply {id, object, choices[{index, message{role, content},
// finish_reason}], usage{prompt_tokens, completion_tokens, total_tokens}}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "llm/types.h"

namespace teamsrl::llm {

// The JSON body for `request` to `model`. max_tokens <= 0 in the request falls back to
// `default_max_tokens`.
std::string BuildChatBody(const std::string& model, const Request& request, int default_max_tokens);

struct ChatReply {
  std::string content;  // choices[0].message.content; null -> ""
  std::string finish_reason;
  std::optional<int64_t> prompt_tokens;  // absent when the server sent no usage; -1 when
                                         // not an integer in int64 range
  std::optional<int64_t> completion_tokens;
};

// Parses a 2xx body. DataLoss (retryable: a truncated or garbled reply) when the body is
// not JSON, or has no choices[0].message.
Result<ChatReply> ParseChatReply(std::string_view body);

// The human-readable message of an error reply: error.message of OpenAI-style JSON, else
// the body, whole.
std::string ErrorTextFromBody(std::string_view body);
// `text` cut to `max_bytes` (then "...") with control characters replaced by spaces, for
// one line of a message; "(empty body)" when empty. Redact before: see reply_checks.h.
std::string ShortenErrorText(std::string text, size_t max_bytes = 300);
// ShortenErrorText(ErrorTextFromBody(body), max_bytes).
std::string ErrorMessageFromBody(std::string_view body, size_t max_bytes = 300);

}  // namespace teamsrl::llm
