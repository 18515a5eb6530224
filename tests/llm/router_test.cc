#include "llm/router.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "llm/sim/sim_backend.h"

namespace teamsrl::llm {
namespace {

using std::chrono::milliseconds;

// Records what it receives and completes everything on the next Poll.
class RecordingClient : public Client {
 public:
  explicit RecordingClient(std::vector<Request>* log) : log_(log) {}
  void Submit(Request request) override {
    Completion c;
    c.tag = request.tag;
    c.role = request.role;
    c.content = "from " + std::string(RoleName(request.role));
    log_->push_back(std::move(request));
    ready_.push_back(std::move(c));
  }
  std::vector<Completion> Poll(milliseconds) override {
    std::vector<Completion> out(ready_.begin(), ready_.end());
    ready_.clear();
    return out;
  }
  size_t InFlight() const override { return ready_.size(); }

 private:
  std::vector<Request>* log_;
  std::deque<Completion> ready_;
};

Request ForRole(Role role, uint64_t tag) {
  Request r;
  r.role = role;
  r.tag = tag;
  r.key.step = static_cast<int64_t>(tag);
  if (role == Role::kReviewer) {
    r.intent.texts = {"How to cook food?", "How to cook food? Use 3 spices only."};
  } else {
    r.intent = {"add_constraints", {"How to cook food?"}};
  }
  return r;
}

TEST(RouterTest, DispatchesByRoleAndRestoresTags) {
  std::vector<Request> local_log, paid_log;
  std::map<std::string, std::unique_ptr<Client>> backends;
  backends["local"] = std::make_unique<RecordingClient>(&local_log);
  backends["paid"] = std::make_unique<RecordingClient>(&paid_log);
  Router router(std::move(backends), {"local", "local", "paid"});
  EXPECT_EQ(router.EndpointFor(Role::kResponder), "paid");

  router.Submit(ForRole(Role::kRewriter, 7));
  router.Submit(ForRole(Role::kResponder, 7));  // the same caller tag on two backends
  router.Submit(ForRole(Role::kReviewer, 42));
  EXPECT_EQ(router.InFlight(), 3u);
  ASSERT_EQ(local_log.size(), 2u);
  ASSERT_EQ(paid_log.size(), 1u);
  EXPECT_EQ(local_log[0].role, Role::kRewriter);
  EXPECT_EQ(local_log[1].role, Role::kReviewer);
  EXPECT_EQ(paid_log[0].role, Role::kResponder);

  std::vector<Completion> done = router.Poll(milliseconds(0));
  ASSERT_EQ(done.size(), 3u);
  for (const Completion& c : done) {
    EXPECT_EQ(c.tag, c.role == Role::kReviewer ? 42u : 7u);
    EXPECT_EQ(c.content, "from " + std::string(RoleName(c.role)));
  }
  EXPECT_EQ(router.InFlight(), 0u);
}

TEST(RouterTest, MakeRouterBuildsSimEndpointsPerRole) {
  LlmConfig cfg;
  cfg.endpoints["fast"] = EndpointConfig{};
  cfg.endpoints["slow"] = EndpointConfig{};
  cfg.endpoints["slow"].latency_ms = 30;
  cfg.endpoints["unused"] = EndpointConfig{};
  cfg.endpoints["unused"].backend = Backend::kOpenai;  // not referenced by a role: not built
  cfg.rewriter = "fast";
  cfg.reviewer = "slow";
  cfg.responder = "fast";
  Result<std::unique_ptr<Router>> router = MakeRouter(cfg, 543);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  EXPECT_EQ(&(*router)->BackendFor(Role::kRewriter), &(*router)->BackendFor(Role::kResponder));
  EXPECT_NE(&(*router)->BackendFor(Role::kRewriter), &(*router)->BackendFor(Role::kReviewer));

  (*router)->Submit(ForRole(Role::kReviewer, 2));
  (*router)->Submit(ForRole(Role::kRewriter, 1));
  std::vector<Completion> first = (*router)->Poll(milliseconds(0));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].tag, 1u);
  // Same content as the backend on its own: routing changes nothing.
  SimBackend direct(EndpointConfig{}, 543);
  EXPECT_EQ(first[0].content, direct.Simulate(ForRole(Role::kRewriter, 1)).content);

