#include "dist/layout.h"

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

}  // namespace teamsrl::dist
