#include "llm/openai/http_chat.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace teamsrl::llm {

using nlohmann::json;

namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// A JSON string literal; invalid UTF-8 becomes U+FFFD, one per bad byte.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// Shortest text that reads back as `v` (JSON has no NaN or infinity: null).
void AppendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// Writes the top-level fields of a body, leaving out those extra_body sets and appending
// extra_body's at the end.
class BodyWriter {
 public:
  BodyWriter(std::string& out, const BodyFields& extra) : out_(out), extra_(extra) { out_ += '{'; }
  // Starts field `name` (its key) and returns true, or returns false when extra_body sets
  // it and the caller must write nothing.
  bool Field(std::string_view name) {
    for (const auto& [key, value] : extra_) {
      if (key == name) return false;
    }
    Key(name);
    return true;
  }
  void Finish() {
    for (const auto& [key, value] : extra_) {
      Key(key);
      out_ += value;
    }
    out_ += '}';
  }

 private:
  void Key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, name);
    out_ += ':';
  }

  std::string& out_;
  const BodyFields& extra_;
  bool first_ = true;
};

size_t BodySizeHint(const BodyShape& shape, size_t text) {
  size_t size = shape.model.size() + 160 + text;
  for (const auto& [key, value] : shape.extra) size += key.size() + value.size() + 4;
  return size + size / 16;
}

// The fields after the messages or the prompt, common to both APIs.
void AppendGeneration(BodyWriter& w, std::string& out, const BodyShape& shape,
                      const SamplingParams& s) {
  if (s.temperature && w.Field("temperature")) AppendJsonNumber(out, *s.temperature);
  if (s.top_p && w.Field("top_p")) AppendJsonNumber(out, *s.top_p);
  if (w.Field(EnumName(shape.max_tokens_field))) {
    out += std::to_string(s.max_tokens > 0 ? s.max_tokens : shape.default_max_tokens);
  }
  if (s.seed && w.Field("seed")) out += std::to_string(*s.seed);
  w.Finish();
}

}  // namespace

Result<BodyFields> ParseBodyFields(const JsonObjectText& object) {
  BodyFields fields;
  if (object.empty()) return fields;
  const json j = json::parse(object.text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("extra_body: not a JSON object");
  for (const auto& [key, value] : j.items()) fields.emplace_back(key, value.dump());
  return fields;
}

// Written by hand rather than through a json DOM: this runs once per call on the hot
// path, and the DOM's allocations made it several times slower (llm_client_bench).
std::string BuildChatBody(const BodyShape& shape, const Request& request) {
  size_t text = 0;
  for (const Message& m : request.messages) text += m.role.size() + m.content.size() + 32;
  std::string out;
  out.reserve(BodySizeHint(shape, text));
  BodyWriter w(out, shape.extra);
  if (w.Field("model")) AppendJsonString(out, shape.model);
  if (w.Field("messages")) {
    out += '[';
    for (size_t i = 0; i < request.messages.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"role\":";
      AppendJsonString(out, request.messages[i].role);
      out += ",\"content\":";
      AppendJsonString(out, request.messages[i].content);
      out += '}';
    }
    out += ']';
  }
  AppendGeneration(w, out, shape, request.sampling);
  return out;
}

std::string BuildCompletionBody(const BodyShape& shape, const Request& request,
                                std::string_view prompt) {
  std::string out;
  out.reserve(BodySizeHint(shape, prompt.size() + 16));
  BodyWriter w(out, shape.extra);
  if (w.Field("model")) AppendJsonString(out, shape.model);
  if (w.Field("prompt")) AppendJsonString(out, prompt);
  AppendGeneration(w, out, shape, request.sampling);
  return out;
}

namespace {

// Absent or null: nullopt. Present but not an integer in int64 range (2^64-1, 1e30, "12"):
// -1, which the backend's plausibility check (reply_checks.h) rejects like any negative.
std::optional<int64_t> IntField(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    return v > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v);
  }
  if (!it->is_number_integer()) return -1;
  return it->get<int64_t>();
}

}  // namespace

Result<ChatReply> ParseReply(std::string_view body, Api api) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLoss("reply is not a JSON object (" + std::to_string(body.size()) + " bytes)");
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) {
    return DataLoss("reply has no choices");
  }
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return DataLoss("reply choices[0] is not an object");
  // Chat: choices[0].message.content; completions: choices[0].text.
  const json* holder = &choice;
  if (api == Api::kChat) {
    auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) {
      return DataLoss("reply has no choices[0].message");
    }
    holder = &*message;
  }
  const char* field = api == Api::kChat ? "content" : "text";
  auto content = holder->find(field);
  if (api == Api::kCompletions && content == holder->end()) {
    return DataLoss("reply has no choices[0].text");
  }
  ChatReply r;
  if (content != holder->end() && content->is_string()) {
    r.content = content->get<std::string>();
  } else if (content != holder->end() && !content->is_null()) {
    return DataLoss(api == Api::kChat ? "reply choices[0].message.content is not a string"
                                      : "reply choices[0].text is not a string");
  }
  auto finish = choice.find("finish_reason");
  if (finish != choice.end() && finish->is_string()) r.finish_reason = finish->get<std::string>();
  auto usage = j.find("usage");
  if (usage != j.end() && usage->is_object()) {
    r.prompt_tokens = IntField(*usage, "prompt_tokens");
    r.completion_tokens = IntField(*usage, "completion_tokens");
  }
  return r;
}

std::string ErrorTextFromBody(std::string_view body) {
  std::string msg;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) {
    auto err = j.find("error");
    if (err != j.end() && err->is_object()) {
      auto m = err->find("message");
      if (m != err->end() && m->is_string()) msg = m->get<std::string>();
    } else if (err != j.end() && err->is_string()) {
      msg = err->get<std::string>();  // vLLM / llama.cpp variants
    }
  }
  if (msg.empty()) msg = std::string(body);
  return msg;
}

std::string ShortenErrorText(std::string text, size_t max_bytes) {
  if (text.size() > max_bytes) text = text.substr(0, max_bytes) + "...";
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text.empty() ? "(empty body)" : text;
}

std::string ErrorMessageFromBody(std::string_view body, size_t max_bytes) {
  return ShortenErrorText(ErrorTextFromBody(body), max_bytes);
}

}  // namespace teamsrl::llm
