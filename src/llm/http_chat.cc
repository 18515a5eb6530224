#include "llm/http_chat.h"

#include <nlohmann/json.hpp>

namespace teamsrl::llm {

using nlohmann::json;

std::string BuildChatBody(const std::string& model, const Request& request,
                          int default_max_tokens) {
  json messages = json::array();
  for (const Message& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  const SamplingParams& s = request.sampling;
  json body = {{"model", model},
               {"messages", std::move(messages)},
               {"temperature", s.temperature},
               {"top_p", s.top_p},
               {"max_tokens", s.max_tokens > 0 ? s.max_tokens : default_max_tokens}};
  if (s.seed) body["seed"] = *s.seed;
  // Invalid UTF-8 in a prompt is replaced rather than thrown on.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

std::optional<int64_t> IntField(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

Result<ChatReply> ParseChatReply(std::string_view body) {
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
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) {
    return DataLoss("reply has no choices[0].message");
  }
  ChatReply r;
  auto content = message->find("content");
  if (content != message->end() && content->is_string()) {
    r.content = content->get<std::string>();
  } else if (content != message->end() && !content->is_null()) {
    return DataLoss("reply choices[0].message.content is not a string");
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

std::string ErrorMessageFromBody(std::string_view body, size_t max_bytes) {
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
  if (msg.size() > max_bytes) msg = msg.substr(0, max_bytes) + "...";
  for (char& c : msg) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return msg.empty() ? "(empty body)" : msg;
}

}  // namespace teamsrl::llm
