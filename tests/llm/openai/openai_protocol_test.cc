// The pure parts of the openai backend: wire format (http_chat.h) and retry policy
// (http_retry.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "llm/openai/http_chat.h"
#include "llm/openai/http_retry.h"

namespace teamsrl::llm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

BodyShape Shape(const std::string& model, int default_max_tokens) {
  BodyShape shape;
  shape.model = model;
  shape.default_max_tokens = default_max_tokens;
  return shape;
}

BodyShape WithExtra(BodyShape shape, const json& extra) {
  shape.extra = ParseBodyFields(JsonObjectText{extra.dump()}).value();
  return shape;
}

TEST(ChatBodyTest, CarriesModelMessagesAndSampling) {
  Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Hi \"there\"\n"}};
  r.sampling = {0.7, 0.9, 64, std::nullopt};
  const nlohmann::json j = nlohmann::json::parse(BuildChatBody(Shape("gpt-x", 2048), r));
  EXPECT_EQ(j["model"], "gpt-x");
  ASSERT_EQ(j["messages"].size(), 2u);
  EXPECT_EQ(j["messages"][0]["role"], "system");
  EXPECT_EQ(j["messages"][1]["content"], "Hi \"there\"\n");
  EXPECT_DOUBLE_EQ(j["temperature"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j["top_p"].get<double>(), 0.9);
  EXPECT_EQ(j["max_tokens"], 64);
  EXPECT_FALSE(j.contains("seed"));
  r.sampling.seed = 42;
  r.sampling.max_tokens = 0;
  const nlohmann::json k = nlohmann::json::parse(BuildChatBody(Shape("m", 2048), r));
  EXPECT_EQ(k["seed"], 42);
  EXPECT_EQ(k["max_tokens"], 2048);
}

TEST(ChatBodyTest, UnsetSamplingIsNotSent) {
  Request r;
  r.messages = {{"user", "Hi"}};
  r.sampling.max_tokens = 32;
  const json j = json::parse(BuildChatBody(Shape("m", 16), r));
  EXPECT_FALSE(j.contains("temperature")) << j;
  EXPECT_FALSE(j.contains("top_p")) << j;
  EXPECT_EQ(j["max_tokens"], 32);
  r.sampling.top_p = 0.5;  // each is sent on its own
  const json k = json::parse(BuildChatBody(Shape("m", 16), r));
  EXPECT_FALSE(k.contains("temperature")) << k;
  EXPECT_EQ(k["top_p"], 0.5);
}

TEST(ChatBodyTest, MaxCompletionTokensReplacesMaxTokens) {
  Request r;
  r.messages = {{"user", "Hi"}};
  r.sampling.max_tokens = 0;
  BodyShape shape = Shape("o3-mini", 4096);
  shape.max_tokens_field = MaxTokensField::kMaxCompletionTokens;
  const json j = json::parse(BuildChatBody(shape, r));
  EXPECT_EQ(j["max_completion_tokens"], 4096);
  EXPECT_FALSE(j.contains("max_tokens")) << j;
}

TEST(ChatBodyTest, ExtraBodyIsMergedVerbatimAndWins) {
  Request r;
  r.messages = {{"user", "Hi"}};
  r.sampling.temperature = 0.7;
  r.sampling.max_tokens = 64;
  const json extra = {{"top_k", 40},
                      {"repetition_penalty", 1.05},
                      {"options", {{"num_ctx", 8192}, {"stop", {"USER:", "\n\n"}}}},
                      {"guided_choice", {"Equal", "Not Equal"}},
                      {"chat_template_kwargs", {{"enable_thinking", false}}},
                      {"temperature", nullptr},
                      {"max_tokens", 8}};
  const json j = json::parse(BuildChatBody(WithExtra(Shape("m", 16), extra), r));
  for (const auto& [key, value] : extra.items()) EXPECT_EQ(j[key], value) << key;
  EXPECT_EQ(j["messages"][0]["content"], "Hi");  // the generated fields stay
  // Each field once: the generated temperature and max_tokens gave way.
  const std::string body = BuildChatBody(WithExtra(Shape("m", 16), extra), r);
  EXPECT_EQ(body.find("\"max_tokens\""), body.rfind("\"max_tokens\"")) << body;
  EXPECT_EQ(body.find("\"temperature\""), body.rfind("\"temperature\"")) << body;
}

TEST(ChatBodyTest, BodyFieldsMustBeAnObject) {
  EXPECT_TRUE(ParseBodyFields(JsonObjectText{}).value().empty());
  EXPECT_FALSE(ParseBodyFields(JsonObjectText{"[1]"}).ok());
  EXPECT_FALSE(ParseBodyFields(JsonObjectText{"{bad"}).ok());
}

