#include "evol/prompts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace teamsrl::evol {
namespace {

namespace fs = std::filesystem;

const std::string kShippedDir = std::string(TEAMSRL_SOURCE_DIR) + "/experiments/prompts";

// A scratch prompts directory, removed on destruction.
class TempPromptDir {
 public:
  TempPromptDir() {
    path_ = fs::temp_directory_path() /
            ("teamsrl_prompts_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempPromptDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }
  // A complete, valid set of files.
  void WriteAll() const {
    for (const auto& n : ActionNames()) Write(n + ".txt", "Do " + n + " to: {instruction}\n");
    Write("reviewer.txt", "A: {before}\nB: {after}\n");
    Write("responder.txt", "Be helpful.\n");
  }
  std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(RenderTest, ReplacesEveryPlaceholderInOnePass) {
  EXPECT_EQ(Render("Rewrite: {instruction}. Again: {instruction}", "cook"),
            "Rewrite: cook. Again: cook");
  // Braces in the instruction are data, never expanded again.
  EXPECT_EQ(Render("X {instruction} Y", "use {instruction} and {x}"),
            "X use {instruction} and {x} Y");
  EXPECT_EQ(Render("no slot {other}", "z"), "no slot {other}");
  EXPECT_EQ(RenderReview("1: {before} 2: {after}", "{after}", "b"), "1: {after} 2: b");
}

TEST(PromptSetTest, LoadsShippedTemplates) {
  Result<PromptSet> set = PromptSet::Load(kShippedDir);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  for (int i = 0; i < kNumActions; ++i) {
    const Action a = static_cast<Action>(i);
    ASSERT_TRUE(set->Has(a));
    const std::string& t = set->ActionTemplate(a);
    EXPECT_NE(t.find("{instruction}"), std::string::npos) << ActionName(a);
    // The released code's semantics: the instruction ends the prompt, no system message,
    // a 2048-word cap; every template but complicate_input's short zero-shot one forbids
    // the marker words the elimination rule looks for.
    EXPECT_TRUE(t.ends_with("{instruction}")) << ActionName(a);
    EXPECT_EQ(set->ActionSystem(a), "") << ActionName(a);
    EXPECT_NE(t.find("2048 words"), std::string::npos) << ActionName(a);
    EXPECT_EQ(t.find("#Given Prompt#") != std::string::npos, a != Action::kComplicateInput)
        << ActionName(a);
  }
  EXPECT_NE(set->ActionTemplate(Action::kAddConstraints).find("add or replace only 10 to 20 words"),
            std::string::npos);
  EXPECT_NE(set->ActionTemplate(Action::kDeepening).find("if the instruction asks about"),
            std::string::npos);
  EXPECT_EQ(set->ActionTemplate(Action::kComplicateInput).find("words of prose"),
            std::string::npos);
  EXPECT_NE(set->ActionTemplate(Action::kBreadth).find("creator"), std::string::npos);
  EXPECT_NE(set->reviewer_template().find("\"Not Equal\""), std::string::npos);
  EXPECT_FALSE(set->responder_system().empty());
}

// The baseline's set (experiments/prompts/evol_instruct): WizardLM's semantics, so every
// call has its system message and the prompts end with the given/rewritten framing's cue.
TEST(PromptSetTest, EvolInstructSetHasWizardLMsShape) {
  Result<PromptSet> set = PromptSet::Load(kShippedDir + "/evol_instruct");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const std::string system = "You are an assistant who helps with whatever the user asks.";
  for (int i = 0; i < kNumActions; ++i) {
    const Action a = static_cast<Action>(i);
    ChatPrompt p = set->Rewriter(a, "Sort the list.\r\n3, 1, 2");
    EXPECT_EQ(p.system, system) << ActionName(a);
    const bool breadth = a == Action::kBreadth;
    const std::string given = breadth ? "#Given Prompt#:\n" : "#The Given Prompt#:\n";
    const std::string cue = breadth ? "\n#Created Prompt#:" : "\n#Rewritten Prompt#:";
    EXPECT_TRUE(p.user.ends_with(given + "Sort the list.\r\n3, 1, 2" + cue)) << p.user;
    EXPECT_EQ(p.user.find("2048"), std::string::npos) << ActionName(a);  // not WizardLM's
    if (!breadth) {
      EXPECT_NE(p.user.find("10 to 20 words"), std::string::npos) << ActionName(a);
    }
  }
  EXPECT_EQ(set->Reviewer("a", "b").system, system);
  EXPECT_NE(set->Reviewer("a", "b").user.find("same depth and breadth"), std::string::npos);
  EXPECT_EQ(set->Responder("q").system, system);
}

TEST(PromptSetTest, BuildsChatMessagesPerRole) {
  Result<PromptSet> set = PromptSet::Load(kShippedDir);
  ASSERT_TRUE(set.ok());
  ChatPrompt rw = set->Rewriter(Action::kDeepening, "How to cook food?");
  EXPECT_EQ(rw.system, "");  // one user message, as in the released code
  EXPECT_NE(rw.user.find("How to cook food?"), std::string::npos);
  // The instruction is the prompt's end: no cue after it (docs/method.md s.3).
  EXPECT_TRUE(rw.user.ends_with("How to cook food?")) << rw.user;
  EXPECT_EQ(rw.user.find("{instruction}"), std::string::npos);

  // The shipped reviewer asks whether the two are equal, with no system message (the
  // released code's question); the alternative asks whether the second adds information
  // and sets its system message in the template.
  ChatPrompt rv = set->Reviewer("old text", "new text");
  EXPECT_EQ(rv.system, "");
  EXPECT_LT(rv.user.find("old text"), rv.user.find("new text"));
  EXPECT_NE(rv.user.find("Are they equal"), std::string::npos);
  EXPECT_NE(rv.user.find("same constraints and requirements"), std::string::npos);
  EXPECT_TRUE(rv.user.ends_with("Answer:"));
  Result<PromptSet> adds =
      PromptSet::Load(kShippedDir, ActionSet(), "reviewer_adds_information.txt");
  ASSERT_TRUE(adds.ok()) << adds.status().ToString();
  ChatPrompt ra = adds->Reviewer("old text", "new text");
  EXPECT_EQ(ra.system,
            "You are a strict judge of instructions. Reply with one verdict and nothing else.");
  EXPECT_TRUE(
      ra.user.starts_with("Below are two instructions. Decide whether the second one "
                          "adds information"));
  EXPECT_EQ(ra.user.find("[user]"), std::string::npos);

  ChatPrompt rs = set->Responder("How to cook food?");
  EXPECT_EQ(rs.system, set->responder_system());
  EXPECT_EQ(rs.user, "How to cook food?");
}

TEST(PromptSetTest, SystemSectionOfATemplate) {
  Result<ChatPrompt> plain = SplitSystemSection("Compare {before} with {after}", "t.txt");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->system, "");
  EXPECT_EQ(plain->user, "Compare {before} with {after}");
  Result<ChatPrompt> both =
      SplitSystemSection("[system]\nBe brief.\nReally.\n\n[user]\nQ {before}", "t.txt");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->system, "Be brief.\nReally.");
  EXPECT_EQ(both->user, "Q {before}");
  Result<ChatPrompt> empty_system = SplitSystemSection("[system]\n[user]\nQ", "t.txt");
  ASSERT_TRUE(empty_system.ok());
  EXPECT_EQ(empty_system->system, "");
  EXPECT_EQ(empty_system->user, "Q");
  Result<ChatPrompt> no_user = SplitSystemSection("[system]\nBe brief.\nQ {before}", "t.txt");
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().message(),
            "prompt template t.txt starts with [system] but has no [user] line after it");
}

TEST(PromptSetTest, MissingFileErrorNamesIt) {
  TempPromptDir dir;
  dir.WriteAll();
  fs::remove(fs::path(dir.str()) / "concretizing.txt");
  Result<PromptSet> set = PromptSet::Load(dir.str());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kNotFound);
  EXPECT_NE(set.status().message().find("concretizing.txt"), std::string::npos);

