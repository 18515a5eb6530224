// Where logical actors live. Actors are split into contiguous blocks, rank r holding
// [begin, end), so concatenating the ranks' results in rank order gives actor order.
#pragma once

namespace teamsrl::dist {

struct ActorRange {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
};

// Block layout of `num_actors` over `world_size` ranks: the first (A mod P) ranks hold one
// actor more. A rank may hold none when there are more ranks than actors.
ActorRange LocalActors(int num_actors, int world_size, int rank);

// The same layout of whole groups of `group` consecutive actors (the last group may be
// short): rank r's range starts and ends at a group boundary, so a group never straddles
// two ranks whatever their number (`dist.block_actors`, docs/architecture.md "The
// learner's sums"). group = 1 is LocalActors.
ActorRange LocalActorGroups(int num_actors, int group, int world_size, int rank);

}  // namespace teamsrl::dist
