#include "llm/openai/reply_checks.h"

#include <gtest/gtest.h>

#include <limits>

namespace teamsrl::llm {
namespace {

TEST(ReplyChecksTest, ReplyCapIsDerivedFromMaxTokensWithinBounds) {
  EXPECT_EQ(DefaultMaxReplyBytes(2048), 1 << 20);  // 128 KiB derived: the 1 MiB floor
  EXPECT_EQ(DefaultMaxReplyBytes(32768), 2 << 20);
  EXPECT_EQ(DefaultMaxReplyBytes(std::numeric_limits<int>::max()), kMaxReplyBytesInFlight);
  EXPECT_EQ(MaxReplyBytes(4096, 2048), 4096);
  EXPECT_EQ(MaxReplyBytes(0, 2048), 1 << 20);
  EXPECT_EQ(MaxReplyBytes(int64_t{1} << 40, 2048), kMaxReplyBytesInFlight);
}

TEST(ReplyChecksTest, ImplausibleTokenCountsFallBackToTheEstimate) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int64_t bad : {int64_t{-1}, int64_t{-5000000}, kMax, int64_t{4 * 100 + 65}, int64_t{5}}) {
    bool anomaly = false;
    EXPECT_EQ(PlausibleTokens(bad, 100, 64, &anomaly), 100) << bad;
    EXPECT_TRUE(anomaly) << bad;
  }
  for (int64_t good : {int64_t{7}, int64_t{100}, int64_t{464}}) {
    bool anomaly = false;
    EXPECT_EQ(PlausibleTokens(good, 100, 64, &anomaly), good);
    EXPECT_FALSE(anomaly);
  }
  bool anomaly = false;
  EXPECT_EQ(PlausibleTokens(std::nullopt, 100, 64, &anomaly), 100);
  EXPECT_FALSE(anomaly);
  EXPECT_EQ(PlausibleTokens(0, 0, 64, &anomaly), 0);  // empty content
  EXPECT_FALSE(anomaly);
  EXPECT_EQ(PlausibleTokens(kMax, kMax, kMax, &anomaly), kMax);  // no overflow in the bound
}

TEST(ReplyChecksTest, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("sk-abc_DEF-123"));
  EXPECT_TRUE(HasControlCharacters("sk-abc\r\nX-Evil: 1"));
  EXPECT_TRUE(HasControlCharacters(std::string("sk\0x", 4)));
  EXPECT_TRUE(HasControlCharacters("sk\x7F"));
}

TEST(ReplyChecksTest, RedactsWholeSplitAndRepeatedSecrets) {
  const Redactor r({"sk-SECRET-123"});
  EXPECT_EQ(r("key sk-SECRET-123."), "key [redacted].");
  EXPECT_EQ(r("sk-SECRET-123sk-SECRET-123"), "[redacted][redacted]");
  EXPECT_EQ(r("a sk-SEC\nRET-123 b"), "a [redacted] b");
  EXPECT_EQ(r("a sk-SEC\r\n  RET-\t123 b"), "a [redacted] b");
  EXPECT_EQ(r("ss-sk-SECRET-12"), "ss-sk-SECRET-12");  // not the whole key: nothing to hide
  EXPECT_EQ(r("no secret here"), "no secret here");
  EXPECT_EQ(Redactor({"abc"})("abc"), "abc");  // too short to redact safely
}

TEST(ReplyChecksTest, UrlCredentialsAreSecretsAndHiddenInMessages) {
  const std::vector<std::string> c =
      RequestCredentials("https://bob:hunter22@example.com/v1", "sk-key-0001");
  EXPECT_EQ(
      c, (std::vector<std::string>{"sk-key-0001", "bob:hunter22", "Ym9iOmh1bnRlcjIy", "hunter22"}));
  EXPECT_EQ(UrlWithoutCredentials("https://bob:hunter22@example.com/v1"),
            "https://[redacted]@example.com/v1");
  EXPECT_EQ(UrlWithoutCredentials("http://127.0.0.1:8000/v1?x=a@b"),
            "http://127.0.0.1:8000/v1?x=a@b");
  EXPECT_EQ(RequestCredentials("http://127.0.0.1:8000/v1", ""), std::vector<std::string>{});
}

}  // namespace
}  // namespace teamsrl::llm
