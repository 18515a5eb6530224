#include "dist/layout.h"

#include <gtest/gtest.h>

namespace teamsrl::dist {
namespace {

TEST(LayoutTest, BlocksCoverEveryActorOnceInOrder) {
  for (int actors : {0, 1, 5, 16, 17}) {
    for (int world : {1, 2, 3, 4, 7}) {
      int next = 0;
      for (int r = 0; r < world; ++r) {
        ActorRange range = LocalActors(actors, world, r);
        EXPECT_EQ(range.begin, next) << actors << " " << world << " " << r;
        EXPECT_GE(range.size(), actors / world);
        EXPECT_LE(range.size(), actors / world + 1);
        next = range.end;
      }
      EXPECT_EQ(next, actors);
    }
  }
}

TEST(LayoutTest, ExtraActorsGoToFirstRanks) {
  EXPECT_EQ(LocalActors(5, 2, 0).size(), 3);
  EXPECT_EQ(LocalActors(5, 2, 1).size(), 2);
  EXPECT_EQ(LocalActors(1, 4, 3).size(), 0);
}

}  // namespace
}  // namespace teamsrl::dist
