#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace teamsrl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Each test gets a throwaway repository: ROOT/experiments/{prompts,seeds}, so relative
// paths in configs resolve the way they do in the real tree.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "teamsrl_config_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "experiments" / "prompts");
    fs::create_directories(root_ / "experiments" / "seeds");
    std::ofstream(root_ / "experiments" / "seeds" / "s.jsonl") << "{\"instruction\": \"x\"}\n";
    old_cwd_ = fs::current_path();
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(root_);
  }

  // Writes `text` to ROOT/experiments/x.yaml (or `rel`) and returns its path.
  std::string Write(const std::string& text, const std::string& rel = "experiments/x.yaml") {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  Result<Config> Load(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return LoadConfig(Write(text), overrides);
  }
  // The error message of a load that must fail with InvalidArgument.
  std::string Error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    Result<Config> r = Load(text, overrides);
    EXPECT_FALSE(r.ok()) << "loaded:\n" << text;
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }
  std::string File() const { return (root_ / "experiments" / "x.yaml").string(); }
  std::string At(int line) const { return File() + ":" + std::to_string(line) + ": "; }

  fs::path root_;
  fs::path old_cwd_;
};

TEST_F(ConfigTest, DefaultsFromStructInitializers) {
  Result<Config> r = Load("run:\n  name: x\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.run.name, "x");
  EXPECT_EQ(c.run.seed, 543u);
  EXPECT_EQ(c.run.out_dir, "runs/run");  // stays relative to the working directory
  ASSERT_EQ(c.llm.endpoints.size(), 1u);
  EXPECT_EQ(c.llm.endpoints.at("sim"), llm::EndpointConfig{});
  EXPECT_EQ(c.llm.rewriter, "sim");
  EXPECT_EQ(c.budget, BudgetConfig{});
  EXPECT_EQ(c.env.actions.size(), 6u);
  EXPECT_EQ(c.env.episode_length, 6);
  EXPECT_EQ(c.policy, rl::PolicyConfig{});
  EXPECT_EQ(c.algo, rl::AlgoConfig{});
  EXPECT_EQ(c.train, TrainConfig{});
  EXPECT_EQ(c.base_dir, root_.string());
  EXPECT_EQ(c.source_path, File());
  EXPECT_EQ(c.env.prompts_dir, (root_ / "experiments" / "prompts").string());
}

TEST_F(ConfigTest, NullSectionsAreEmpty) {
  Result<Config> r = Load("train:\nrun:\n  seed: 7\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train, TrainConfig{});
  EXPECT_EQ(r->run.seed, 7u);
}

TEST_F(ConfigTest, ReadsEveryType) {
  Result<Config> r = Load(
      "run: {seed: 18446744073709551615}\n"
      "budget: {max_queries: 10000000000, max_cost_usd: 2}\n"
      "env: {carry_over: false, initial_instruction: \"123\", actions: [deepening, breadth]}\n"
      "policy: {hidden: [32], breadth_bias: -1.5e-1}\n"
      "algo: {gamma: +0.9}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->run.seed, UINT64_MAX);
  EXPECT_EQ(r->budget.max_queries, 10000000000LL);
  EXPECT_EQ(r->budget.max_cost_usd, 2.0);
  EXPECT_FALSE(r->env.carry_over);
  EXPECT_EQ(r->env.initial_instruction, "123");
  EXPECT_EQ(r->env.actions, (std::vector<std::string>{"deepening", "breadth"}));
  EXPECT_EQ(r->policy.hidden, std::vector<int>{32});
  EXPECT_EQ(r->policy.breadth_bias, -0.15);
  EXPECT_EQ(r->algo.gamma, 0.9);
}

TEST_F(ConfigTest, EndpointsAndRoles) {
  Result<Config> r = Load(
      "llm:\n"
      "  endpoints:\n"
      "    local: {backend: openai, base_url: 'http://127.0.0.1:8000/v1', rpm: 60}\n"
      "    fake: {latency_ms: 5}\n"
      "  roles: {rewriter: local, reviewer: local, responder: fake}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->llm.endpoints.size(), 2u);  // no implicit `sim` once endpoints are given
  EXPECT_EQ(r->llm.endpoints.at("local").backend, llm::Backend::kOpenai);
  EXPECT_EQ(r->llm.endpoints.at("local").rpm, 60.0);
  EXPECT_EQ(r->llm.endpoints.at("local").model, "sim-1");  // defaults per endpoint
  EXPECT_EQ(r->llm.endpoints.at("fake").latency_ms, 5.0);
  EXPECT_EQ(r->llm.responder, "fake");
}

TEST_F(ConfigTest, PathsResolveAgainstRepoRootUnderExperiments) {
  fs::create_directories(root_ / "prompts2");
  std::string path = Write(
      "env: {prompts_dir: prompts2, seeds: {path: experiments/seeds/s.jsonl}}\n"
      "llm: {cache: {path: cache/llm.sqlite}}\n",
      "experiments/sub/deeper/x.yaml");
  Result<Config> r = LoadConfig(path, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_dir, root_.string());
  EXPECT_EQ(r->env.prompts_dir, (root_ / "prompts2").string());
  EXPECT_EQ(r->env.seeds.path, (root_ / "experiments" / "seeds" / "s.jsonl").string());
  EXPECT_EQ(r->llm.cache_path, (root_ / "cache" / "llm.sqlite").string());
}

TEST_F(ConfigTest, PathsResolveAgainstFileDirElsewhere) {
  fs::create_directories(root_ / "elsewhere" / "p");
  std::string path = Write("env: {prompts_dir: p}\nrun: {out_dir: out}\n", "elsewhere/c.yaml");
  Result<Config> r = LoadConfig(path, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_dir, (root_ / "elsewhere").string());
  EXPECT_EQ(r->env.prompts_dir, (root_ / "elsewhere" / "p").string());
  EXPECT_EQ(r->run.out_dir, "out");
}

TEST_F(ConfigTest, ParseConfigResolvesAgainstCurrentDirectory) {
  fs::current_path(root_);
  Result<Config> r = ParseConfig("run: {name: t}\n", "inline", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_dir, root_.string());
  EXPECT_EQ(r->env.prompts_dir, (root_ / "experiments" / "prompts").string());
  EXPECT_EQ(r->source_path, "inline");

  Result<Config> at = ParseConfigWithBaseDir("run: {name: t}\n", "inline", root_.string(), {});
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->env.prompts_dir, r->env.prompts_dir);
}

// --- errors: each names the file, the 1-based line and the full dotted key ---------------

TEST_F(ConfigTest, OutOfRangeIntegerHasExactMessage) {
  EXPECT_EQ(Error("run:\n  name: x\ntrain:\n  iterations: 3\n  actors: -3\n"),
            At(5) + "train.actors: expected an integer >= 1, got -3");
}

TEST_F(ConfigTest, CountsBelowOne) {
  EXPECT_THAT(Error("env:\n  episode_length: 0\n"),
              StartsWith(At(2) + "env.episode_length: expected an integer >= 1, got 0"));
  EXPECT_THAT(Error("train: {iterations: 0}\n"), StartsWith(At(1) + "train.iterations:"));
  EXPECT_THAT(Error("policy:\n  hidden:\n    - 64\n    - 0\n"),
              StartsWith(At(4) + "policy.hidden: expected a list of integers >= 1, got 0"));
  EXPECT_EQ(Error("policy:\n  hidden:\n    - 64\n    - [1]\n"),
            At(4) + "policy.hidden: expected a list of integers >= 1, got a list");
  EXPECT_THAT(Error("budget:\n  max_queries: -1\n"),
              StartsWith(At(2) + "budget.max_queries: expected an integer >= 0"));
}

TEST_F(ConfigTest, MalformedYamlReportsLineAndColumn) {
  std::string m = Error("run:\n  name: x\nenv:\n  actions: [breadth, deepening\ntrain: {}\n");
  EXPECT_THAT(m, StartsWith(File() + ":5:6: "));  // where yaml-cpp notices the missing ]
  EXPECT_THAT(m, HasSubstr("invalid YAML"));
  EXPECT_THAT(m, HasSubstr("end of sequence flow not found"));
}

TEST_F(ConfigTest, EmptyAndCommentOnlyFiles) {
  EXPECT_EQ(Error(""), File() + ": empty config");
  EXPECT_EQ(Error("# nothing here\n\n"), File() + ": empty config");
}

TEST_F(ConfigTest, BinaryFiles) {
  EXPECT_THAT(Error(std::string("run:\n  name: a\0b\n", 17)),
              StartsWith(At(2) + "not a text YAML file"));
  EXPECT_THAT(Error("run: {name: \xff\xfe}\n"), StartsWith(At(1) + "not a text YAML file"));
  EXPECT_THAT(Error("run: {name: \xc3}\n"), HasSubstr("invalid UTF-8"));
  // Valid UTF-8 is text.
  Result<Config> r = Load(
      "env: {initial_instruction: \"Wie kocht man Kn\xc3\xb6"
      "del?\"}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(ConfigTest, MissingFileAndDirectory) {
  Result<Config> r = LoadConfig((root_ / "nope.yaml").string(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("nope.yaml: cannot open"));
  Result<Config> d = LoadConfig(root_.string(), {});
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("cannot open"));
}

TEST_F(ConfigTest, TopLevelMustBeAMapping) {
  EXPECT_THAT(Error("- run\n- train\n"),
              AllOf(StartsWith(At(1)), HasSubstr("expected a mapping"), HasSubstr("a list")));
  EXPECT_THAT(Error("just a string\n"), HasSubstr("expected a mapping"));
  EXPECT_THAT(Error("run: {name: a}\n---\nrun: {name: b}\n"),
              AllOf(StartsWith(At(3)), HasSubstr("more than one YAML document")));
}

TEST_F(ConfigTest, UnknownKeysAtEveryLevel) {
  EXPECT_EQ(Error("run: {name: x}\ntrian:\n  actors: 2\n"),
            At(2) + "trian: unknown key; did you mean train?");
  EXPECT_EQ(Error("train:\n  iterations: 3\n  actorz: 2\n"),
            At(3) + "train.actorz: unknown key; did you mean actors?");
  EXPECT_EQ(Error("env:\n  seeds:\n    fields:\n      instructions: q\n"),
            At(4) + "env.seeds.fields.instructions: unknown key; did you mean instruction?");
  EXPECT_EQ(Error("llm:\n  endpoints:\n    a:\n      backend: sim\n      temprature: 1\n"),
            At(5) + "llm.endpoints.a.temprature: unknown key; did you mean temperature?");
  // A key in the wrong section points to the right one.
  EXPECT_EQ(Error("train:\n  gamma: 0.9\n"),
            At(2) + "train.gamma: unknown key; did you mean algo.gamma?");
  // Nothing close: no suggestion.
  EXPECT_EQ(Error("policy:\n  zzzzzzzz: 1\n"), At(2) + "policy.zzzzzzzz: unknown key");
}

TEST_F(ConfigTest, DuplicateKey) {
  EXPECT_EQ(Error("train:\n  actors: 2\n  actors: 3\n"), At(3) + "train.actors: duplicate key");
}

TEST_F(ConfigTest, WrongTypes) {
  EXPECT_EQ(Error("train:\n  actors: four\n"),
            At(2) + "train.actors: expected an integer >= 1, got four");
  EXPECT_THAT(Error("train:\n  actors: \"4\"\n"),
              StartsWith(At(2) + "train.actors: expected an integer >= 1, got \"4\""));
  EXPECT_EQ(Error("train:\n  actors: [1, 2]\n"),
            At(2) + "train.actors: expected an integer >= 1, got a list");
  EXPECT_EQ(Error("train:\n  actors: 2.5\n"),
            At(2) + "train.actors: expected an integer >= 1, got 2.5");
  EXPECT_THAT(Error("train:\n  actors: 99999999999\n"),
              AllOf(StartsWith(At(2) + "train.actors:"), HasSubstr("does not fit")));
  EXPECT_EQ(Error("env:\n  carry_over: yes\n"),
            At(2) + "env.carry_over: expected true or false, got yes");
  EXPECT_EQ(Error("run:\n  name: {a: 1}\n"),
            At(2) + "run.name: expected a non-empty string, got a mapping");
  EXPECT_EQ(Error("algo:\n  gamma: high\n"),
            At(2) + "algo.gamma: expected a number in [0, 1], got high");
  EXPECT_THAT(Error("algo:\n  max_kl: .inf\n"), StartsWith(At(2) + "algo.max_kl: expected"));
  EXPECT_EQ(Error("env:\n  actions: breadth\n"),
            At(2) + "env.actions: expected a list of actions, got breadth");
  EXPECT_EQ(Error("run:\n  seed: -1\n"),
            At(2) + "run.seed: expected a non-negative integer, got -1");
  EXPECT_THAT(Error("run:\n  seed: 18446744073709551616\n"), HasSubstr("does not fit"));
  EXPECT_EQ(Error("train: 5\n"), At(1) + "train: expected a mapping, got 5");
  EXPECT_EQ(Error("run:\n  name:\n"),
            At(2) + "run.name: expected a non-empty string, got an empty value");
}

TEST_F(ConfigTest, OutOfRangeNumbers) {
  EXPECT_EQ(Error("llm:\n  endpoints:\n    s:\n      top_p: 1.5\n"),
            At(4) + "llm.endpoints.s.top_p: expected a number in [0, 1], or unset, got 1.5");
  EXPECT_EQ(Error("algo:\n  lambda: -0.1\n"),
            At(2) + "algo.lambda: expected a number in [0, 1], got -0.1");
  EXPECT_EQ(Error("algo:\n  max_kl: 0\n"), At(2) + "algo.max_kl: expected a number > 0, got 0");
  EXPECT_EQ(Error("budget:\n  max_cost_usd: -5\n"),
            At(2) + "budget.max_cost_usd: expected a number >= 0, got -5");
}

TEST_F(ConfigTest, InvalidEnumListsAllowedValues) {
  EXPECT_EQ(Error("algo:\n  type: sac\n"),
            At(2) + "algo.type: expected one of trpo, ppo, reinforce, got \"sac\"");
  EXPECT_EQ(Error("llm:\n  cache:\n    mode: replya\n"),
            At(3) +
                "llm.cache.mode: expected one of off, read_write, replay, got \"replya\"; "
                "did you mean replay?");
  EXPECT_THAT(Error("env:\n  seeds: {format: csv}\n"),
              StartsWith(At(2) + "env.seeds.format: expected one of auto, jsonl, json, text"));
}

// Every enum-like key is parsed once, here, into the enum its layer owns; the names come
// from the layer's one table (core/enum_names.h), so a value read back prints as written.
TEST_F(ConfigTest, EnumKeysParseIntoTheirLayersEnums) {
  std::ofstream(root_ / "c.db") << "x";
  Result<Config> r = Load(
      "llm:\n  endpoints: {a: {backend: openai, base_url: 'http://h/v1'}, b: {}}\n"
      "  roles: {rewriter: a, reviewer: b, responder: b}\n"
      "  cache: {mode: read_write, path: c.db}\n"
      "env:\n  seeds: {format: text, on_bad_record: skip}\n  reward: {match: normalized}\n"
      "policy: {type: categorical}\nalgo: {type: reinforce}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->llm.endpoints.at("a").backend, llm::Backend::kOpenai);
  EXPECT_EQ(r->llm.endpoints.at("b").backend, llm::Backend::kSim);
  EXPECT_EQ(r->llm.cache_mode, llm::CacheMode::kReadWrite);
  EXPECT_EQ(r->env.seeds.format, io::SeedFormat::kText);
  EXPECT_EQ(r->env.seeds.on_bad_record, io::OnBadRecord::kSkip);
  EXPECT_EQ(r->env.reward.match, evol::MatchMode::kNormalized);
  EXPECT_EQ(r->policy.type, rl::PolicyType::kCategorical);
  EXPECT_EQ(r->algo.type, rl::AlgoType::kReinforce);
  for (const char* line :
       {"backend: openai", "mode: read_write", "format: text", "on_bad_record: skip",
        "match: normalized", "type: categorical", "type: reinforce"}) {
    EXPECT_THAT(r->resolved_yaml, HasSubstr(line));
  }
  // `off` would read as false to a YAML 1.1 reader: quoted like any such string.
  EXPECT_THAT(Load("run: {}\n")->resolved_yaml, HasSubstr("mode: \"off\""));
}

TEST_F(ConfigTest, ReplaceBreadthWithIsAnActionOrEmpty) {
  EXPECT_EQ(Error("generate:\n  replace_breadth_with: deepen\n"),
            At(2) +
                "generate.replace_breadth_with: expected one of breadth, add_constraints, "
                "deepening, concretizing, increase_reasoning, complicate_input, got \"deepen\"; "
                "did you mean deepening?");
  Result<Config> keep = Load("generate:\n  replace_breadth_with: ''\n");
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ(keep->generate.replace_breadth_with, "");
  EXPECT_EQ(Load("generate:\n  replace_breadth_with: deepening\n")->generate.replace_breadth_with,
            "deepening");
}

TEST_F(ConfigTest, Actions) {
  EXPECT_EQ(Error("env:\n  actions:\n    - breadth\n    - deepening\n    - breadth\n"),
            At(5) + "env.actions: duplicate action \"breadth\"");
  EXPECT_EQ(Error("env:\n  actions: [breadth,\n    deepen]\n"),
            At(3) +
                "env.actions: unknown action \"deepen\"; allowed: breadth, add_constraints, "
                "deepening, concretizing, increase_reasoning, complicate_input; did you mean "
                "deepening?");
  EXPECT_EQ(Error("env:\n  actions: []\n"), At(2) + "env.actions: expected at least one action");
}

TEST_F(ConfigTest, MissingFilesAndDirectories) {
  EXPECT_THAT(Error("env:\n  seeds:\n    path: seeds/missing.jsonl\n"),
              StartsWith(At(3) + "env.seeds.path: file not found: " +
                         (root_ / "seeds" / "missing.jsonl").string()));
  EXPECT_THAT(Error("env:\n  seeds:\n    path: experiments/seeds\n"),
              StartsWith(At(3) + "env.seeds.path: file not found"));
  EXPECT_THAT(Error("run: {}\nenv:\n  prompts_dir: no/such/dir\n"),
              StartsWith(At(3) + "env.prompts_dir: directory not found: " +
                         (root_ / "no" / "such" / "dir").string()));
  // The default prompts_dir, missing beside the file, falls back to the shipped templates:
  // this test binary is SOURCE/build*/bin/core_test, so they are found as the build tree's
  // (install_paths_test covers the installed layout).
  fs::remove_all(root_ / "experiments" / "prompts");
  Result<Config> fallback = Load("run: {}\n");
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_TRUE(fs::equivalent(fallback->env.prompts_dir,
                             fs::path(TEAMSRL_SOURCE_DIR) / "experiments" / "prompts"))
      << fallback->env.prompts_dir;
  // Not silently: the note (logged by root) names the key, the missing directory and the
  // one used, which the resolved config shows too.
  ASSERT_EQ(fallback->notes.size(), 1u);
  EXPECT_EQ(fallback->notes[0],
            "env.prompts_dir: experiments/prompts is not a directory (" +
                (root_ / "experiments" / "prompts").string() +
                "); using the prompt templates shipped with teamsrl: " + fallback->env.prompts_dir);
  EXPECT_THAT(fallback->resolved_yaml, HasSubstr("prompts_dir: " + fallback->env.prompts_dir));
  // Written explicitly, as the shipped configs do, it is the same.
  Result<Config> written = Load("env: {prompts_dir: experiments/prompts}\n");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->env.prompts_dir, fallback->env.prompts_dir);
  EXPECT_EQ(written->notes, fallback->notes);
}

TEST_F(ConfigTest, NoNoteWhenTheDefaultPromptsDirIsThere) {
  Result<Config> r = Load("run: {}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->env.prompts_dir, (root_ / "experiments" / "prompts").string());
  EXPECT_TRUE(r->notes.empty());
}

// A path in the file is the file's (its base); a path given with --set is the command
// line's, relative to the working directory.
TEST_F(ConfigTest, SetPathsResolveAgainstTheWorkingDirectory) {
  fs::create_directories(root_ / "cwd" / "p");
  fs::create_directories(root_ / "cwd" / "seeds");
  std::ofstream(root_ / "cwd" / "seeds" / "s.jsonl") << "{\"instruction\": \"x\"}\n";
  fs::current_path(root_ / "cwd");
  const std::string path = Write("env: {seeds: {path: experiments/seeds/s.jsonl}}\n");
  Result<Config> file_only = LoadConfig(path, {"llm.cache.mode=read_write", "llm.cache.path=c"});
  ASSERT_TRUE(file_only.ok()) << file_only.status().ToString();
  EXPECT_EQ(file_only->env.seeds.path, (root_ / "experiments" / "seeds" / "s.jsonl").string());
  EXPECT_EQ(file_only->llm.cache_path, (root_ / "cwd" / "c").string());

  Result<Config> r = LoadConfig(path, {"env.prompts_dir=p", "env.seeds.path=seeds/s.jsonl"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->env.prompts_dir, (root_ / "cwd" / "p").string());
  EXPECT_EQ(r->env.seeds.path, (root_ / "cwd" / "seeds" / "s.jsonl").string());
  // Mappings given with --set are the command line's as well.
  Result<Config> merged = LoadConfig(path, {"env={prompts_dir: p, seeds: {path: seeds/s.jsonl}}"});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->env.prompts_dir, (root_ / "cwd" / "p").string());
  EXPECT_EQ(merged->env.seeds.path, (root_ / "cwd" / "seeds" / "s.jsonl").string());
  // A missing one names the --set and the directory it was looked for in.
  Result<Config> missing = LoadConfig(path, {"env.seeds.path=experiments/seeds/s.jsonl"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "--set env.seeds.path: file not found: " +
                (root_ / "cwd" / "experiments" / "seeds" / "s.jsonl").string());
}

TEST_F(ConfigTest, RolesMustNameDefinedEndpoints) {
  EXPECT_EQ(Error("llm:\n  endpoints:\n    a: {}\n  roles:\n    rewriter: a\n    reviewer: b\n"
                  "    responder: a\n"),
            At(6) +
                "llm.roles.reviewer: endpoint \"b\" is not defined in llm.endpoints "
                "(defined: a)");
  // Default role names point at `sim`, which is gone once endpoints are given.
  EXPECT_EQ(Error("llm:\n  endpoints:\n    a: {}\n"),
            File() +
                ": llm.roles.rewriter: endpoint \"sim\" is not defined in llm.endpoints "
                "(defined: a)");
}

TEST_F(ConfigTest, EndpointChecks) {
  EXPECT_THAT(Error("llm:\n  endpoints:\n    sim: {backend: openia}\n"),
              StartsWith(At(3) + "llm.endpoints.sim.backend: expected one of sim, openai"));
  EXPECT_THAT(Error("llm:\n  endpoints:\n    sim:\n      backend: openai\n"),
              StartsWith(At(4) + "llm.endpoints.sim.base_url: backend openai needs a base_url"));
  EXPECT_THAT(Error("llm:\n  endpoints:\n    \"a.b\": {}\n"),
              StartsWith(At(3) + "llm.endpoints.a.b: endpoint names"));
  EXPECT_EQ(Error("llm:\n  endpoints:\n    sim: 3\n"),
            At(3) + "llm.endpoints.sim: expected a mapping, got 3");
}

// Issue 9 item 4: credentials in a URL, or a key where a variable name belongs, would be
// stored in the run file (config_yaml, command) and printed; refused at load, and the
// message never repeats the secret.
TEST_F(ConfigTest, CredentialsInTheUrlOrAKeyForAVariableNameAreRefused) {
  const std::string secret = "s3cr3t-Pa55word";
  for (const std::string& url :
       std::vector<std::string>{"http://alice:" + secret + "@127.0.0.1:8000/v1",
                                "https://" + secret + "@api.example.com/v1"}) {
    const std::string m = Error(
        "llm:\n  endpoints:\n    sim:\n      backend: openai\n"
        "      base_url: '" +
        url + "'\n");
    EXPECT_THAT(m, StartsWith(At(5) + "llm.endpoints.sim.base_url: credentials in the URL"));
    EXPECT_THAT(m, Not(HasSubstr(secret)));
    const std::string o =
        Error("run: {}\n", {"llm.endpoints.sim={backend: openai, base_url: '" + url + "'}"});
    EXPECT_THAT(o, StartsWith("--set llm.endpoints.sim.base_url: credentials in the URL"));
    EXPECT_THAT(o, Not(HasSubstr(secret)));
  }
  // An '@' after the authority (a path or query) is not user info.
  EXPECT_TRUE(Load("llm:\n  endpoints:\n    sim: {backend: openai, base_url: "
                   "'http://h:8000/v1?user=a@b'}\n")
                  .ok());

  for (const std::string& key : std::vector<std::string>{
           "sk-proj-" + secret, "0123456789abcdef0123456789abcdef", "AbCdEf0123456789xYz9"}) {
    const std::string m = Error("llm:\n  endpoints:\n    sim:\n      api_key_env: '" + key + "'\n");
    EXPECT_THAT(m, StartsWith(At(4) + "llm.endpoints.sim.api_key_env: expected the name of an "
                                      "environment variable"))
        << key;
    EXPECT_THAT(m, Not(HasSubstr(key)));
  }
  for (const std::string name : {"OPENAI_API_KEY", "together_key", "KEY2", "MY_VLLM_TOKEN_2024"}) {
    Result<Config> r = Load("llm:\n  endpoints:\n    sim: {api_key_env: " + name + "}\n");
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  }
}

TEST_F(ConfigTest, CacheReplayNeedsPath) {
  EXPECT_EQ(Error("llm:\n  cache:\n    mode: replay\n"),
            At(3) + "llm.cache.path: cache mode replay needs a cache path");
  // Checked once, at load (the router takes it as a precondition).
  EXPECT_EQ(Error("llm:\n  cache:\n    mode: read_write\n"),
            At(3) + "llm.cache.path: cache mode read_write needs a cache path");
  EXPECT_EQ(Error("run: {}\n", {"llm.cache.mode=read_write"}),
            "--set llm.cache.path: cache mode read_write needs a cache path");
  EXPECT_THAT(Error("llm:\n  cache:\n    mode: replay\n    path: c.db\n"),
              StartsWith(At(4) + "llm.cache.path: cache mode replay: file not found"));
  std::ofstream(root_ / "c.db") << "x";
  Result<Config> r = Load("llm:\n  cache:\n    mode: replay\n    path: c.db\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->llm.cache_mode, llm::CacheMode::kReplay);
}

// --- --set overrides -----------------------------------------------------------------

TEST_F(ConfigTest, OverridesApplyBeforeValidation) {
  Result<Config> r = Load("run:\n  name: x\ntrain:\n  actors: -3\n",
                          {"train.actors=4", "policy.hidden=[32, 16]", "run.seed=9",
                           "env.initial_instruction=\"Write a poem: about rain\""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.actors, 4);
  EXPECT_EQ(r->policy.hidden, (std::vector<int>{32, 16}));
  EXPECT_EQ(r->run.seed, 9u);
  EXPECT_EQ(r->env.initial_instruction, "Write a poem: about rain");
  // Later overrides win.
  Result<Config> twice = Load("run: {name: x}\n", {"train.actors=2", "train.actors=3"});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->train.actors, 3);
}

TEST_F(ConfigTest, OverridesCreateMissingSectionsAndEndpoints) {
  Result<Config> r =
      Load("run: {name: x}\n", {"train.actors=4", "llm.endpoints.sim.latency_ms=5",
                                "llm.endpoints.fast.backend=sim", "llm.roles.reviewer=fast"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.actors, 4);
  ASSERT_EQ(r->llm.endpoints.size(), 2u);
  EXPECT_EQ(r->llm.endpoints.at("sim").latency_ms, 5.0);
  EXPECT_EQ(r->llm.reviewer, "fast");

  Result<Config> added = Load("llm:\n  endpoints:\n    sim: {max_tokens: 100}\n",
                              {"llm.endpoints.big.max_tokens=4096"});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->llm.endpoints.at("sim").max_tokens, 100);
  EXPECT_EQ(added->llm.endpoints.at("big").max_tokens, 4096);
}

TEST_F(ConfigTest, OverrideMappingIsMerged) {
  Result<Config> r = Load("algo:\n  gamma: 0.9\n  lambda: 0.5\n", {"algo={lambda: 0.8}"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->algo.gamma, 0.9);
  EXPECT_EQ(r->algo.lambda, 0.8);
}

TEST_F(ConfigTest, OverrideErrorsSaySet) {
  EXPECT_EQ(Error("run: {name: x}\n", {"train.actorz=3"}),
            "--set train.actorz: unknown key; did you mean actors?");
  EXPECT_EQ(Error("run: {name: x}\n", {"nope.x=3"}), "--set nope.x: unknown key");
  EXPECT_EQ(Error("run: {name: x}\n", {"train.actors.x=3"}), "--set train.actors.x: unknown key");
  EXPECT_EQ(Error("run: {name: x}\n", {"train.actors=-3"}),
            "--set train.actors: expected an integer >= 1, got -3");
  EXPECT_EQ(Error("train:\n  actors: 2\n", {"train.actors=[1"}).rfind("--set train.actors:", 0),
            0u);
  EXPECT_EQ(Error("run: {name: x}\n", {"algo={gama: 1}"}),
            "--set algo.gama: unknown key; did you mean gamma?");
  EXPECT_EQ(Error("run: {name: x}\n", {"train.actors"}),
            "--set train.actors: expected dotted.key=value");
  EXPECT_EQ(Error("llm: {roles: {rewriter: new, reviewer: new, responder: new}}\n",
                  {"llm.endpoints.new.backend=openai"}),
            "--set llm.endpoints.new.base_url: backend openai needs a base_url (e.g. "
            "http://127.0.0.1:8000/v1)");
  // Defaults the override did not touch are reported against the file.
  EXPECT_EQ(Error("run: {name: x}\n", {"llm.endpoints.new.backend=sim"}),
            File() +
                ": llm.roles.rewriter: endpoint \"sim\" is not defined in llm.endpoints "
                "(defined: new)");
  // File errors elsewhere keep their line.
  EXPECT_EQ(Error("train:\n  actors: 0\n", {"train.iterations=5"}),
            At(2) + "train.actors: expected an integer >= 1, got 0");
  // An override into a key that is not a mapping in the file.
  EXPECT_THAT(Error("train: 5\n", {"train.actors=1"}),
              AllOf(StartsWith(At(1) + "train:"), HasSubstr("not a mapping")));
}

// --- request shape: sampling, max_tokens_field, extra_body, api, prompt_template ------

// Overrides binding every role to `endpoint`, plus `more`.
std::vector<std::string> With(const std::string& endpoint, std::vector<std::string> more = {}) {
  for (const char* role : {"rewriter", "reviewer", "responder"}) {
    more.push_back(std::string("llm.roles.") + role + "=" + endpoint);
  }
  return more;
}

TEST_F(ConfigTest, SamplingIsUnsetUnlessWritten) {
  Result<Config> r = Load(
      "llm:\n  endpoints:\n    a: {}\n    b: {temperature: 0, top_p: 1}\n"
      "    c: {temperature: null, top_p: ~}\n",
      With("a"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& e = r->llm.endpoints;
  EXPECT_FALSE(e.at("a").temperature.has_value());
  EXPECT_FALSE(e.at("a").top_p.has_value());
  EXPECT_EQ(e.at("b").temperature, 0.0);
  EXPECT_EQ(e.at("b").top_p, 1.0);
  EXPECT_FALSE(e.at("c").temperature.has_value());
  EXPECT_FALSE(e.at("c").top_p.has_value());
  EXPECT_EQ(Error("llm:\n  endpoints:\n    a:\n      temperature: hot\n", With("a")),
            At(4) + "llm.endpoints.a.temperature: expected a number >= 0, or unset, got hot");
}

TEST_F(ConfigTest, MaxTokensFieldIsOneOfTwoNames) {
  Result<Config> r =
      Load("llm:\n  endpoints:\n    o: {max_tokens_field: max_completion_tokens}\n", With("o"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->llm.endpoints.at("o").max_tokens_field, llm::MaxTokensField::kMaxCompletionTokens);
  EXPECT_EQ(Load("run: {}\n")->llm.endpoints.at("sim").max_tokens_field,
            llm::MaxTokensField::kMaxTokens);
  EXPECT_EQ(
      Error("llm:\n  endpoints:\n    o:\n      max_tokens_field: max_completion\n", With("o")),
      At(4) +
          "llm.endpoints.o.max_tokens_field: expected one of max_tokens, "
          "max_completion_tokens, got \"max_completion\"; did you mean "
          "max_completion_tokens?");
}

TEST_F(ConfigTest, ExtraBodyIsAMappingKeptAsJson) {
  Result<Config> r = Load(
      "llm:\n  endpoints:\n    v:\n      extra_body:\n"
      "        top_k: 20\n        repetition_penalty: 1.05\n        skip: true\n"
      "        stop: [\"USER:\", '12']\n        seed: null\n        name: vicuna\n"
      "        options: {num_ctx: 8192, nested: {deep: [1, {x: \"2\"}]}}\n",
      With("v"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->llm.endpoints.at("v").extra_body.text,
            R"({"name":"vicuna","options":{"nested":{"deep":[1,{"x":"2"}]},"num_ctx":8192},)"
            R"("repetition_penalty":1.05,"seed":null,"skip":true,"stop":["USER:","12"],)"
            R"("top_k":20})");
  EXPECT_TRUE(Load("run: {}\n")->llm.endpoints.at("sim").extra_body.empty());
  EXPECT_EQ(Error("llm:\n  endpoints:\n    v:\n      extra_body: [top_k, 20]\n", With("v")),
            At(4) + "llm.endpoints.v.extra_body: expected a mapping, got a list");
  EXPECT_EQ(Error("llm:\n  endpoints:\n    v:\n      extra_body: top_k=20\n", With("v")),
            At(4) + "llm.endpoints.v.extra_body: expected a mapping, got top_k=20");
  // --set merges into the file's mapping key by key.
  Result<Config> set = Load("llm:\n  endpoints:\n    v:\n      extra_body: {top_k: 20}\n",
                            With("v", {"llm.endpoints.v.extra_body={min_p: 0.1}"}));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->llm.endpoints.at("v").extra_body.text, R"({"min_p":0.1,"top_k":20})");
}

TEST_F(ConfigTest, CompletionsApiReadsItsTemplateRelativeToTheRepoRoot) {
  std::ofstream(root_ / "experiments" / "prompts" / "base.txt") << "{system}\nQ: {user}\nA:\n";
  Result<Config> r = Load(
      "llm:\n  endpoints:\n    b: {backend: openai, base_url: 'http://h:1/v1', api: completions,\n"
      "        prompt_template: experiments/prompts/base.txt}\n",
      With("b"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const llm::EndpointConfig& b = r->llm.endpoints.at("b");
  EXPECT_EQ(b.api, llm::Api::kCompletions);
  EXPECT_EQ(b.prompt_template, (root_ / "experiments" / "prompts" / "base.txt").string());
  EXPECT_EQ(b.prompt_template_text, "{system}\nQ: {user}\nA:");
  EXPECT_EQ(Load("run: {}\n")->llm.endpoints.at("sim").api, llm::Api::kChat);
}

TEST_F(ConfigTest, CompletionsApiErrorsNameKeyAndLine) {
  EXPECT_EQ(Error("llm:\n  endpoints:\n    b:\n      api: completions\n", With("b")),
            At(4) +
                "llm.endpoints.b.prompt_template: api completions needs a prompt_template, a "
                "file with {system} and {user} (e.g. experiments/prompts/vicuna.txt)");
  const std::string missing = (root_ / "experiments" / "prompts" / "nope.txt").string();
  EXPECT_EQ(Error("llm:\n  endpoints:\n    b:\n      api: completions\n"
                  "      prompt_template: experiments/prompts/nope.txt\n",
                  With("b")),
            At(5) + "llm.endpoints.b.prompt_template: prompt template " + missing +
                " is missing or unreadable");
  std::ofstream(root_ / "experiments" / "prompts" / "no_user.txt") << "{system}\n";
  EXPECT_THAT(Error("llm:\n  endpoints:\n    b:\n      api: completions\n"
                    "      prompt_template: experiments/prompts/no_user.txt\n",
                    With("b")),
              HasSubstr("has no {user} placeholder"));
  EXPECT_THAT(Error("llm:\n  endpoints:\n    b:\n      api: legacy\n", With("b")),
              StartsWith(At(4) + "llm.endpoints.b.api: expected one of chat, completions"));
}

TEST_F(ConfigTest, RequestShapeRoundTripsThroughResolvedYaml) {
  std::ofstream(root_ / "experiments" / "prompts" / "base.txt") << "{system}\nQ: {user}\nA:";
  Result<Config> r = Load(
      "llm:\n  endpoints:\n"
      "    b: {backend: openai, base_url: 'http://h:1/v1', api: completions, top_p: 0.5,\n"
      "        prompt_template: experiments/prompts/base.txt,\n"
      "        max_tokens_field: max_completion_tokens,\n"
      "        extra_body: {stop: ['12', 'no', ''], options: {num_ctx: 4096}, e: {}, n: null}}\n",
      With("b"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<Config> again = ParseConfig(r->resolved_yaml, "resolved", {});
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << r->resolved_yaml;
  EXPECT_EQ(again->llm.endpoints, r->llm.endpoints) << r->resolved_yaml;
  EXPECT_EQ(again->resolved_yaml, r->resolved_yaml);
  EXPECT_THAT(r->resolved_yaml, HasSubstr("temperature: ~"));
}

// --- resolved_yaml --------------------------------------------------------------------

TEST_F(ConfigTest, ResolvedYamlRoundTrips) {
  std::ofstream(root_ / "cache.db") << "x";
  Result<Config> r = Load(
      "run: {name: \"off\", seed: 18446744073709551615}\n"
      "llm:\n"
      "  endpoints:\n"
      "    z: {backend: openai, base_url: 'http://h:1/v1', api_key_env: KEY, rpm: 0.1,\n"
      "        model: \"a: b\\n  #c 'q' \\\"d\\\" K\xc3\xb6\"}\n"
      "    a: {latency_jitter: 0.25, model: \"123\"}\n"
      "  roles: {rewriter: z, reviewer: a, responder: a}\n"
      "  cache: {path: cache.db, mode: replay}\n"
      "env:\n"
      "  actions: [complicate_input, breadth]\n"
      "  initial_instruction: \"true\"\n"
      "  seeds: {path: experiments/seeds/s.jsonl, fields: {input: ''}}\n"
      "  reward: {query_cost: -0.1}\n"
      "policy: {hidden: [], breadth_bias: 0.1}\n"
      "algo: {cg_residual_tol: 1e-10, gamma: 0.3333333333333333}\n",
      {"train.actors=3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<Config> again = ParseConfig(r->resolved_yaml, "resolved", {});
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << r->resolved_yaml;
  EXPECT_EQ(again->resolved_yaml, r->resolved_yaml);
  Config a = *r;
  Config b = *again;
  for (Config* c : {&a, &b}) c->source_path = c->base_dir = "";
  EXPECT_EQ(a, b) << r->resolved_yaml;
  EXPECT_EQ(b.run.name, "off");
  EXPECT_EQ(b.llm.endpoints.at("a").model, "123");
  EXPECT_EQ(b.env.initial_instruction, "true");
  EXPECT_EQ(b.train.actors, 3);
  EXPECT_EQ(b.llm.endpoints.at("z").model, "a: b\n  #c 'q' \"d\" K\xc3\xb6");
}

TEST_F(ConfigTest, ResolvedYamlListsEveryKeyInStableOrder) {
  Result<Config> r = Load("train: {actors: 2}\nrun: {name: x}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string& y = r->resolved_yaml;
  std::vector<std::string> in_order = {"run:",        "  name: x",    "  progress_interval_s: 10.0",
                                       "llm:",        "  endpoints:", "    sim:",
                                       "  roles:",    "  cache:",     "    mode: \"off\"",
                                       "budget:",     "env:",         "  seeds:",
                                       "    fields:", "policy:",      "algo:",
                                       "train:",      "  actors: 2",  "  snapshot_every: 0"};
  ASSERT_EQ(y.rfind("run:\n", 0), 0u) << y;
  size_t pos = 0;
  for (const std::string& line : in_order) {
    size_t at = y.find(line + "\n", pos);
    ASSERT_NE(at, std::string::npos) << line << " missing or out of order in:\n" << y;
    pos = at + line.size();
  }
  // Same config, same text.
  Result<Config> again = Load("run: {name: x}\ntrain: {actors: 2}\n");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resolved_yaml, y);
}

TEST_F(ConfigTest, KeyReferenceCoversTheSchema) {
  std::string ref = ConfigKeyReference();
  EXPECT_THAT(ref, StartsWith("| key | type | default | meaning |"));
  EXPECT_THAT(ref, HasSubstr("| `train.actors` | an integer >= 1 | `1` |"));
  EXPECT_THAT(ref, HasSubstr("| `llm.endpoints.NAME.backend` | one of sim, openai | `sim` |"));
  EXPECT_THAT(ref, HasSubstr("| `policy.hidden` | a list of integers >= 1 | `[64, 64]` |"));
  EXPECT_THAT(ref, HasSubstr("| `env.seeds.path` | a string | `\"\"` |"));
  // Every key in the resolved YAML appears in the reference.
  Result<Config> r = Load("run: {name: x}\n");
  ASSERT_TRUE(r.ok());
  size_t rows = 0;
  for (size_t p = ref.find("\n| `"); p != std::string::npos; p = ref.find("\n| `", p + 1)) ++rows;
  size_t leaves = 0;
  std::istringstream lines(r->resolved_yaml);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() != ':') ++leaves;
  }
  EXPECT_EQ(rows, leaves);
}

// --- shipped configs ------------------------------------------------------------------

TEST(ShippedConfigs, PaperTrainLoads) {
  Result<Config> r =
      LoadConfig(std::string(TEAMSRL_SOURCE_DIR) + "/experiments/paper_train.yaml", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.run.name, "paper_train");
  EXPECT_EQ(c.run.seed, 543u);
  EXPECT_EQ(c.run.out_dir, "runs/paper_train");
  EXPECT_EQ(c.llm.endpoints.at("sim").temperature, 0.0);
  EXPECT_EQ(c.llm.endpoints.at("sim").max_tokens, 2048);
  EXPECT_EQ(c.env.actions, EnvConfig{}.actions);
  EXPECT_EQ(c.env.episode_length, 6);
  EXPECT_TRUE(c.env.carry_over);
  EXPECT_EQ(c.env.initial_instruction, "How to cook food?");
  EXPECT_EQ(c.policy.type, rl::PolicyType::kGaussianArgmax);
  EXPECT_EQ(c.policy.hidden, (std::vector<int>{64, 64}));
  EXPECT_EQ(c.policy.breadth_bias, 0.3);
  EXPECT_EQ(c.algo, rl::AlgoConfig{});  // the defaults are the paper's values
  EXPECT_EQ(c.train.iterations, 200);
  EXPECT_EQ(c.train.actors, 1);
  EXPECT_EQ(c.train.episodes_per_actor, 1);
  EXPECT_EQ(c.base_dir, fs::path(TEAMSRL_SOURCE_DIR).lexically_normal().string());
}

TEST(ShippedConfigs, QuickstartLoads) {
  Result<Config> r =
      LoadConfig(std::string(TEAMSRL_SOURCE_DIR) + "/experiments/quickstart.yaml", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->run.name, "quickstart");
  EXPECT_EQ(r->run.out_dir, "runs/quickstart");
  EXPECT_EQ(r->run.seed, 543u);
  EXPECT_EQ(r->train.actors, 8);
  EXPECT_EQ(r->train.iterations, 30);
  EXPECT_EQ(r->llm.endpoints.at("sim").latency_ms, 0.0);
  EXPECT_EQ(r->llm.endpoints.at("sim").backend, llm::Backend::kSim);
  EXPECT_EQ(r->algo, rl::AlgoConfig{});
}

}  // namespace
}  // namespace teamsrl