TEST(CompletionBodyTest, CarriesThePromptAndNoMessages) {
  Request r;
  r.messages = {{"system", "S"}, {"user", "U"}};
  r.sampling.temperature = 0.0;
  r.sampling.max_tokens = 0;
  r.sampling.seed = 7;
  const json j = json::parse(BuildCompletionBody(
      WithExtra(Shape("wizardlm-13b", 512), {{"stop", {"USER:"}}}), r, "S\nUSER: U\nASSISTANT:"));
  const json want = {{"model", "wizardlm-13b"},
                     {"prompt", "S\nUSER: U\nASSISTANT:"},
                     {"temperature", 0.0},
                     {"max_tokens", 512},
                     {"seed", 7},
                     {"stop", {"USER:"}}};
  EXPECT_EQ(j, want);
}

TEST(CompletionReplyTest, TextIsTheContent) {
  Result<ChatReply> r =
      ParseReply(R"({"object":"text_completion","choices":[{"index":0,"text":" Paris.",)"
                 R"("finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":2}})",
                 Api::kCompletions);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->content, " Paris.");
  EXPECT_EQ(r->finish_reason, "length");
  EXPECT_EQ(r->prompt_tokens, 9);
  EXPECT_EQ(r->completion_tokens, 2);
}

TEST(CompletionReplyTest, AChatReplyIsNotACompletionAndBack) {
  const std::string chat = R"({"choices":[{"message":{"role":"assistant","content":"x"}}]})";
  const std::string text = R"({"choices":[{"text":"x"}]})";
  EXPECT_EQ(ParseReply(chat, Api::kCompletions).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseReply(text, Api::kChat).status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(ParseReply(R"({"choices":[{"text":3}]})", Api::kCompletions).status().message(),
              HasSubstr("choices[0].text is not a string"));
}

TEST(ChatBodyTest, InvalidUtf8IsReplacedNotThrown) {
  Request r;
  r.messages = {{"user", std::string("bad \xff byte")}};
  EXPECT_NO_THROW(nlohmann::json::parse(BuildChatBody(Shape("m", 16), r)));
}

// The hand-written body against nlohmann's serialiser (a second implementation): the
// same JSON value for texts with quotes, escapes, every control character and 2/3/4-byte
// UTF-8, and for awkward numbers.
TEST(ChatBodyTest, MatchesNlohmannOnValidText) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  const std::vector<std::string> texts = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      controls + "\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf",
      std::string(3000, 'x') + "\n"};
  const std::vector<double> numbers = {0.0, 1.0, 0.7, 0.1 + 0.2, 1e-7, 123456.789, 2.0 / 3.0};
  for (size_t i = 0; i < texts.size(); ++i) {
    Request r;
    r.messages = {{"system", texts[i]}, {"user", texts[(i + 1) % texts.size()]}};
    r.sampling.temperature = numbers[i % numbers.size()];
    r.sampling.top_p = numbers[(i + 3) % numbers.size()];
    r.sampling.max_tokens = static_cast<int>(i) * 100;
    if (i % 2 == 1) r.sampling.seed = static_cast<int64_t>(i) * 1000003;
    nlohmann::json want = {{"model", "m\"x"},
                           {"messages",
                            {{{"role", "system"}, {"content", texts[i]}},
                             {{"role", "user"}, {"content", texts[(i + 1) % texts.size()]}}}},
                           {"temperature", *r.sampling.temperature},
                           {"top_p", *r.sampling.top_p},
                           {"max_tokens", i == 0 ? 77 : static_cast<int>(i) * 100}};
    if (r.sampling.seed) want["seed"] = *r.sampling.seed;
    const std::string body = BuildChatBody(Shape("m\"x", 77), r);
    EXPECT_EQ(nlohmann::json::parse(body), want) << body;
    // Numbers read back exactly (shortest round-trip text).
    EXPECT_EQ(nlohmann::json::parse(body)["temperature"].get<double>(), *r.sampling.temperature);
  }
}

TEST(ChatBodyTest, EachInvalidUtf8ByteBecomesOneReplacementCharacter) {
  const std::string fffd = "\xef\xbf\xbd";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\xff", "a" + fffd},                            // never valid
      {"\xc0\xaf", fffd + fffd},                        // overlong '/'
      {"\xe0\x80\xaf", fffd + fffd + fffd},             // overlong, 3 bytes
      {"\xed\xa0\x80", fffd + fffd + fffd},             // UTF-16 surrogate
      {"\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\xe2\x82", fffd + fffd},                        // truncated at the end
      {"\xe2\x82z", fffd + fffd + "z"},                 // truncated in the middle
      {"\x80ok", fffd + "ok"},                          // lone continuation byte
  };
  for (const auto& [in, want] : cases) {
    Request r;
    r.messages = {{"user", in}};
    const nlohmann::json j = nlohmann::json::parse(BuildChatBody(Shape("m", 16), r));
    EXPECT_EQ(j["messages"][0]["content"].get<std::string>(), want);
  }
}

TEST(ChatReplyTest, ParsesContentFinishReasonAndUsage) {
  Result<ChatReply> r = ParseChatReply(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":)"
      R"("assistant","content":"Hello"},"finish_reason":"length"}],)"
      R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->content, "Hello");
  EXPECT_EQ(r->finish_reason, "length");
  EXPECT_EQ(r->prompt_tokens, 12);
  EXPECT_EQ(r->completion_tokens, 3);
}

