// The OpenAI wire format: request bodies and replies. Pure functions.
// Chat: POST {base_url}/chat/completions with {model, messages, temperature?, top_p?,
// max_tokens (or max_completion_tokens), seed?}; reply {id, object, choices[{index,
// message{role, content}, finish_reason}], usage{prompt_tokens, completion_tokens,
// total_tokens}}.
// Completions (the legacy API that vLLM and llama.cpp's server keep for base models):
// POST {base_url}/completions with {model, prompt, ...the same fields}; reply {choices[{
// index, text, finish_reason}], usage}.
// Both bodies end with the endpoint's extra_body fields, verbatim; a field there replaces
// the generated one of the same name (as the OpenAI SDKs' extra_body does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "llm/types.h"

namespace teamsrl::llm {

// Top-level fields as {name, JSON text of the value}, in name order.
using BodyFields = std::vector<std::pair<std::string, std::string>>;
// extra_body's fields; InvalidArgument when the text is not a JSON object.
Result<BodyFields> ParseBodyFields(const JsonObjectText& object);

// What of an endpoint's config shapes its request bodies.
struct BodyShape {
  std::string model;
  int default_max_tokens = 2048;  // for a request whose max_tokens is <= 0
  MaxTokensField max_tokens_field = MaxTokensField::kMaxTokens;
  BodyFields extra;  // extra_body
};

// The chat body of `request`.
std::string BuildChatBody(const BodyShape& shape, const Request& request);
// The completions body of `request`, whose messages the caller rendered into `prompt`.
std::string BuildCompletionBody(const BodyShape& shape, const Request& request,
                                std::string_view prompt);

struct ChatReply {
  std::string content;  // choices[0].message.content (chat) or .text (completions); null: ""
  std::string finish_reason;
  std::optional<int64_t> prompt_tokens;  // absent when the server sent no usage; -1 when
                                         // not an integer in int64 range
  std::optional<int64_t> completion_tokens;
};

// Parses a 2xx body of `api`. DataLoss (retryable: a truncated or garbled reply) when the
// body is not JSON, or has no choices[0].message (chat) / choices[0].text (completions).
Result<ChatReply> ParseReply(std::string_view body, Api api);
inline Result<ChatReply> ParseChatReply(std::string_view body) {
  return ParseReply(body, Api::kChat);
}

// The human-readable message of an error reply: error.message of OpenAI-style JSON, else
// the body, whole.
std::string ErrorTextFromBody(std::string_view body);
// `text` cut to `max_bytes` (then "...") with control characters replaced by spaces, for
// one line of a message; "(empty body)" when empty. Redact before: see reply_checks.h.
std::string ShortenErrorText(std::string text, size_t max_bytes = 300);
// ShortenErrorText(ErrorTextFromBody(body), max_bytes).
std::string ErrorMessageFromBody(std::string_view body, size_t max_bytes = 300);

}  // namespace teamsrl::llm
