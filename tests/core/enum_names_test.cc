#include "core/enum_names.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

namespace teamsrl {
namespace {

enum class Fruit : int { kApple = 0, kPear = 1, kPlum = 2 };

}  // namespace
}  // namespace teamsrl

template <>
struct teamsrl::EnumNameTable<teamsrl::Fruit> {
  static constexpr std::string_view kNames[] = {"apple", "pear", "plum"};
};

namespace teamsrl {
namespace {

TEST(EnumNamesTest, NamesRoundTripInDeclarationOrder) {
  ASSERT_EQ(EnumNames<Fruit>().size(), 3u);
  for (Fruit f : {Fruit::kApple, Fruit::kPear, Fruit::kPlum}) {
    EXPECT_EQ(EnumFromName<Fruit>(EnumName(f)), f);
  }
  EXPECT_EQ(EnumName(Fruit::kPear), "pear");
  EXPECT_EQ(EnumChoices<Fruit>(), "apple|pear|plum");
}

TEST(EnumNamesTest, UnknownNamesAndValues) {
  EXPECT_EQ(EnumFromName<Fruit>("Pear"), std::nullopt);  // names are exact
  EXPECT_EQ(EnumFromName<Fruit>(""), std::nullopt);
  EXPECT_EQ(EnumName(static_cast<Fruit>(7)), "?");
}

static_assert(EnumName(Fruit::kPlum) == "plum", "usable in constant expressions");

}  // namespace
}  // namespace teamsrl