  std::vector<Completion> second;
  while (second.empty()) second = (*router)->Poll(milliseconds(100));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].tag, 2u);
  EXPECT_GE(second[0].latency_ms, 30.0);
}

TEST(RouterTest, WaitsOnSeveralBusyBackendsWithoutSpinning) {
  LlmConfig cfg;
  cfg.endpoints["a"] = EndpointConfig{};
  cfg.endpoints["a"].latency_ms = 40;
  cfg.endpoints["b"] = EndpointConfig{};
  cfg.endpoints["b"].latency_ms = 60;
  cfg.rewriter = "a";
  cfg.reviewer = "b";
  cfg.responder = "a";
  Result<std::unique_ptr<Router>> router = MakeRouter(cfg, 1);
  ASSERT_TRUE(router.ok());
  std::vector<Request> batch;
  for (uint64_t i = 0; i < 8; ++i)
    batch.push_back(ForRole(i % 2 ? Role::kReviewer : Role::kRewriter, i));
  const std::clock_t cpu0 = std::clock();
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Completion> done = RunAll(**router, batch);
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  ASSERT_EQ(done.size(), 8u);
  for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i].role, batch[i].role);
  EXPECT_GE(wall, 60.0);
  EXPECT_LT(wall, 100.0);
  EXPECT_LT(cpu_ms, 10.0);
}

// A role bound to an undefined endpoint is the loader's error (config_test.cc); here it is
// a broken precondition.
TEST(RouterDeathTest, UndefinedRoleEndpointIsAPrecondition) {
  LlmConfig cfg;
  cfg.endpoints["sim"] = EndpointConfig{};
  cfg.reviewer = "judge";
  EXPECT_DEATH(MakeRouter(cfg, 1).ok(), "llm.roles.reviewer: endpoint judge not defined");
}

TEST(RouterTest, ErrorsNameTheEndpoint) {
  LlmConfig cfg;
  cfg.endpoints["sim"] = EndpointConfig{};
  cfg.reviewer = "judge";
  cfg.endpoints["judge"] = EndpointConfig{};
  cfg.endpoints["judge"].backend = Backend::kOpenai;
  Result<std::unique_ptr<Router>> not_built = MakeRouter(cfg, 1);
  ASSERT_FALSE(not_built.ok());
  EXPECT_EQ(not_built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_built.status().message().find("llm.endpoints.judge"), std::string::npos);
}

TEST(RouterTest, EmptyEndpointMapMeansDefaultSim) {
  Result<std::unique_ptr<Router>> router = MakeRouter(LlmConfig{}, 1);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  EXPECT_EQ((*router)->EndpointFor(Role::kReviewer), "sim");
  const std::vector<Completion> out = RunAll(**router, {ForRole(Role::kReviewer, 0)});
  EXPECT_TRUE(out[0].status.ok());
}

// The rank comes from the caller, not the launcher's environment: it names the cache
// segment this process writes.
TEST(RouterTest, PlacementRankNamesTheCacheSegment) {
  setenv("OMPI_COMM_WORLD_RANK", "5", 1);  // must be ignored
  char tmpl[] = "/tmp/teamsrl_router_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  LlmConfig cfg;
  cfg.cache_mode = CacheMode::kReadWrite;
  cfg.cache_path = dir;
  {
    Result<std::unique_ptr<Router>> router = MakeRouter(cfg, 1, Placement{3, 4});
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    ASSERT_EQ(RunAll(**router, {ForRole(Role::kReviewer, 0)}).size(), 1u);
  }
  unsetenv("OMPI_COMM_WORLD_RANK");
  std::vector<std::string> segments;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    segments.push_back(e.path().filename().string());
  }
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].rfind("rank-3-", 0), 0u) << segments[0];
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace teamsrl::llm
