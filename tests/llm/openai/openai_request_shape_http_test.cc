// What goes on the wire for each request shape (max_tokens_field, unset sampling,
// extra_body, api: completions), read back from tests/servers/fake_openai_server.py over
// loopback, and the legacy /completions API through the same retries, cache and usage
// accounting as chat.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../../io/test_util.h"
#include "llm/caching_client.h"
#include "llm/openai/openai_backend.h"
#include "llm/response_cache.h"
#include "openai_fake_server.h"

namespace teamsrl::llm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kTemplate[] = "{system}\nUSER: {user}\nASSISTANT:";

class RequestShapeTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(const std::vector<std::string>& args) {
    server_.Stop();
    ASSERT_TRUE(server_.Start(args)) << server_.error();
  }

  EndpointConfig Endpoint(const std::string& fault = "") const {
    return testing::FakeEndpoint(server_, fault);
  }

  EndpointConfig Completions(const std::string& fault = "") const {
    EndpointConfig c = Endpoint(fault);
    c.api = Api::kCompletions;
    c.prompt_template_text = kTemplate;
    return c;
  }

  static Request Req(const std::string& text, bool system = true) {
    Request r;
    r.role = Role::kRewriter;
    if (system) r.messages.push_back({"system", "You rewrite instructions."});
    r.messages.push_back({"user", text});
    return r;
  }

  static std::unique_ptr<OpenAiBackend> Make(const EndpointConfig& c) {
    OpenAiOptions o;
    o.backoff_base_s = 0.01;
    o.backoff_max_s = 0.05;
    Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("fake", c, o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

  Completion RunOne(const EndpointConfig& c, Request r = Req("How to cook food?")) {
    std::unique_ptr<OpenAiBackend> b = Make(c);
    if (!b) return {};
    return RunAll(*b, {std::move(r)})[0];
  }

  // Every request the server received, in order: {path, body}.
  json Received() const { return json::parse(server_.RequestsJson()); }

  testing::FakeOpenAiServer server_;
};

TEST_F(RequestShapeTest, UnsetSamplingIsAbsentFromTheBody) {
  ASSERT_TRUE(RunOne(Endpoint()).status.ok());
  EndpointConfig set = Endpoint();
  set.temperature = 0.7;
  set.top_p = 0.9;
  Request r = Req("How to cook food?");
  r.sampling.temperature = set.temperature;
  r.sampling.top_p = set.top_p;
  ASSERT_TRUE(RunOne(set, r).status.ok());
  const json got = Received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["path"], "/v1/chat/completions");
  const json& bare = got[0]["body"];
  EXPECT_FALSE(bare.contains("temperature")) << bare;
  EXPECT_FALSE(bare.contains("top_p")) << bare;
  EXPECT_EQ(bare["max_tokens"], 2048);
  EXPECT_EQ(got[1]["body"]["temperature"], 0.7);
  EXPECT_EQ(got[1]["body"]["top_p"], 0.9);
}

TEST_F(RequestShapeTest, ExtraBodyArrivesVerbatim) {
  const json extra = {{"top_k", 20},
                      {"repetition_penalty", 1.1},
                      {"guided_choice", {"Equal", "Not Equal"}},
                      {"options", {{"num_ctx", 4096}, {"mirostat", {{"tau", 5.0}}}}},
                      {"max_tokens", 100}};
  EndpointConfig c = Endpoint();
  c.extra_body.text = extra.dump();
  ASSERT_TRUE(RunOne(c).status.ok());
  const json body = Received()[0]["body"];
  for (const auto& [key, value] : extra.items()) EXPECT_EQ(body[key], value) << key;
  EXPECT_EQ(body["model"], "fake-1");
  EXPECT_EQ(body["messages"][1]["content"], "How to cook food?");
}

