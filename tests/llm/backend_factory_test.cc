#include "llm/backend_factory.h"

#include <gtest/gtest.h>

namespace teamsrl::llm {
namespace {

TEST(BackendFactoryTest, SimAnswers) {
  Result<std::unique_ptr<Client>> client = MakeBackend("local", EndpointConfig{}, 1);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Request r;
  r.role = Role::kRewriter;
  r.intent = {"add_constraints", {"How to cook food?"}};
  const std::vector<Completion> out = RunAll(**client, {r});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].status.ok());
  EXPECT_FALSE(out[0].content.empty());
}

TEST(BackendFactoryTest, OpenAiWithoutBaseUrlNamesTheEndpoint) {
  EndpointConfig cfg;
  cfg.backend = Backend::kOpenai;
  Result<std::unique_ptr<Client>> client = MakeBackend("gpt", cfg, 1);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(client.status().message().find("llm.endpoints.gpt"), std::string::npos);
}

}  // namespace
}  // namespace teamsrl::llm
