#include "llm/response_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "llm/caching_client.h"

namespace teamsrl::llm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string TempDir(const std::string& name) {
  const fs::path p =
      fs::temp_directory_path() / ("teamsrl_cache_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

Request MakeRequest(int64_t actor, int64_t step, const std::string& text = "hello") {
  Request r;
  r.role = Role::kRewriter;
  r.messages = {{"system", "be brief"}, {"user", text}};
  r.key.actor = actor;
  r.key.episode = 1;
  r.key.step = step;
  return r;
}

CacheEntry Entry(int i) { return {"reply " + std::to_string(i), "stop", {10 + i, 20 + i}}; }

ResponseCache::Options Writer(int rank) {
  ResponseCache::Options o;
  o.rank = rank;
  return o;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The key of a request whose endpoint sets temperature 0 and top_p 1, as computed before
// temperature and top_p could be unset: configs that set them keep their caches.
TEST(CacheKeyTest, SetSamplingKeepsTheKeyItHadBefore) {
  Request r = MakeRequest(3, 2);
  r.sampling.temperature = 0.0;
  r.sampling.top_p = 1.0;
  EXPECT_EQ(KeyHex(MakeCacheKey("openai|m", r)),
            "0c616027f2b8dbfc79e006d3ddbc07dccd5bd6d59083324ab21da83368332d42");
}

// A simulator endpoint that leaves temperature and top_p out (the quickstart's leaves
// top_p out) keys its requests as before they could be unset.
TEST(CacheKeyTest, SimulatorEndpointWithoutSamplingKeepsItsKey) {
  LlmConfig config;
  config.endpoints["sim"] = EndpointConfig{};
  Request r = MakeRequest(3, 2);
  r.sampling = SamplingFor(config, Role::kRewriter);
  EXPECT_EQ(KeyHex(MakeCacheKey(CacheIdentity(config.endpoints["sim"], 543), r)),
            "2c56eb681c67046a5e3d63e91ab17c7d0d2ec1ca967545e81c140dc50bcbe6a6");
}

TEST(CacheKeyTest, UnsetSamplingDiffersFromEverySetValue) {
  Request set = MakeRequest(3, 2);
  set.sampling.temperature = 0.0;
  set.sampling.top_p = 1.0;
  Request unset = set;
  unset.sampling.temperature.reset();
  EXPECT_NE(MakeCacheKey("openai|m", set), MakeCacheKey("openai|m", unset));
  Request no_top_p = set;
  no_top_p.sampling.top_p.reset();
  EXPECT_NE(MakeCacheKey("openai|m", set), MakeCacheKey("openai|m", no_top_p));
  EXPECT_NE(MakeCacheKey("openai|m", unset), MakeCacheKey("openai|m", no_top_p));
}

TEST(CacheIdentityTest, RequestShapeKeysJoinOnlyWhenUsed) {
  EndpointConfig e;
  e.backend = Backend::kOpenai;
  e.model = "m";
  e.temperature = 0.2;
  EXPECT_EQ(CacheIdentity(e, 7), "openai|m");  // as before these keys existed
  EndpointConfig sim;
  EXPECT_EQ(CacheIdentity(sim, 7), "sim|sim-1|seed=7");
  std::set<std::string> ids = {CacheIdentity(e, 7)};
  EndpointConfig c = e;
  c.max_tokens_field = MaxTokensField::kMaxCompletionTokens;
  ids.insert(CacheIdentity(c, 7));
  c = e;
  c.extra_body.text = R"({"top_k":40})";
  ids.insert(CacheIdentity(c, 7));
  c.extra_body.text = R"({"top_k":41})";
  ids.insert(CacheIdentity(c, 7));
  c = e;
  c.api = Api::kCompletions;
  c.prompt_template_text = "USER: {user}\nASSISTANT:";
  ids.insert(CacheIdentity(c, 7));
  c.prompt_template_text = "{system}\nUSER: {user}\nASSISTANT:";
  ids.insert(CacheIdentity(c, 7));
  EXPECT_EQ(ids.size(), 6u);
  // An empty extra_body and a template the chat api does not read change nothing.
  c = e;
  c.extra_body.text = "{}";
  c.prompt_template_text = "ignored {user}";
  EXPECT_EQ(CacheIdentity(c, 7), "openai|m");
}

TEST(CacheKeyTest, CoversModelMessagesSamplingAndRequestKey) {
  const Request base = MakeRequest(3, 2);
  const CacheKey k = MakeCacheKey("openai|m", base);
  EXPECT_EQ(k, MakeCacheKey("openai|m", base));
  EXPECT_NE(k, MakeCacheKey("openai|other", base));
  Request r = base;
  r.messages[1].content = "hellO";
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
  r = base;
  r.sampling.temperature = 0.7;
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
  r = base;
  r.sampling.seed = 0;  // a seed of 0 differs from none
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
  r = base;
  r.key.sample = 1;
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
  r = base;
  r.role = Role::kReviewer;
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
  r = base;  // length prefixes: moving a character between messages changes the key
  r.messages = {{"system", "be brie"}, {"user", "fhello"}};
  EXPECT_NE(k, MakeCacheKey("openai|m", r));
}

TEST(ResponseCacheTest, PersistsAcrossReopen) {
  const std::string dir = TempDir("persist");
  {
    auto cache = ResponseCache::Open(dir, Writer(0));
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE((*cache)->Append(MakeCacheKey("x", MakeRequest(i, 0)), Entry(i)));
    }
    EXPECT_FALSE((*cache)->Append(MakeCacheKey("x", MakeRequest(0, 0)), Entry(9)));
    ASSERT_TRUE((*cache)->Commit().ok());
  }
  ResponseCache::Options ro;
  ro.writable = false;
  auto cache = ResponseCache::Open(dir, ro);
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->size(), 5u);
  const CacheEntry* e = (*cache)->Find(MakeCacheKey("x", MakeRequest(3, 0)));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->content, "reply 3");
  EXPECT_EQ(e->finish_reason, "stop");
  EXPECT_EQ(e->usage.prompt_tokens, 13);
  EXPECT_EQ(e->usage.completion_tokens, 23);
  EXPECT_EQ((*cache)->Find(MakeCacheKey("y", MakeRequest(3, 0))), nullptr);
  fs::remove_all(dir);
}

