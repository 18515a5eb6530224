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

TEST(LayoutTest, GroupsNeverStraddleRanks) {
  for (int actors : {0, 1, 5, 16, 17, 64}) {
    for (int group : {1, 2, 3, 16, 100}) {
      for (int world : {1, 2, 3, 4, 8}) {
        int next = 0;
        for (int r = 0; r < world; ++r) {
          const ActorRange range = LocalActorGroups(actors, group, world, r);
          EXPECT_EQ(range.begin, next) << actors << " " << group << " " << world << " " << r;
          EXPECT_GE(range.size(), 0);
          EXPECT_TRUE(range.begin % group == 0 || range.begin == actors);
          EXPECT_TRUE(range.end % group == 0 || range.end == actors);
          next = range.end;
        }
        EXPECT_EQ(next, actors);
      }
    }
  }
}

TEST(LayoutTest, GroupsOfOneAreTheActorLayout) {
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(LocalActorGroups(7, 1, 3, r).begin, LocalActors(7, 3, r).begin);
    EXPECT_EQ(LocalActorGroups(7, 1, 3, r).end, LocalActors(7, 3, r).end);
  }
  // 10 actors in groups of 4 ({0..3}, {4..7}, {8, 9}) over 2 ranks: 8 and 2 actors.
  EXPECT_EQ(LocalActorGroups(10, 4, 2, 0).end, 8);
  EXPECT_EQ(LocalActorGroups(10, 4, 2, 1).size(), 2);
  EXPECT_EQ(LocalActorGroups(10, 4, 4, 3).size(), 0);
}

}  // namespace
}  // namespace teamsrl::dist
