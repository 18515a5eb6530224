#include "llm/sim/sim_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/sim/sim_lexicon.h"

namespace teamsrl::llm::sim {
namespace {

std::vector<std::string> WordsOf(std::string_view text) {
  std::vector<std::string> out;
  ForEachWord(text, [&](std::string_view w, size_t, size_t) { out.emplace_back(w); });
  return out;
}

bool HasGeneralWord(std::string_view text) {
  bool found = false;
  ForEachWord(text, [&](std::string_view w, size_t, size_t) {
    found = found || FindGeneralWord(w) != nullptr;
  });
  return found;
}

TEST(SimTextTest, ForEachWordLowercasesAndLocates) {
  const std::string text = "How to cook FOOD? Chef's 3 pans_2";
  std::vector<std::pair<size_t, size_t>> spans;
  ForEachWord(text, [&](std::string_view, size_t b, size_t e) { spans.emplace_back(b, e); });
  EXPECT_EQ(WordsOf(text),
            (std::vector<std::string>{"how", "to", "cook", "food", "chef", "s", "3", "pans", "2"}));
  EXPECT_EQ(text.substr(spans[3].first, spans[3].second - spans[3].first), "FOOD");
}

TEST(SimTextTest, ContentWords) {
  EXPECT_TRUE(IsContentWord("lasagna"));
  EXPECT_TRUE(IsContentWord("7"));
  EXPECT_FALSE(IsContentWord("the"));
  EXPECT_FALSE(IsContentWord("x"));
  EXPECT_FALSE(IsContentWord("rewritten"));  // leaked scaffolding carries no information
  EXPECT_FALSE(IsContentWord("prompt"));
}

TEST(SimTextTest, FeaturesRecogniseTheSimsOwnPhrases) {
  const std::string text =
      "What things should people know about food? Your answer must stay under 200 words. "
      "Keep the answer within 3 short paragraphs. Think step by step about causes. "
      "In particular, examine how time pressure affects safety risks.\n"
      "```json\n{\"a\": 1}\n```\n| a | b |\n|---|---|\n| 1 | 2 |";
  const TextFeatures f = ExtractFeatures(text);
  EXPECT_EQ(f.constraints, 2);
  EXPECT_EQ(f.reasoning, 1);
  EXPECT_EQ(f.blocks, 2);
  EXPECT_EQ(f.deepening, 1);
  EXPECT_EQ(f.general_words, 3);  // things, people, food
  EXPECT_FALSE(f.marker);
  EXPECT_GT(f.words, 40);
  EXPECT_TRUE(ExtractFeatures("#Rewritten Prompt#:\nHow to cook food?").marker);
  EXPECT_TRUE(ExtractFeatures("Rewrite the given prompt.").marker);
}

TEST(SimTextTest, BlocksCountUnclosedFence) {
  EXPECT_EQ(CountBlocks("no block"), 0);
  EXPECT_EQ(CountBlocks("```sql\nSELECT 1;\n```"), 1);
  EXPECT_EQ(CountBlocks("```sql\nSELECT 1;"), 1);
  EXPECT_EQ(CountBlocks("```a\n```\n```b\n```"), 2);
}

TEST(SimTextTest, InformationIncrement) {
  const std::string before = "How to cook food?";
  EXPECT_EQ(InformationIncrement(before, before).new_content_words, 0);
  EXPECT_EQ(InformationIncrement(before, "how to COOK food.").new_content_words, 0);
  EXPECT_EQ(InformationIncrement(before, "#Rewritten Prompt#: How to cook food?").new_content_words,
            0);
  const Increment added = InformationIncrement(
      before, "How to cook food? Your answer must cite at least 3 credible sources.");
  EXPECT_EQ(added.new_content_words, 6);  // answer cite least 3 credible sources
  EXPECT_EQ(added.new_blocks, 0);
  // Repeated new words count once; words only in `before` do not count.
  EXPECT_EQ(InformationIncrement("a b c", "lasagna lasagna").new_content_words, 1);
  EXPECT_EQ(InformationIncrement(before, "How to cook food?\n```sql\nSELECT 1;\n```").new_blocks,
            1);
}

TEST(SimTextTest, FirstSentenceAndMarkers) {
  EXPECT_EQ(FirstSentence("How to cook food? Your answer must..."), "How to cook food?");
  EXPECT_EQ(FirstSentence("Costs 4.5 dollars. More."), "Costs 4.5 dollars.");
  EXPECT_EQ(FirstSentence("Line one\nline two"), "Line one");
  EXPECT_EQ(FirstSentence("no end"), "no end");
  EXPECT_EQ(StripMarkers("#Rewritten Prompt#:\n#Created Prompt#: Text."), "Text.");
  EXPECT_EQ(StripMarkers("Text #Rewritten Prompt#:"), "Text #Rewritten Prompt#:");
}

TEST(SimTextTest, TemplatesAndAppending) {
  EXPECT_EQ(FillTemplate("{x} vs {y} in {n} ways {z}", "a", "b", 7), "a vs b in 7 ways {z}");
  std::string t = "How to cook food";
  AppendSentence(t, "Be brief.");
  EXPECT_EQ(t, "How to cook food. Be brief.");
  std::string b = "Do it:\n```sql\nSELECT 1;\n```";
  AppendSentence(b, "Be brief.");
  EXPECT_EQ(b, "Do it:\n```sql\nSELECT 1;\n```\nBe brief.");
  EXPECT_EQ(KeyWords("How to cook the food and cook it well", 5),
            (std::vector<std::string>{"cook", "food"}));
}

// The model relies on these: only concretizing changes the number of general words, and
// every added sentence is recognisable again.
TEST(SimLexiconTest, InvariantsTheModelReliesOn) {
  for (const Template& t : ConstraintTemplates()) {
    EXPECT_FALSE(HasGeneralWord(t.text)) << t.text;
    bool opener = false;
    for (std::string_view o : ConstraintOpeners()) opener = opener || t.text.starts_with(o);
    EXPECT_TRUE(opener) << t.text;
    EXPECT_EQ(ExtractFeatures(FillTemplate(t.text, "", "", t.lo)).constraints, 1) << t.text;
  }
  for (std::string_view s : ReasoningSentences()) {
    EXPECT_FALSE(HasGeneralWord(s)) << s;
    EXPECT_EQ(ExtractFeatures(s).reasoning, 1) << s;
  }
  for (const Template& t : DeepeningTemplates()) {
    EXPECT_FALSE(HasGeneralWord(t.text)) << t.text;
    EXPECT_EQ(ExtractFeatures(t.text).deepening, 1) << t.text;
  }
  for (std::string_view a : Aspects()) EXPECT_FALSE(HasGeneralWord(a)) << a;
  for (const GeneralWord& g : GeneralWords()) {
    EXPECT_EQ(FindGeneralWord(g.word), &g);
    for (std::string_view s : g.specifics) {
      EXPECT_FALSE(HasGeneralWord(s)) << g.word << " -> " << s;
      int content = 0;
      ForEachWord(s, [&](std::string_view w, size_t, size_t) { content += IsContentWord(w); });
      EXPECT_GE(content, 3) << s;
    }
  }
  for (std::string_view t : BreadthTemplates()) EXPECT_NE(t.find("{topic}"), std::string::npos);
  for (size_t d = 0; d < Domains().size(); ++d) {
    for (std::string_view kw : Domains()[d].keywords) {
      EXPECT_GE(DomainOfWord(kw), 0) << kw;
    }
  }
  EXPECT_EQ(DomainOfWord("sourdough"), 0);  // a topic word of cooking
  EXPECT_EQ(DomainOfWord("zzzz"), -1);
}

}  // namespace
}  // namespace teamsrl::llm::sim