TEST(ResponseCacheTest, ReadOnlyMissingDirIsNotFound) {
  ResponseCache::Options ro;
  ro.writable = false;
  auto cache = ResponseCache::Open(TempDir("missing"), ro);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), StatusCode::kNotFound);
}

// A process killed mid-write leaves a torn record at its segment's tail: every complete
// record before it loads, the torn one does not, and later writers are unaffected.
TEST(ResponseCacheTest, IgnoresTornTailAtEveryCutPoint) {
  const std::string dir = TempDir("torn");
  std::string segment;
  {
    auto cache = ResponseCache::Open(dir, Writer(0));
    ASSERT_TRUE(cache.ok());
    for (int i = 0; i < 3; ++i) {
      (*cache)->Append(MakeCacheKey("x", MakeRequest(i, 0)), Entry(i));
      ASSERT_TRUE((*cache)->Commit(true).ok());
    }
    segment = (*cache)->segment_path();
  }
  const std::string full = ReadFile(segment);
  int n = 0;
  auto count = [&n](const CacheKey&, const CacheEntry&) { ++n; };
  ASSERT_EQ(ResponseCache::ParseSegment(full, count), full.size());
  ASSERT_EQ(n, 3);
  // Bytes of the first two records: the valid prefix once the last byte is gone.
  const size_t two = ResponseCache::ParseSegment(full.substr(0, full.size() - 1), count);
  ASSERT_EQ(n, 5);
  ASSERT_LT(two, full.size());
  for (size_t cut = two; cut < full.size(); ++cut) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir + "/rank-0-1.log", std::ios::binary) << full.substr(0, cut);
    ResponseCache::Options ro;
    ro.writable = false;
    auto cache = ResponseCache::Open(dir, ro);
    ASSERT_TRUE(cache.ok());
    EXPECT_EQ((*cache)->size(), 2u) << "cut at " << cut;
    EXPECT_EQ((*cache)->load_stats().torn_bytes, static_cast<int64_t>(cut - two));
    EXPECT_EQ((*cache)->Find(MakeCacheKey("x", MakeRequest(2, 0))), nullptr);
  }
  // A flipped byte inside the last record fails its checksum the same way.
  std::string bad = full;
  bad[full.size() - 3] ^= 0x20;
  std::ofstream(dir + "/rank-0-1.log", std::ios::binary | std::ios::trunc) << bad;
  {
    auto cache = ResponseCache::Open(dir, Writer(0));  // a new writer after the crash
    ASSERT_TRUE(cache.ok());
    EXPECT_EQ((*cache)->size(), 2u);
    (*cache)->Append(MakeCacheKey("x", MakeRequest(2, 0)), Entry(2));
    ASSERT_TRUE((*cache)->Commit().ok());
    EXPECT_NE((*cache)->segment_path(), dir + "/rank-0-1.log");
  }
  auto cache = ResponseCache::Open(dir, Writer(0));
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->size(), 3u);
  fs::remove_all(dir);
}

