// OpenAiBackend against tests/servers/fake_openai_server.py on loopback: one test per
// fault the server can inject, plus concurrency, rate limits and secrets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "../../io/test_util.h"
#include "llm/backend_factory.h"
#include "llm/openai/openai_backend.h"
#include "llm/options.h"
#include "openai_fake_server.h"

namespace teamsrl::llm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Ms = std::chrono::duration<double, std::milli>;

constexpr char kKeyEnv[] = "TEAMSRL_TEST_KEY";
constexpr char kKey[] = "sk-test-SECRET123";

class OpenAiBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }
  void TearDown() override { server_.Stop(); }

  void StartServer(const std::vector<std::string>& args) {
    server_.Stop();
    ASSERT_TRUE(server_.Start(args)) << server_.error();
  }

  // An endpoint on the fake server whose model name selects the fault (`fault:SPEC`).
  EndpointConfig Endpoint(const std::string& fault = "") const {
    EndpointConfig c = testing::FakeEndpoint(server_, fault);
    c.max_concurrency = 64;
    return c;
  }

  static OpenAiOptions FastBackoff() {
    OpenAiOptions o;
    o.backoff_base_s = 0.01;
    o.backoff_max_s = 0.05;
    return o;
  }

  std::unique_ptr<OpenAiBackend> Make(const EndpointConfig& c, OpenAiOptions o = FastBackoff()) {
    Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("fake", c, o);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

  static Request Req(const std::string& text, int64_t actor = 0) {
    Request r;
    r.role = Role::kRewriter;
    r.messages = {{"system", "You rewrite instructions."}, {"user", text}};
    r.key.actor = actor;
    return r;
  }

  Completion RunOne(const EndpointConfig& c, OpenAiOptions o = FastBackoff()) {
    std::unique_ptr<OpenAiBackend> b = Make(c, o);
    if (!b) return {};
    return RunAll(*b, {Req("How to cook food?")})[0];
  }

  nlohmann::json Stats() const { return nlohmann::json::parse(server_.StatsJson()); }

  testing::FakeOpenAiServer server_;
};

TEST_F(OpenAiBackendTest, CompletesARequest) {
  const Completion c = RunOne(Endpoint());
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_THAT(c.content, HasSubstr("How to cook food?"));
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.http_status, 200);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_GT(c.usage.prompt_tokens, 0);
  EXPECT_GT(c.usage.completion_tokens, 0);
  EXPECT_FALSE(c.cached);
}

TEST_F(OpenAiBackendTest, ContentIsDeterministic) {
  EXPECT_EQ(RunOne(Endpoint()).content, RunOne(Endpoint()).content);
}

