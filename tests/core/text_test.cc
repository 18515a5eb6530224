#include "core/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace teamsrl {
namespace {

using Strings = std::vector<std::string>;

TEST(TextTest, Trim) {
  EXPECT_EQ(Trim(" \t x  y \n"), "x  y");
  EXPECT_EQ(Trim("x"), "x");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
}

TEST(TextTest, ToLower) { EXPECT_EQ(ToLower("Not EQUAL 42"), "not equal 42"); }

TEST(TextTest, NormalizeText) {
  EXPECT_EQ(NormalizeText("  Not   Equal.\n"), "not equal");
  EXPECT_EQ(NormalizeText("Hello,\tWorld!"), "hello world");
  EXPECT_EQ(NormalizeText("don't"), "dont");
  EXPECT_EQ(NormalizeText("a - b"), "a b");  // a run of space around dropped punctuation
  EXPECT_EQ(NormalizeText("...!?"), "");
  EXPECT_EQ(NormalizeText(""), "");
}

TEST(TextTest, Words) {
  EXPECT_EQ(Words("Don't stop, it's 2 FAST!"), (Strings{"don't", "stop", "it's", "2", "fast"}));
  EXPECT_EQ(Words("'quoted' words'"), (Strings{"quoted", "words"}));
  EXPECT_EQ(Words("caf\xc3\xa9 au-lait"), (Strings{"caf\xc3\xa9", "au", "lait"}));
  EXPECT_EQ(Words(" ,;. "), Strings{});
}

TEST(TextTest, WordCount) {
  EXPECT_EQ(WordCount("  one two\tthree\nfour "), 4u);
  EXPECT_EQ(WordCount("a,b c"), 2u);  // whitespace-separated, unlike Words
  EXPECT_EQ(WordCount(""), 0u);
  EXPECT_EQ(WordCount(" \n "), 0u);
}

TEST(TextTest, EstimateTokens) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("abcd"), 1);
  EXPECT_EQ(EstimateTokens("abcde"), 2);
}

TEST(TextTest, Split) {
  EXPECT_EQ(Split("a,b,c", ','), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Split("a,,b,", ','), (Strings{"a", "", "b", ""}));
  EXPECT_EQ(Split("", ','), Strings{""});
  EXPECT_EQ(Split("abc", ','), Strings{"abc"});
}

TEST(TextTest, StartsWithAndContains) {
  EXPECT_TRUE(StartsWith("#Rewritten Prompt#", "#Rewritten"));
  EXPECT_FALSE(StartsWith("ab", "abc"));
  EXPECT_TRUE(StartsWith("x", ""));
  EXPECT_TRUE(ContainsIgnoreCase("The GIVEN prompt", "given Prompt"));
  EXPECT_FALSE(ContainsIgnoreCase("given", "prompt"));
}

TEST(TextTest, ReplaceAll) {
  EXPECT_EQ(ReplaceAll("a.b.c", ".", "::"), "a::b::c");
  EXPECT_EQ(ReplaceAll("aaa", "a", "aa"), "aaaaaa");  // does not rescan its own output
  EXPECT_EQ(ReplaceAll("Hi {instruction}!", "{instruction}", "cook"), "Hi cook!");
  EXPECT_EQ(ReplaceAll("abc", "", "x"), "abc");
  EXPECT_EQ(ReplaceAll("abc", "z", "x"), "abc");
  EXPECT_EQ(ReplaceAll("abab", "ab", ""), "");
}

// Against RFC 3629's table: every well-formed class accepted, each malformed form refused
// at its first byte.
TEST(TextTest, InvalidUtf8Offset) {
  EXPECT_EQ(InvalidUtf8Offset(""), std::string::npos);
  EXPECT_EQ(InvalidUtf8Offset("plain ascii"), std::string::npos);
  EXPECT_EQ(InvalidUtf8Offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"),
            std::string::npos);  // é, €, 😀, U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("ab\xFF"
                              "cd"),
            2u);                                         // not a lead byte
  EXPECT_EQ(InvalidUtf8Offset("a\xC3"), 1u);             // truncated
  EXPECT_EQ(InvalidUtf8Offset("a\xC3(b"), 1u);           // bad continuation
  EXPECT_EQ(InvalidUtf8Offset("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(InvalidUtf8Offset("x\xE0\x80\xAF"), 1u);     // overlong, 3 bytes
  EXPECT_EQ(InvalidUtf8Offset("\xED\xA0\x80"), 0u);      // a surrogate
  EXPECT_EQ(InvalidUtf8Offset("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("\xF0\x8F\xBF\xBF"), 0u);  // overlong, 4 bytes
}

TEST(TextTest, ReplaceNul) {
  EXPECT_EQ(ReplaceNul(std::string("a\0b\0", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(ReplaceNul("plain"), "plain");
}

}  // namespace
}  // namespace teamsrl
