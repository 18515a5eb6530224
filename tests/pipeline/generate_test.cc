#include "pipeline/generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "llm/sim/sim_backend.h"
#include "pipeline/action_plan.h"
#include "rl/categorical_policy.h"
#include "rl/gaussian_argmax_policy.h"

namespace teamsrl::pipeline {
namespace {

evol::PromptSet Prompts() {
  auto p = evol::PromptSet::Load(TEAMSRL_SOURCE_DIR "/experiments/prompts");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

std::vector<io::Seed> Seeds(int64_t begin, int64_t end) {
  const char* texts[] = {
      "How to cook rice?",       "Write a poem about the sea.",          "Explain photosynthesis.",
      "Sort a list of numbers.", "Give three tips for staying healthy.", "Plan a trip to Rome."};
  std::vector<io::Seed> seeds;
  for (int64_t i = begin; i < end; ++i)
    seeds.push_back({i, texts[i % 6], "in" + std::to_string(i), i + 1});
  return seeds;
}

TEST(GeneratePolicyTest, ActWithBiasReplacesThePolicysOwnBiasAndFollowsALargeBias) {
  rl::PolicyConfig pc;
  for (const std::string type : {"gaussian_argmax", "categorical", "uniform"}) {
    pc.type = *EnumFromName<rl::PolicyType>(type);
    std::unique_ptr<rl::Policy> policy = rl::MakePolicy(pc, 6, 6, 7);
    Eigen::VectorXd obs = Eigen::VectorXd::Zero(6);
    obs[2] = 1.0;
    const Eigen::VectorXd zero = Eigen::VectorXd::Zero(6);
    Eigen::VectorXd own = zero;
    if (type == "gaussian_argmax") own[0] = pc.breadth_bias;  // breadth, training only
    EXPECT_EQ(policy->ActBias(), own) << type;
    Rng a(11), b(11);
    for (int k = 0; k < 50; ++k) {
      EXPECT_EQ(policy->ActWithBias(obs, a, own), policy->Act(obs, b).action) << type;
    }
    if (type == "uniform") continue;
    Eigen::VectorXd bias = zero;
    bias[3] = 100.0;
    for (int k = 0; k < 20; ++k) EXPECT_EQ(policy->ActWithBias(obs, a, bias), 3) << type;
  }
}

// P(argmax_j (z_j + b_j) = k) for iid z_j ~ N(0, 1): the integral over z_k of
// phi(z - b_k) prod_{j != k} Phi(z - b_j), by the trapezoid rule (an independent check of
// the sampled choice).
double ArgmaxProbability(const Eigen::VectorXd& b, int k) {
  constexpr int kPoints = 8001;
  constexpr double kLo = -12.0, kHi = 12.0, kH = (kHi - kLo) / (kPoints - 1);
  double sum = 0.0;
  for (int i = 0; i < kPoints; ++i) {
    const double z = kLo + i * kH;
    double f = std::exp(-0.5 * (z - b[k]) * (z - b[k])) / std::sqrt(2.0 * M_PI);
    for (int j = 0; j < b.size(); ++j) {
      if (j != k) f *= 0.5 * std::erfc(-(z - b[j]) / std::sqrt(2.0));
    }
    sum += (i == 0 || i == kPoints - 1 ? 0.5 : 1.0) * f;
  }
  return sum * kH;
}

TEST(GeneratePolicyTest, GenerationAddsOnlyTheGenerateConfigsBiases) {
  // A fixed policy: zero means, unit std. The paper's schedule adds +0.7 to add_constraints
  // only; the training run's +0.3 on breadth (policy.breadth_bias) no longer comes along
  // unless generate.breadth_bias asks for it.
  rl::GaussianArgmaxPolicy policy(6, 6, {4}, /*breadth_bias=*/0.3, /*init_log_std=*/0.0);
  const Eigen::VectorXd obs = Eigen::VectorXd::Zero(6);
  for (double breadth : {0.0, 0.3}) {
    GenerateConfig gc;
    gc.breadth_bias = breadth;
    Result<GenerateSchedule> s = GenerateSchedule::Make(gc, evol::ActionSet());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_DOUBLE_EQ(s->bias[0], breadth);
    EXPECT_DOUBLE_EQ(s->bias[1], 0.7);
    constexpr int kDraws = 60000;
    std::vector<int> counts(6, 0);
    Rng rng(99);
    for (int i = 0; i < kDraws; ++i) ++counts[policy.ActWithBias(obs, rng, s->bias)];
    for (int k = 0; k < 6; ++k) {
      const double p = ArgmaxProbability(s->bias, k);
      const double sd = std::sqrt(p * (1 - p) / kDraws);
      EXPECT_NEAR(counts[k] / static_cast<double>(kDraws), p, 4.5 * sd)
          << "action " << k << " with generate.breadth_bias " << breadth;
    }
    // The integral itself against scipy.integrate.quad: breadth 0.1295 without the bias,
    // 0.1902 with it (add_constraints 0.3526 and 0.3311).
    EXPECT_NEAR(ArgmaxProbability(s->bias, 0), breadth == 0.0 ? 0.1295 : 0.1902, 1e-4);
    EXPECT_NEAR(ArgmaxProbability(s->bias, 1), breadth == 0.0 ? 0.3526 : 0.3311, 1e-4);
  }
}

TEST(GenerateScheduleTest, ResolvesThePapersSchedule) {
  GenerateConfig gc;  // defaults: the paper's
  Result<GenerateSchedule> s = GenerateSchedule::Make(gc, evol::ActionSet());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->forced_breadth, (std::vector<bool>{false, true, false, false, true, false}));
  EXPECT_DOUBLE_EQ(s->bias[1], 0.7);
  EXPECT_DOUBLE_EQ(s->bias.sum(), 0.7);
  ASSERT_TRUE(s->replace_breadth.has_value());
  EXPECT_EQ(*s->replace_breadth, 1);
  auto no_breadth = evol::ActionSet::FromNames({"deepening", "add_constraints"});
  ASSERT_TRUE(no_breadth.ok());
  EXPECT_FALSE(GenerateSchedule::Make(gc, *no_breadth).ok());
  gc.forced_breadth_steps = {};
  gc.replace_breadth_with = "";
  Result<GenerateSchedule> s2 = GenerateSchedule::Make(gc, *no_breadth);
  ASSERT_TRUE(s2.ok());
  EXPECT_DOUBLE_EQ(s2->bias[1], 0.7);
  EXPECT_FALSE(s2->replace_breadth.has_value());
}

class GeneratorTest : public ::testing::Test {
 protected:
  GeneratorTest() : prompts_(Prompts()), sim_(llm::EndpointConfig{}, 543) {
    policy_.policy = rl::MakePolicy(rl::PolicyConfig{}, 6, 6, 543);
    policy_.filter = rl::RunningMeanStd(6, 5.0);
    context_.prompts = &prompts_;
  }
  ChunkPart Run(const std::vector<io::Seed>& seeds) {
    Result<GenerateSchedule> schedule = GenerateSchedule::Make(config_.generate, policy_.actions);
    EXPECT_TRUE(schedule.ok());
    ActionPlanner planner(config_, policy_, *schedule);
    Generator g(config_, policy_, planner, context_, sim_);
    return g.Run(seeds).value();
  }
  Config config_;
  evol::PromptSet prompts_;
  llm::SimBackend sim_;
  GenerationPolicy policy_;
  EvolveContext context_;
};

TEST_F(GeneratorTest, SixChainedSamplesPerSeedWithTheSchedule) {
  const ChunkPart part = Run(Seeds(0, 4));
  ASSERT_EQ(part.samples.size(), 24u);
  EXPECT_EQ(part.calls.size(), 48u);  // rewriter + responder per sample
  std::map<std::string, int> mix;
  for (size_t k = 0; k < part.samples.size(); ++k) {
    const io::SampleLine& s = part.samples[k];
    EXPECT_EQ(s.seed_index, static_cast<int64_t>(k / 6));
    EXPECT_EQ(s.step, static_cast<int64_t>(k % 6));
    EXPECT_EQ(s.sample_id, static_cast<int64_t>(k));
    EXPECT_EQ(s.parent, s.step == 0 ? -1 : s.sample_id - 1);
    EXPECT_EQ(s.input, "in" + std::to_string(s.seed_index));
    EXPECT_EQ(s.queries, 2);
    EXPECT_FALSE(s.eliminated);
    EXPECT_FALSE(s.not_equal.has_value());
    EXPECT_FALSE(s.output.empty());
    if (s.step == 1 || s.step == 4) {
      EXPECT_EQ(s.action, "breadth");
    } else {
      EXPECT_NE(s.action, "breadth");  // replaced by add_constraints
    }
    ++mix[s.action];
  }
  EXPECT_GT(mix["add_constraints"], 0);
  for (size_t k = 0; k + 1 < part.calls.size(); ++k) {  // seed, step, role order
    const ChunkCall& a = part.calls[k];
    const ChunkCall& b = part.calls[k + 1];
    EXPECT_LE(std::make_tuple(a.seed_index, a.step, a.call.role),
              std::make_tuple(b.seed_index, b.step, b.call.role));
  }
}

TEST_F(GeneratorTest, OutputDoesNotDependOnHowSeedsAreSplit) {
  const ChunkPart whole = Run(Seeds(0, 6));
  ChunkPart split = Run(Seeds(0, 2));
  ChunkPart rest = Run(Seeds(2, 6));
  split.samples.insert(split.samples.end(), rest.samples.begin(), rest.samples.end());
  ASSERT_EQ(whole.samples.size(), split.samples.size());
  for (size_t k = 0; k < whole.samples.size(); ++k) {
    EXPECT_EQ(io::SampleLineJson(whole.samples[k], "step"),
              io::SampleLineJson(split.samples[k], "step"));
  }
}

TEST_F(GeneratorTest, FreshFilterOutputDoesNotDependOnHowSeedsAreSplit) {
  config_.generate.obs_filter = GenerateObsFilter::kFresh;
  const ChunkPart whole = Run(Seeds(0, 6));
  ChunkPart split = Run(Seeds(0, 2));
  ChunkPart rest = Run(Seeds(2, 6));  // a new planner walks seeds 0 and 1 first
  split.samples.insert(split.samples.end(), rest.samples.begin(), rest.samples.end());
  ASSERT_EQ(whole.samples.size(), split.samples.size());
  for (size_t k = 0; k < whole.samples.size(); ++k) {
    EXPECT_EQ(io::SampleLineJson(whole.samples[k], "step"),
              io::SampleLineJson(split.samples[k], "step"));
  }
}

TEST_F(GeneratorTest, EqualRuleAddsAReviewAndKeepsTheParentOnElimination) {
  context_.rules = evol::EliminationRules::All();
  context_.review = true;
  const ChunkPart part = Run(Seeds(0, 6));
  ASSERT_EQ(part.samples.size(), 36u);
  EXPECT_EQ(part.calls.size(), 108u);
  std::map<int64_t, const io::SampleLine*> by_id;
  int eliminated = 0;
  for (const io::SampleLine& s : part.samples) {
    by_id[s.sample_id] = &s;
    EXPECT_TRUE(s.not_equal.has_value());
    EXPECT_EQ(s.queries, 3);
    if (s.eliminated) {
      ++eliminated;
      EXPECT_NE(s.reason, "none");
    }
    // The parent is the last kept sample of the chain.
    int64_t expect = -1;
    for (int64_t id = s.sample_id - 1; id >= s.seed_index * 6; --id) {
      if (!by_id.at(id)->eliminated) {
        expect = id;
        break;
      }
    }
    EXPECT_EQ(s.parent, expect);
  }
  EXPECT_GT(eliminated, 0);
}

}  // namespace
}  // namespace teamsrl::pipeline