TEST_F(OpenAiBackendTest, InjectedLatencyIsWaitedFor) {
  const auto t0 = std::chrono::steady_clock::now();
  const Completion c = RunOne(Endpoint("latency=150"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_GE(Ms(std::chrono::steady_clock::now() - t0).count(), 145.0);
  EXPECT_GE(c.latency_ms, 145.0);
}

TEST_F(OpenAiBackendTest, ThirtyTwoConcurrentRequestsTakeOneLatency) {
  EndpointConfig cfg = Endpoint("latency=100");
  std::unique_ptr<OpenAiBackend> b = Make(cfg);
  RunAll(*b, {Req("warm up")});  // the server's first-connection costs are not the point
  std::vector<Request> reqs;
  for (int i = 0; i < 32; ++i) reqs.push_back(Req("q" + std::to_string(i), i));
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Completion> out = RunAll(*b, reqs);
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  for (const Completion& c : out) EXPECT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_GE(ms, 95.0);
  EXPECT_LE(ms, 200.0);
  EXPECT_GE(Stats()["max_inflight"].get<int>(), 32);
}

TEST_F(OpenAiBackendTest, MaxConcurrencyQueuesTheRest) {
  EndpointConfig cfg = Endpoint("latency=100");
  cfg.max_concurrency = 4;
  std::unique_ptr<OpenAiBackend> b = Make(cfg);
  std::vector<Request> reqs;
  for (int i = 0; i < 8; ++i) reqs.push_back(Req("q" + std::to_string(i), i));
  const auto t0 = std::chrono::steady_clock::now();
  for (const Completion& c : RunAll(*b, reqs)) EXPECT_TRUE(c.status.ok());
  EXPECT_GE(Ms(std::chrono::steady_clock::now() - t0).count(), 195.0);  // two waves
  EXPECT_LE(Stats()["max_inflight"].get<int>(), 5);  // 4 + our own /stats request
}

TEST_F(OpenAiBackendTest, Retries429HonouringRetryAfterSeconds) {
  const auto t0 = std::chrono::steady_clock::now();
  const Completion c = RunOne(Endpoint("first=1,status=429,retry_after=1"));
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  EXPECT_GE(ms, 990.0);
  EXPECT_LE(ms, 1500.0);
  EXPECT_EQ(Stats().value("sent_429", 0), 1);
}

TEST_F(OpenAiBackendTest, Retries429HonouringRetryAfterMs) {
  const auto t0 = std::chrono::steady_clock::now();
  // retry-after-ms wins over Retry-After.
  const Completion c = RunOne(Endpoint("first=1,status=429,retry_after=5,retry_after_ms=300"));
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  EXPECT_GE(ms, 295.0);
  EXPECT_LE(ms, 900.0);
}

TEST_F(OpenAiBackendTest, Retries503HonouringRetryAfterDate) {
  const auto t0 = std::chrono::steady_clock::now();
  const Completion c = RunOne(Endpoint("first=1,status=503,nonjson,retry_after_date=2"));
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  EXPECT_GE(ms, 900.0);  // the date has one-second resolution
  EXPECT_LE(ms, 2600.0);
}

TEST_F(OpenAiBackendTest, Retries500ThenSucceeds) {
  const Completion c = RunOne(Endpoint("first=2,status=500"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 3);
  EXPECT_EQ(c.http_status, 200);
}

TEST_F(OpenAiBackendTest, Persistent503NonJsonFailsAfterMaxRetries) {
  EndpointConfig cfg = Endpoint("status=503,nonjson");
  cfg.max_retries = 2;
  const Completion c = RunOne(cfg);
  EXPECT_EQ(c.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(c.attempts, 3);
  EXPECT_EQ(c.http_status, 503);
  EXPECT_THAT(c.status.message(), HasSubstr("'fake'"));
  EXPECT_THAT(c.status.message(), HasSubstr(server_.base_url()));
  EXPECT_THAT(c.status.message(), HasSubstr("HTTP 503"));
  EXPECT_THAT(c.status.message(), HasSubstr("Service Unavailable"));
}

TEST_F(OpenAiBackendTest, RetriesTruncatedJson) {
  const Completion c = RunOne(Endpoint("first=1,truncate"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  EndpointConfig always = Endpoint("truncate");
  always.max_retries = 1;
  const Completion bad = RunOne(always);
  EXPECT_EQ(bad.status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(bad.attempts, 2);
}

TEST_F(OpenAiBackendTest, RetriesMissingChoices) {
  const Completion c = RunOne(Endpoint("first=1,nochoices"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
}

TEST_F(OpenAiBackendTest, RetriesDroppedConnection) {
  const Completion c = RunOne(Endpoint("first=2,drop"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.attempts, 3);
  EXPECT_EQ(Stats().value("dropped", 0), 2);
}

TEST_F(OpenAiBackendTest, HangTimesOutAndIsRetried) {
  EndpointConfig cfg = Endpoint("hang");
  cfg.timeout_s = 0.3;
  cfg.max_retries = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const Completion c = RunOne(cfg);
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(c.status.code(), StatusCode::kDeadlineExceeded) << c.status.ToString();
  EXPECT_EQ(c.attempts, 2);
  EXPECT_GE(ms, 590.0);
  EXPECT_LE(ms, 1200.0);
  // A hang on the first attempt only: the retry succeeds.
  cfg.model = "fault:first=1,hang";
  EXPECT_TRUE(RunOne(cfg).status.ok());
}

TEST_F(OpenAiBackendTest, EmptyContentIsAValidReply) {
  const Completion c = RunOne(Endpoint("empty"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.content, "");
  EXPECT_EQ(c.attempts, 1);
}

TEST_F(OpenAiBackendTest, FinishReasonLength) {
  const Completion c = RunOne(Endpoint("length"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.finish_reason, "length");
}

TEST_F(OpenAiBackendTest, MissingUsageIsEstimated) {
  const Completion c = RunOne(Endpoint("nousage"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_GT(c.usage.prompt_tokens, 0);
  EXPECT_GT(c.usage.completion_tokens, 0);
}

TEST_F(OpenAiBackendTest, Unauthorized401FailsFastWithoutLeakingTheKey) {
  ASSERT_EQ(setenv(kKeyEnv, kKey, 1), 0);
  for (const char* fault : {"status=401", "status=401,echo_key"}) {
    EndpointConfig cfg = Endpoint(fault);
    cfg.api_key_env = kKeyEnv;
    const Completion c = RunOne(cfg);
    EXPECT_EQ(c.status.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(c.attempts, 1);
    EXPECT_EQ(c.http_status, 401);
    EXPECT_THAT(c.status.message(), HasSubstr("Incorrect API key provided"));
    EXPECT_THAT(c.status.ToString(), Not(HasSubstr(kKey)));
    EXPECT_THAT(c.status.ToString(), Not(HasSubstr("SECRET123")));
    EXPECT_THAT(c.content, Not(HasSubstr(kKey)));
  }
  unsetenv(kKeyEnv);
}

TEST_F(OpenAiBackendTest, UnsetKeyVariableSendsNoHeaderAndSaysSo) {
  unsetenv(kKeyEnv);
  EndpointConfig cfg = Endpoint("status=401,echo_key");
  cfg.api_key_env = kKeyEnv;
  const Completion c = RunOne(cfg);
  EXPECT_EQ(c.status.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(c.status.message(), HasSubstr("Incorrect API key provided: ."));
  EXPECT_THAT(c.status.message(), HasSubstr("TEAMSRL_TEST_KEY is not set"));
}

TEST_F(OpenAiBackendTest, ClientErrorsFailFast) {
  const Completion bad = RunOne(Endpoint("status=400"));
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.attempts, 1);
  EXPECT_THAT(bad.status.message(), HasSubstr("injected HTTP 400"));
  const Completion forbidden = RunOne(Endpoint("status=403"));
  EXPECT_EQ(forbidden.status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(forbidden.attempts, 1);
  const Completion missing = RunOne(Endpoint("status=404"));
  EXPECT_EQ(missing.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.attempts, 1);
}

TEST_F(OpenAiBackendTest, ConnectionRefusedIsRetriedThenFails) {
  EndpointConfig cfg = Endpoint();
  const int port = server_.port();
  server_.Stop();
  cfg.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  cfg.max_retries = 2;
  const Completion c = RunOne(cfg);
  EXPECT_EQ(c.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(c.attempts, 3);
  EXPECT_EQ(c.http_status, 0);
}

TEST_F(OpenAiBackendTest, ServerSideRateLimitSends429) {
  StartServer({"--rpm", "600", "--rpm-window-s", "3"});  // 30 per 3 s
  EndpointConfig cfg = Endpoint();
  cfg.max_retries = 0;
  std::unique_ptr<OpenAiBackend> b = Make(cfg);
  std::vector<Request> reqs;
  for (int i = 0; i < 40; ++i) reqs.push_back(Req("q" + std::to_string(i), i));
  int ok = 0, limited = 0;
  for (const Completion& c : RunAll(*b, reqs)) {
    ok += c.status.ok();
    limited += c.status.code() == StatusCode::kResourceExhausted && c.http_status == 429;
  }
  EXPECT_EQ(ok, 30);
  EXPECT_EQ(limited, 10);
  EXPECT_EQ(Stats().value("sent_429", 0), 10);
}

TEST_F(OpenAiBackendTest, ClientRateLimitMeetsServerLimitWithout429) {
  StartServer({"--rpm", "600", "--rpm-window-s", "3"});
  EndpointConfig cfg = Endpoint();
  cfg.rpm = 600;
  cfg.max_retries = 0;
  std::unique_ptr<OpenAiBackend> b = Make(cfg);
  std::vector<Request> reqs;
  for (int i = 0; i < 50; ++i) reqs.push_back(Req("q" + std::to_string(i), i));
  const auto t0 = std::chrono::steady_clock::now();
  for (const Completion& c : RunAll(*b, reqs)) EXPECT_TRUE(c.status.ok()) << c.status.ToString();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rpm = 49.0 / s * 60.0;  // 49 intervals between 50 starts
  EXPECT_NEAR(rpm, 600.0, 30.0);
  EXPECT_EQ(Stats().value("sent_429", 0), 0);
}

TEST_F(OpenAiBackendTest, PollReturnsAtOnceWhenIdleAndWaitsWithoutSpinning) {
  std::unique_ptr<OpenAiBackend> b = Make(Endpoint("latency=300"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(b->Poll(std::chrono::milliseconds(500)).empty());
  EXPECT_LT(Ms(std::chrono::steady_clock::now() - t0).count(), 20.0);
  b->Submit(Req("x"));
  EXPECT_EQ(b->InFlight(), 1u);
  const std::clock_t cpu0 = std::clock();
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE(b->Poll(std::chrono::milliseconds(100)).empty());  // max_wait is honoured
  const double waited = Ms(std::chrono::steady_clock::now() - t1).count();
  EXPECT_GE(waited, 95.0);
  EXPECT_LE(waited, 150.0);
  std::vector<Completion> out;
  while (out.empty()) out = b->Poll(std::chrono::milliseconds(1000));
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  EXPECT_LT(cpu_ms, 30.0);  // ~300 ms of waiting costs next to no CPU
  EXPECT_EQ(b->InFlight(), 0u);
}

TEST_F(OpenAiBackendTest, FactoryBuildsOpenAiAndRejectsBadUrls) {
  Result<std::unique_ptr<Client>> ok = MakeBackend("fake", Endpoint(), 1);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(RunAll(**ok, {Req("hello")})[0].status.ok());
  EndpointConfig bad = Endpoint();
  bad.base_url = "127.0.0.1:8000/v1";
  Result<std::unique_ptr<Client>> err = MakeBackend("gpt", bad, 1);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(err.status().message(), HasSubstr("llm.endpoints.gpt.base_url"));
}

// HTTPS against the fake server with a self-signed certificate made for the test.
// --- issue 9: hardening against hostile or broken servers --------------------------

// The process's peak resident set since the last ResetPeakRss(), MiB (/proc/self/status
// VmHWM; writing 5 to clear_refs resets it, see proc(5)).
void ResetPeakRss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}
double PeakRssMiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1.0;
}

// Every 8-byte window of the key: a partial leak is still a leak.
void ExpectNoPartOfKey(const std::string& text, const std::string& key) {
  std::string leaked;
  for (size_t i = 0; i + 8 <= key.size() && leaked.empty(); ++i) {
    if (text.find(key.substr(i, 8)) != std::string::npos) leaked = key.substr(i, 8);
  }
  EXPECT_EQ(leaked, "") << "part of the key leaked into: " << text;
}

constexpr char kLongKey[] = "sk-teamsrl-SECRET-0123456789abcdefXYZ";

TEST_F(OpenAiBackendTest, HugeReplyFailsAtTheCapInBoundedMemory) {
  EndpointConfig cfg = Endpoint("huge=200");  // a 200 MiB content, Content-Length known
  cfg.max_retries = 0;
  cfg.timeout_s = 60;
  ResetPeakRss();
  const Completion c = RunOne(cfg);
  const double peak = PeakRssMiB();
  EXPECT_FALSE(c.status.ok());
  EXPECT_THAT(c.status.message(), HasSubstr("max_reply_bytes"));
  EXPECT_LT(peak, 300.0) << "peak RSS " << peak << " MiB";
  std::printf("huge reply: peak RSS %.1f MiB, status %s\n", peak, c.status.ToString().c_str());
}

TEST_F(OpenAiBackendTest, EndlessChunkedReplyFailsAtTheCapInBoundedMemory) {
  EndpointConfig cfg = Endpoint("endless");
  cfg.max_retries = 0;
  cfg.timeout_s = 3;  // without a cap the reply grows until this timeout
  ResetPeakRss();
  const auto t0 = std::chrono::steady_clock::now();
  const Completion c = RunOne(cfg);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double peak = PeakRssMiB();
  EXPECT_FALSE(c.status.ok());
  EXPECT_THAT(c.status.message(), HasSubstr("max_reply_bytes"));
  EXPECT_LT(seconds, 2.0) << "failed by the timeout, not the cap";
  EXPECT_LT(peak, 300.0) << "peak RSS " << peak << " MiB";
  std::printf("endless reply: peak RSS %.1f MiB after %.2f s, status %s\n", peak, seconds,
              c.status.ToString().c_str());
}

TEST_F(OpenAiBackendTest, RepliesInFlightStayUnderTheProcessWideBound) {
  // Eight 1-MiB replies at once against a 3-MiB bound: the calls that would cross it fail
  // (retryably; no retries here), the others complete.
  EndpointConfig cfg = Endpoint("huge=1");
  cfg.max_retries = 0;
  cfg.max_reply_bytes = 2 << 20;
  OpenAiOptions o = FastBackoff();
  o.max_reply_bytes_in_flight = 3 << 20;
  std::unique_ptr<OpenAiBackend> b = Make(cfg, o);
  std::vector<Request> reqs;
  for (int i = 0; i < 8; ++i) reqs.push_back(Req("big " + std::to_string(i), i));
  int over = 0;
  for (const Completion& c : RunAll(*b, reqs)) {
    if (c.status.ok()) continue;
    EXPECT_THAT(c.status.message(), HasSubstr("replies in flight in this process would exceed"));
    EXPECT_EQ(c.status.code(), StatusCode::kResourceExhausted);
    ++over;
  }
  EXPECT_GT(over, 0);
  EXPECT_EQ(b->counters().oversized_replies, over);
}

TEST_F(OpenAiBackendTest, UntrustedUsageIsReplacedByTheEstimate) {
  for (const char* usage : {"-1000000:-1000000", "-5000000:10", "0:18446744073709551615",
                            "9223372036854775807:9223372036854775807", "10:-1"}) {
    const Completion c = RunOne(Endpoint(std::string("usage=") + usage));
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    // The prompt is ~40 bytes and the content ~60: a handful of tokens each.
    EXPECT_GT(c.usage.prompt_tokens, 0) << usage;
    EXPECT_LT(c.usage.prompt_tokens, 1000) << usage;
    EXPECT_GE(c.usage.completion_tokens, 0) << usage;
    EXPECT_LT(c.usage.completion_tokens, 5000) << usage;
    EXPECT_TRUE(c.usage_estimated) << usage;
  }
}

TEST_F(OpenAiBackendTest, PlausibleUsageIsKept) {
  const Completion c = RunOne(Endpoint("usage=12:34"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.usage.prompt_tokens, 12);
  EXPECT_EQ(c.usage.completion_tokens, 34);
  EXPECT_FALSE(c.usage_estimated);
}

TEST_F(OpenAiBackendTest, KeyEchoedInA200IsRedactedFromTheContent) {
  ASSERT_EQ(setenv(kKeyEnv, kLongKey, 1), 0);
  EndpointConfig cfg = Endpoint("echo_headers");
  cfg.api_key_env = kKeyEnv;
  const Completion c = RunOne(cfg);
  unsetenv(kKeyEnv);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_THAT(c.content, HasSubstr("authorization: Bearer [redacted]"));
  ExpectNoPartOfKey(c.content, kLongKey);
}

TEST_F(OpenAiBackendTest, KeyCrossingTheErrorMessageCutIsRedacted) {
  ASSERT_EQ(setenv(kKeyEnv, kLongKey, 1), 0);
  // The message is filler + "Incorrect API key provided: " + key: this much filler puts
  // all but the key's last byte before the 300-byte cut.
  const size_t filler =
      300 - std::strlen("Incorrect API key provided: ") - std::strlen(kLongKey) + 1;
  EndpointConfig cfg = Endpoint("status=401,echo_key_at=" + std::to_string(filler));
  cfg.api_key_env = kKeyEnv;
  const Completion c = RunOne(cfg);
  unsetenv(kKeyEnv);
  EXPECT_EQ(c.http_status, 401);
  ExpectNoPartOfKey(c.status.ToString(), kLongKey);
}

TEST_F(OpenAiBackendTest, KeySplitByANewlineIsRedacted) {
  ASSERT_EQ(setenv(kKeyEnv, kLongKey, 1), 0);
  EndpointConfig cfg = Endpoint("status=401,echo_key_split");
  cfg.api_key_env = kKeyEnv;
  const Completion c = RunOne(cfg);
  unsetenv(kKeyEnv);
  EXPECT_EQ(c.http_status, 401);
  EXPECT_THAT(c.status.message(), HasSubstr("[redacted]"));
  ExpectNoPartOfKey(c.status.ToString(), kLongKey);
}

TEST_F(OpenAiBackendTest, ControlCharactersInTheKeyAreRejected) {
  for (const char* key : {"sk-abc\r\nX-Injected: yes", "sk-abc\nX-Injected: yes", "sk-\x01z"}) {
    ASSERT_EQ(setenv(kKeyEnv, key, 1), 0);
    EndpointConfig cfg = Endpoint("echo_headers");
    cfg.api_key_env = kKeyEnv;
    Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("fake", cfg, FastBackoff());
    if (b.ok()) {  // the old behaviour: the key's CR LF start a header of the caller's choice
      const Completion c = RunAll(**b, {Req("hi")})[0];
      EXPECT_THAT(c.content, Not(HasSubstr("x-injected")));
    }
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(b.status().message(), HasSubstr(kKeyEnv));
    EXPECT_THAT(b.status().message(), Not(HasSubstr("sk-")));
  }
  unsetenv(kKeyEnv);
}

TEST_F(OpenAiBackendTest, NulInContentIsReplaced) {
  const Completion c = RunOne(Endpoint("nul"));
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.content.find('\0'), std::string::npos);
  EXPECT_THAT(c.content, HasSubstr("before\xEF\xBF\xBD"
                                   "after"));
}

class OpenAiTlsTest : public ::testing::Test {
 protected:
  void TearDown() override { server_.Stop(); }

  void StartServer(std::vector<std::string> args) {
    args.insert(args.begin(), {"--tls-dir", dir_.path(), "--latency-ms", "100"});
    ASSERT_TRUE(server_.Start(args)) << server_.error();
  }

  EndpointConfig Endpoint(bool trust) const {
    EndpointConfig c;
    c.backend = Backend::kOpenai;
    c.base_url = server_.base_url();
    c.model = "fake-1";
    c.timeout_s = 10.0;
    c.max_concurrency = 16;
    if (trust) c.ca_path = server_.ca_file();
    return c;
  }

  std::vector<Completion> RunSixteen(const EndpointConfig& c) {
    Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("tls", c);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!b.ok()) return {};
    std::vector<Request> reqs;
    for (int i = 0; i < 16; ++i) {
      Request r;
      r.messages = {{"user", "q" + std::to_string(i)}};
      r.key.actor = i;
      reqs.push_back(r);
    }
    return RunAll(**b, reqs);
  }

  nlohmann::json Stats() const { return nlohmann::json::parse(server_.StatsJson()); }

  io::testing::TempDir dir_;
  testing::FakeOpenAiServer server_;
};

// The server offers h2 by ALPN: 16 concurrent calls share one TLS connection as HTTP/2
// streams (the other connection is the /stats probe's).
TEST_F(OpenAiTlsTest, Http2MultiplexesConcurrentCallsOnOneConnection) {
  StartServer({});
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Completion> out = RunSixteen(Endpoint(true));
  const double ms = Ms(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(out.size(), 16u);
  for (const Completion& c : out) {
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    EXPECT_THAT(c.content, HasSubstr("q"));
    EXPECT_EQ(c.http_status, 200);
    EXPECT_EQ(c.attempts, 1);
  }
  EXPECT_LE(ms, 1000.0);  // concurrent: far below 16 x 100 ms even with the TLS handshake
  const nlohmann::json s = Stats();
  EXPECT_EQ(s["requests"].get<int>(), 16);
  EXPECT_EQ(s["h2_streams"].get<int>(), 17);  // 16 calls + this probe
  EXPECT_EQ(s["connections"].get<int>(), 2);
  EXPECT_EQ(s["h2_connections"].get<int>(), 2);
  EXPECT_GE(s["max_inflight"].get<int>(), 16);
}

// A TLS server without h2: HTTP/1.1 over TLS, one keep-alive connection per call in flight.
TEST_F(OpenAiTlsTest, FallsBackToHttp1WhenTheServerOffersNoH2) {
  StartServer({"--no-h2"});
  const std::vector<Completion> out = RunSixteen(Endpoint(true));
  ASSERT_EQ(out.size(), 16u);
  for (const Completion& c : out) ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  const nlohmann::json s = Stats();
  EXPECT_EQ(s["requests"].get<int>(), 16);
  EXPECT_FALSE(s.contains("h2_connections"));
  EXPECT_EQ(s["connections"].get<int>(), 17);  // 16 + the probe
}

// Verification is on: the self-signed certificate is not in the system's CA bundle, so
// the call fails at once (no retries: another attempt cannot fix it) and nothing is sent.
TEST_F(OpenAiTlsTest, UntrustedCertificateFailsWithoutRetrying) {
  StartServer({});
  EndpointConfig c = Endpoint(false);
  c.max_retries = 3;
  Result<std::unique_ptr<OpenAiBackend>> b = OpenAiBackend::Create("tls", c);
  ASSERT_TRUE(b.ok());
  Request r;
  r.messages = {{"user", "hello"}};
  const std::vector<Completion> out = RunAll(**b, {r});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].status.ok());
  EXPECT_THAT(out[0].status.message(), HasSubstr("certificate"));
  EXPECT_EQ(out[0].attempts, 1);
  EXPECT_EQ(Stats().value("requests", 0), 0);
}

}  // namespace
}  // namespace teamsrl::llm