// Two processes append to the same cache directory at once; neither loses an entry.
TEST(ResponseCacheTest, TwoConcurrentWriters) {
  const std::string dir = TempDir("two");
  constexpr int kPerWriter = 300;
  pid_t kids[2];
  for (int w = 0; w < 2; ++w) {
    kids[w] = ::fork();
    ASSERT_GE(kids[w], 0);
    if (kids[w] == 0) {
      auto cache = ResponseCache::Open(dir, Writer(w));
      if (!cache.ok()) ::_exit(2);
      for (int i = 0; i < kPerWriter; ++i) {
        (*cache)->Append(MakeCacheKey("x", MakeRequest(w * 1000 + i, 0)), Entry(i));
        if (i % 7 == 0 && !(*cache)->Commit().ok()) ::_exit(3);
      }
      ::_exit((*cache)->Commit(true).ok() ? 0 : 4);
    }
  }
  for (pid_t kid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(kid, &status, 0), kid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto cache = ResponseCache::Open(dir, Writer(0));
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ((*cache)->size(), 2u * kPerWriter);
  EXPECT_EQ((*cache)->load_stats().segments, 2);
  EXPECT_EQ((*cache)->load_stats().torn_bytes, 0);
  fs::remove_all(dir);
}

// Completes everything on the next Poll, counting what reached it.
class CountingClient : public Client {
 public:
  void Submit(Request request) override {
    ++submitted;
    Completion c;
    c.tag = request.tag;
    c.role = request.role;
    c.content = "live " + request.messages.back().content;
    c.finish_reason = "length";
    c.usage = {7, 9};
    c.http_status = 200;
    c.latency_ms = 100.0;
    if (request.messages.back().content == "fail") c.status = Unavailable("down");
    ready_.push_back(std::move(c));
  }
  std::vector<Completion> Poll(milliseconds) override {
    std::vector<Completion> out(ready_.begin(), ready_.end());
    ready_.clear();
    return out;
  }
  size_t InFlight() const override { return ready_.size(); }
  int submitted = 0;

 private:
  std::deque<Completion> ready_;
};

std::vector<Completion> RunThrough(CachingClient& client, std::vector<Request> requests) {
  return RunAll(client, std::move(requests));
}

TEST(CachingClientTest, ReadWriteThenReplay) {
  const std::string dir = TempDir("client");
  {
    auto cache = ResponseCache::Open(dir, Writer(0));
    ASSERT_TRUE(cache.ok());
    auto inner = std::make_unique<CountingClient>();
    CountingClient* counting = inner.get();
    CachingClient client(std::move(inner), std::move(*cache), CacheMode::kReadWrite, "m", "ep");
    auto first = RunThrough(client, {MakeRequest(0, 0), MakeRequest(1, 0, "fail")});
    EXPECT_TRUE(first[0].status.ok());
    EXPECT_FALSE(first[0].cached);
    EXPECT_FALSE(first[1].status.ok());
    auto again = RunThrough(client, {MakeRequest(0, 0), MakeRequest(1, 0, "fail")});
    EXPECT_EQ(counting->submitted, 3);  // the failure was not cached
    EXPECT_TRUE(again[0].cached);
    EXPECT_EQ(client.counters().stored, 1);
  }
  ResponseCache::Options ro;
  ro.writable = false;
  auto cache = ResponseCache::Open(dir, ro);
  ASSERT_TRUE(cache.ok());
  auto inner = std::make_unique<CountingClient>();
  CountingClient* counting = inner.get();
  CachingClient client(std::move(inner), std::move(*cache), CacheMode::kReplay, "m", "ep");
  Request miss = MakeRequest(4, 5);
  miss.role = Role::kReviewer;
  auto out = RunThrough(client, {MakeRequest(0, 0), miss});
  EXPECT_EQ(counting->submitted, 0);
  ASSERT_TRUE(out[0].status.ok());
  EXPECT_TRUE(out[0].cached);
  EXPECT_EQ(out[0].attempts, 0);
  EXPECT_EQ(out[0].latency_ms, 0.0);
  EXPECT_EQ(out[0].content, "live hello");
  EXPECT_EQ(out[0].finish_reason, "length");
  EXPECT_EQ(out[0].usage.prompt_tokens, 7);
  EXPECT_EQ(out[0].usage.completion_tokens, 9);
  EXPECT_EQ(out[1].status.code(), StatusCode::kNotFound);
  const std::string& m = out[1].status.message();
  EXPECT_NE(m.find("reviewer request of actor 4, episode 1, step 5"), std::string::npos) << m;
  EXPECT_EQ(out[1].role, Role::kReviewer);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace teamsrl::llm
