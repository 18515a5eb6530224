#include "dist/layout.h"

#include <algorithm>

#include "core/check.h"

namespace teamsrl::dist {

ActorRange LocalActors(int num_actors, int world_size, int rank) {
  TEAMSRL_CHECK(num_actors >= 0 && world_size > 0 && rank >= 0 && rank < world_size)
      << "actors=" << num_actors << " world=" << world_size << " rank=" << rank;
  const int base = num_actors / world_size;
  const int extra = num_actors % world_size;
  ActorRange r;
  r.begin = rank * base + (rank < extra ? rank : extra);
  r.end = r.begin + base + (rank < extra ? 1 : 0);
  return r;
}

ActorRange LocalActorGroups(int num_actors, int group, int world_size, int rank) {
  TEAMSRL_CHECK(group >= 1) << "actor group of " << group;
  const int groups = num_actors / group + (num_actors % group != 0 ? 1 : 0);
  const ActorRange g = LocalActors(groups, world_size, rank);
  return {std::min(g.begin * group, num_actors), std::min(g.end * group, num_actors)};
}

}  // namespace teamsrl::dist
