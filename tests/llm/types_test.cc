// Roles, their endpoint bindings and request keys (llm/types.h).
#include "llm/types.h"

#include <gtest/gtest.h>

#include <set>

namespace teamsrl::llm {
namespace {

LlmConfig ThreeEndpoints() {
  LlmConfig c;
  c.endpoints["local"].temperature = 0.2;
  c.endpoints["local"].max_tokens = 64;
  c.endpoints["judge"].top_p = 0.5;
  c.endpoints["gpt"].temperature = 0.9;
  c.rewriter = "local";
  c.reviewer = "judge";
  c.responder = "gpt";
  return c;
}

TEST(TypesTest, OnlyClientErrorsOtherThanTimeoutConflictAndRateLimitAreFinal) {
  for (int s : {400, 401, 403, 404, 422}) EXPECT_TRUE(NoRetryCanFix(s)) << s;
  for (int s : {0, 200, 408, 409, 429, 500, 502, 503}) EXPECT_FALSE(NoRetryCanFix(s)) << s;
}

TEST(RoleTest, NamesInRoleOrder) {
  EXPECT_EQ(RoleNames(), (std::vector<std::string>{"rewriter", "reviewer", "responder"}));
  EXPECT_EQ(RoleName(Role::kReviewer), "reviewer");
}

TEST(RoleTest, EachRoleResolvesToItsOwnEndpoint) {
  const LlmConfig c = ThreeEndpoints();
  EXPECT_EQ(EndpointFor(c, Role::kRewriter), "local");
  EXPECT_EQ(EndpointFor(c, Role::kReviewer), "judge");
  EXPECT_EQ(EndpointFor(c, Role::kResponder), "gpt");
  EXPECT_EQ(EndpointTable(c), (std::vector<std::string>{"gpt", "judge", "local"}));
  EXPECT_EQ(EndpointIndex(c, Role::kRewriter), 2);
  EXPECT_EQ(EndpointIndex(c, Role::kReviewer), 1);
  EXPECT_EQ(EndpointIndex(c, Role::kResponder), 0);
  EXPECT_EQ(SamplingFor(c, Role::kRewriter).temperature, 0.2);
  EXPECT_EQ(SamplingFor(c, Role::kRewriter).max_tokens, 64);
  EXPECT_EQ(SamplingFor(c, Role::kReviewer).top_p, 0.5);
  EXPECT_EQ(SamplingFor(c, Role::kResponder).temperature, 0.9);
  EXPECT_FALSE(SamplingFor(c, Role::kResponder).seed.has_value());
}

// Unset sampling is not sent to a server; the simulator, which reads neither value, gets
// the former defaults, so its requests (and cache keys) are what they were.
TEST(TypesTest, UnsetSamplingStaysUnsetButForTheSimulator) {
  LlmConfig c;
  EndpointConfig sim;
  sim.top_p = 0.5;
  EndpointConfig server;
  server.backend = Backend::kOpenai;
  c.endpoints = {{"sim", sim}, {"server", server}};
  c.rewriter = "sim";
  c.reviewer = "server";
  c.responder = "sim";
  EXPECT_EQ(SamplingFor(c, Role::kRewriter).temperature, 0.0);
  EXPECT_EQ(SamplingFor(c, Role::kRewriter).top_p, 0.5);
  EXPECT_FALSE(SamplingFor(c, Role::kReviewer).temperature.has_value());
  EXPECT_FALSE(SamplingFor(c, Role::kReviewer).top_p.has_value());
  c.endpoints.at("sim").top_p.reset();
  EXPECT_EQ(SamplingFor(c, Role::kRewriter).top_p, 1.0);
}

// Every field of the key and the role change the hash (the simulator's randomness and
// the cache key depend on it).
TEST(RequestKeyTest, HashSeparatesEveryFieldAndRole) {
  std::set<uint64_t> seen;
  const RequestKey base{1, 2, 3, 4};
  for (int r = 0; r < kNumRoles; ++r) {
    const Role role = static_cast<Role>(r);
    EXPECT_EQ(base.Hash(role), (RequestKey{1, 2, 3, 4}.Hash(role)));
    seen.insert(base.Hash(role));
    seen.insert(RequestKey{9, 2, 3, 4}.Hash(role));
    seen.insert(RequestKey{1, 9, 3, 4}.Hash(role));
    seen.insert(RequestKey{1, 2, 9, 4}.Hash(role));
    seen.insert(RequestKey{1, 2, 3, 9}.Hash(role));
  }
  EXPECT_EQ(seen.size(), 15u);
}

}  // namespace
}  // namespace teamsrl::llm
