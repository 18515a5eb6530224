// The shipped endpoint examples (experiments/endpoints/) load through the real config
// loader and build a backend.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "llm/backend_factory.h"

namespace teamsrl {
namespace {

// The shipped endpoint examples load through the real config loader and build a backend.
TEST(EndpointExamplesTest, ShippedExamplesLoadAndBuild) {
  const std::map<std::string, std::string> urls = {
      {"openai", "https://api.openai.com/v1"},
      {"vllm", "http://127.0.0.1:8000/v1"},
      {"llamacpp", "http://127.0.0.1:8080/v1"},
      {"ollama", "http://127.0.0.1:11434/v1"},
      {"openai_reasoning", "https://api.openai.com/v1"},
      {"vllm_base_model", "http://127.0.0.1:8000/v1"}};
  for (const auto& [name, url] : urls) {
    const std::string path =
        std::string(TEAMSRL_SOURCE_DIR) + "/experiments/endpoints/" + name + ".yaml";
    Result<Config> cfg = LoadConfig(path, {});
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    ASSERT_EQ(cfg->llm.endpoints.count(name), 1u) << path;
    const llm::EndpointConfig& e = cfg->llm.endpoints.at(name);
    EXPECT_EQ(e.backend, llm::Backend::kOpenai);
    EXPECT_EQ(e.base_url, url);
    EXPECT_EQ(cfg->llm.rewriter, name);
    EXPECT_EQ(!e.api_key_env.empty(), name.starts_with("openai"));
    Result<std::unique_ptr<llm::Client>> b = llm::MakeBackend(name, e, 1);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
  }
}

Result<llm::EndpointConfig> Example(const std::string& name) {
  Result<Config> cfg =
      LoadConfig(std::string(TEAMSRL_SOURCE_DIR) + "/experiments/endpoints/" + name + ".yaml", {});
  if (!cfg.ok()) return cfg.status();
  return cfg->llm.endpoints.at(name);
}

// o-series: the limit as max_completion_tokens, no sampling parameters.
TEST(EndpointExamplesTest, ReasoningExampleSendsNoSampling) {
  Result<llm::EndpointConfig> e = Example("openai_reasoning");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->max_tokens_field, llm::MaxTokensField::kMaxCompletionTokens);
  EXPECT_FALSE(e->temperature.has_value());
  EXPECT_FALSE(e->top_p.has_value());
  EXPECT_EQ(e->extra_body.text, R"({"reasoning_effort":"low"})");
}

// A base model through /completions with the shipped Vicuna-style template.
TEST(EndpointExamplesTest, BaseModelExampleUsesTheShippedTemplate) {
  Result<llm::EndpointConfig> e = Example("vllm_base_model");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->api, llm::Api::kCompletions);
  EXPECT_EQ(e->prompt_template,
            std::string(TEAMSRL_SOURCE_DIR) + "/experiments/prompts/vicuna.txt");
  EXPECT_EQ(e->prompt_template_text, "{system}\nUSER: {user}\nASSISTANT:");
  EXPECT_EQ(e->extra_body.text, R"({"repetition_penalty":1.05,"stop":["USER:","</s>"]})");
}

}  // namespace
}  // namespace teamsrl
