#include "evol/actions.h"

#include <gtest/gtest.h>

namespace teamsrl::evol {
namespace {

TEST(ActionsTest, CatalogueOrderAndNames) {
  const std::vector<std::string> expected = {
      "breadth",      "add_constraints",    "deepening",
      "concretizing", "increase_reasoning", "complicate_input"};
  EXPECT_EQ(ActionNames(), expected);
  for (int i = 0; i < kNumActions; ++i) {
    const Action a = static_cast<Action>(i);
    EXPECT_EQ(ActionName(a), expected[i]);
    Result<Action> back = ActionFromName(expected[i]);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, a);
  }
  EXPECT_FALSE(IsInDepth(Action::kBreadth));
  EXPECT_TRUE(IsInDepth(Action::kComplicateInput));
}

TEST(ActionsTest, UnknownNameIsInvalidArgumentNamingIt) {
  Result<Action> a = ActionFromName("widening");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("'widening'"), std::string::npos);
  EXPECT_NE(a.status().message().find("complicate_input"), std::string::npos);
}

TEST(ActionSetTest, DefaultIsFullCatalogue) {
  ActionSet set;
  ASSERT_EQ(set.size(), kNumActions);
  for (int i = 0; i < kNumActions; ++i) {
    EXPECT_EQ(set.at(i), static_cast<Action>(i));
    EXPECT_EQ(set.IndexOf(static_cast<Action>(i)), i);
  }
  EXPECT_EQ(set.Names(), ActionNames());
}

TEST(ActionSetTest, SubsetAndOrderMapPolicyIndexToCatalogue) {
  Result<ActionSet> set = ActionSet::FromNames({"concretizing", "breadth", "add_constraints"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->size(), 3);
  EXPECT_EQ(set->at(0), Action::kConcretizing);
  EXPECT_EQ(set->at(1), Action::kBreadth);
  EXPECT_EQ(set->at(2), Action::kAddConstraints);
  EXPECT_EQ(set->IndexOf(Action::kBreadth), 1);
  EXPECT_FALSE(set->Contains(Action::kDeepening));
  EXPECT_EQ(set->Names(), (std::vector<std::string>{"concretizing", "breadth", "add_constraints"}));
}

TEST(ActionSetTest, ErrorsNameTheOffender) {
  Result<ActionSet> unknown = ActionSet::FromNames({"breadth", "deepen"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("env.actions[1]"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("'deepen'"), std::string::npos);

  Result<ActionSet> dup = ActionSet::FromNames({"breadth", "deepening", "breadth"});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("duplicate action 'breadth'"), std::string::npos);
  EXPECT_NE(dup.status().message().find("env.actions[2]"), std::string::npos);

  Result<ActionSet> empty = ActionSet::FromNames({});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
}

TEST(ActionSetDeathTest, OutOfRangeIndexIsAProgrammerError) {
  ActionSet set;
  EXPECT_DEATH((void)set.at(6), "out of range");
}

}  // namespace
}  // namespace teamsrl::evol