// The server answers as OpenAI's o-series does: max_tokens and non-default sampling are a 400.
TEST_F(RequestShapeTest, ReasoningModelsNeedMaxCompletionTokens) {
  Start({"--reasoning"});
  const Completion refused = RunOne(Endpoint());
  EXPECT_EQ(refused.status.code(), StatusCode::kInvalidArgument) << refused.status.ToString();
  EXPECT_EQ(refused.http_status, 400);
  EXPECT_EQ(refused.attempts, 1);  // no retry can fix it
  EXPECT_THAT(refused.status.message(),
              HasSubstr("HTTP 400: Unsupported parameter: 'max_tokens' is not supported with "
                        "this model. Use 'max_completion_tokens' instead."));
  EndpointConfig o_series = Endpoint();
  o_series.max_tokens_field = MaxTokensField::kMaxCompletionTokens;
  const Completion ok = RunOne(o_series);
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  EXPECT_THAT(ok.content, HasSubstr("How to cook food?"));
  const json body = Received()[1]["body"];
  EXPECT_EQ(body["max_completion_tokens"], 2048);
  EXPECT_FALSE(body.contains("max_tokens")) << body;
  // A temperature the model does not take is refused the same way.
  Request hot = Req("How to cook food?");
  hot.sampling.temperature = 0.7;
  EXPECT_THAT(RunOne(o_series, hot).status.message(),
              HasSubstr("'temperature' does not support 0.7"));
}

TEST_F(RequestShapeTest, CompletionsSendTheRenderedPromptAndReadTheText) {
  const Completion c = RunOne(Completions());
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  const json got = Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["path"], "/v1/completions");
  const std::string prompt = "You rewrite instructions.\nUSER: How to cook food?\nASSISTANT:";
  EXPECT_EQ(got[0]["body"], json({{"model", "fake-1"}, {"prompt", prompt}, {"max_tokens", 2048}}));
  EXPECT_THAT(c.content, HasSubstr("How to cook food?\nASSISTANT:"));  // the server's echo
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.http_status, 200);
  // The server's usage, accounted as for chat (it counts len(prompt) / 4 + 1).
  EXPECT_EQ(c.usage.prompt_tokens, static_cast<int64_t>(prompt.size() / 4 + 1));
  EXPECT_GT(c.usage.completion_tokens, 0);
  EXPECT_FALSE(c.usage_estimated);
}

TEST_F(RequestShapeTest, CompletionsWithoutASystemMessageOpenWithUser) {
  ASSERT_TRUE(RunOne(Completions(), Req("Hi", /*system=*/false)).status.ok());
  EXPECT_EQ(Received()[0]["body"]["prompt"], "USER: Hi\nASSISTANT:");
}

TEST_F(RequestShapeTest, CompletionsRetryA500) {
  const Completion c = RunOne(Completions("first=1,status=500"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  const json got = Received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["body"], got[1]["body"]);
}

TEST_F(RequestShapeTest, CompletionsReplyChecksApply) {
  const Completion length = RunOne(Completions("length"));
  ASSERT_TRUE(length.status.ok()) << length.status.ToString();
  EXPECT_EQ(length.finish_reason, "length");
  EndpointConfig capped = Completions("huge=2");
  capped.max_reply_bytes = 1 << 20;
  const Completion huge = RunOne(capped);
  EXPECT_EQ(huge.status.code(), StatusCode::kResourceExhausted) << huge.status.ToString();
  EXPECT_EQ(huge.attempts, 1);
  EndpointConfig broken = Completions("nochoices");
  broken.max_retries = 1;
  const Completion none = RunOne(broken);
  EXPECT_EQ(none.status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(none.attempts, 2);
}

TEST_F(RequestShapeTest, CompletionsAreCachedLikeChat) {
  io::testing::TempDir dir;
  EndpointConfig e = Completions();
  auto run = [&] {
    auto cache = ResponseCache::Open(dir.path(), {});
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    CachingClient client(Make(e), std::move(*cache), CacheMode::kReadWrite, CacheIdentity(e, 1),
                         "fake");
    return RunAll(client, {Req("How to cook food?")})[0];
  };
  const Completion first = run();
  const Completion second = run();
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  ASSERT_TRUE(second.status.ok()) << second.status.ToString();
  EXPECT_FALSE(first.cached);
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.content, first.content);
  EXPECT_EQ(second.usage.prompt_tokens, first.usage.prompt_tokens);
  EXPECT_EQ(Received().size(), 1u);
}

TEST_F(RequestShapeTest, CompletionsNeedATemplate) {
  EndpointConfig c = Completions();
  c.prompt_template_text.clear();
  Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("fake", c, {});
  EXPECT_THAT(b.status().message(), HasSubstr("llm.endpoints.fake.prompt_template"));
}

}  // namespace
}  // namespace teamsrl::llm