TEST(ChatReplyTest, NullContentAndMissingUsage) {
  Result<ChatReply> r =
      ParseChatReply(R"({"choices":[{"message":{"role":"assistant","content":null}}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content, "");
  EXPECT_FALSE(r->prompt_tokens.has_value());
}

TEST(ChatReplyTest, UsageOutsideInt64ReadsAsNegative) {
  for (const char* usage : {"18446744073709551615", "1e30", "\"12\"", "-3"}) {
    Result<ChatReply> r = ParseChatReply(
        std::string(R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":)") +
        usage + R"(,"completion_tokens":9223372036854775807}})");
    ASSERT_TRUE(r.ok()) << usage;
    EXPECT_LT(*r->prompt_tokens, 0) << usage;
    EXPECT_EQ(*r->completion_tokens, INT64_MAX);
  }
}

TEST(ChatReplyTest, MalformedRepliesAreDataLoss) {
  for (const char* body :
       {"", "{\"choices\":[{\"mess", "[]", "{\"choices\":[]}", "{}", "{\"choices\":[1]}",
        "{\"choices\":[{\"message\":{\"content\":3}}]}", "<html>502</html>"}) {
    Result<ChatReply> r = ParseChatReply(body);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << body;
  }
}

TEST(ErrorMessageTest, PrefersOpenAiErrorMessage) {
  EXPECT_EQ(ErrorMessageFromBody(R"({"error":{"message":"Bad key","type":"x"}})"), "Bad key");
  EXPECT_EQ(ErrorMessageFromBody(R"({"error":"model not loaded"})"), "model not loaded");
  EXPECT_EQ(ErrorMessageFromBody("<h1>502\nBad</h1>"), "<h1>502 Bad</h1>");
  EXPECT_EQ(ErrorMessageFromBody(""), "(empty body)");
  EXPECT_THAT(ErrorMessageFromBody(std::string(1000, 'x'), 10), HasSubstr("xxxxxxxxxx..."));
}

TEST(ErrorMessageTest, FullTextKeepsWhatTheShortFormCuts) {
  const std::string long_message = std::string(400, 'x') + "\nend";
  EXPECT_EQ(ErrorTextFromBody(R"({"error":{"message":")" + std::string(400, 'x') + R"(\nend"}})"),
            long_message);
  EXPECT_EQ(ShortenErrorText(long_message, 300), std::string(300, 'x') + "...");
  EXPECT_EQ(ShortenErrorText("a\nb"), "a b");
}

TEST(RetryPolicyTest, RetryableStatuses) {
  for (int s : {408, 409, 429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableHttpStatus(s)) << s;
  for (int s : {400, 401, 403, 404, 422}) EXPECT_FALSE(IsRetryableHttpStatus(s)) << s;
  EXPECT_EQ(CodeForHttpStatus(401), StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForHttpStatus(403), StatusCode::kPermissionDenied);
  EXPECT_EQ(CodeForHttpStatus(404), StatusCode::kNotFound);
  EXPECT_EQ(CodeForHttpStatus(400), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForHttpStatus(429), StatusCode::kResourceExhausted);
  EXPECT_EQ(CodeForHttpStatus(503), StatusCode::kUnavailable);
}

TEST(RetryPolicyTest, ParsesRetryAfter) {
  EXPECT_EQ(ParseRetryAfter(" 2 \r\n", 0), 2.0);
  EXPECT_EQ(ParseRetryAfter("0.5", 0), 0.5);
  EXPECT_EQ(ParseRetryAfter("-3", 0), 0.0);
  EXPECT_FALSE(ParseRetryAfter("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("", 0).has_value());
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0), 10.0);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0), 0.0);
  EXPECT_EQ(ParseRetryAfterMs("250"), 0.25);
  EXPECT_FALSE(ParseRetryAfterMs("x").has_value());
}

TEST(RetryPolicyTest, FullJitterBackoffIsBoundedAndDeterministic) {
  double sum = 0.0;
  for (uint64_t h = 0; h < 1000; ++h) {
    const double d = BackoffSeconds(3, 0.5, 30.0, h);
    EXPECT_GE(d, 0.0);
    EXPECT_LT(d, 2.0);  // 0.5 * 2^2
    sum += d;
  }
  EXPECT_NEAR(sum / 1000.0, 1.0, 0.1);  // uniform on [0, 2)
  EXPECT_EQ(BackoffSeconds(2, 0.5, 30.0, 7), BackoffSeconds(2, 0.5, 30.0, 7));
  EXPECT_LT(BackoffSeconds(40, 0.5, 3.0, 99), 3.0);  // capped
  EXPECT_EQ(RetryDelaySeconds(4.0, 1, 0.5, 30.0, 120.0, 1), 4.0);
  EXPECT_EQ(RetryDelaySeconds(400.0, 1, 0.5, 30.0, 120.0, 1), 120.0);
  EXPECT_LT(RetryDelaySeconds(std::nullopt, 1, 0.5, 30.0, 120.0, 1), 0.5);
}

}  // namespace
}  // namespace teamsrl::llm