  // A subset of actions does not need the missing file.
  Result<ActionSet> actions = ActionSet::FromNames({"breadth", "deepening"});
  ASSERT_TRUE(actions.ok());
  Result<PromptSet> subset = PromptSet::Load(dir.str(), *actions);
  ASSERT_TRUE(subset.ok()) << subset.status().ToString();
  EXPECT_TRUE(subset->Has(Action::kDeepening));
  EXPECT_FALSE(subset->Has(Action::kConcretizing));
}

TEST(PromptSetTest, MissingDirectoryAndPlaceholderErrors) {
  Result<PromptSet> none = PromptSet::Load("/nonexistent/teamsrl/prompts");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("/nonexistent/teamsrl/prompts"), std::string::npos);

  TempPromptDir dir;
  dir.WriteAll();
  dir.Write("deepening.txt", "Deepen the instruction.\n");
  Result<PromptSet> no_slot = PromptSet::Load(dir.str());
  ASSERT_FALSE(no_slot.ok());
  EXPECT_EQ(no_slot.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_slot.status().message().find("deepening.txt"), std::string::npos);
  EXPECT_NE(no_slot.status().message().find("{instruction}"), std::string::npos);

  dir.WriteAll();
  dir.Write("reviewer.txt", "Compare {before} with the other one.");
  Result<PromptSet> no_after = PromptSet::Load(dir.str());
  ASSERT_FALSE(no_after.ok());
  EXPECT_NE(no_after.status().message().find("{after}"), std::string::npos);

  dir.WriteAll();
  dir.Write("responder.txt", "  \n");
  Result<PromptSet> empty = PromptSet::Load(dir.str());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("responder.txt is empty"), std::string::npos);
}

TEST(PromptSetTest, TrailingWhitespaceIsDropped) {
  TempPromptDir dir;
  dir.WriteAll();
  Result<PromptSet> set = PromptSet::Load(dir.str());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->ActionTemplate(Action::kBreadth), "Do breadth to: {instruction}");
  EXPECT_EQ(set->Rewriter(Action::kBreadth, "x").user, "Do breadth to: x");
}

}  // namespace
}  // namespace teamsrl::evol
