// The wire and journal format of `generate` and `baseline`: a rank's part of a chunk
// (samples and calls) as it travels to root and as the call journal stores it, and the
// replay of a committed prefix into the Recorder on resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "io/dataset_writer.h"
#include "pipeline/actor_record.h"
#include "pipeline/recorder.h"

namespace teamsrl::pipeline {

struct ChunkCall {
  int64_t seed_index = 0;
  int64_t step = 0;  // step or round
  CallRecord call;
};

// What a rank produces for its block of a chunk: samples and calls sorted by seed index
// then step.
struct ChunkPart {
  std::vector<io::SampleLine> samples;
  std::vector<ChunkCall> calls;
};

// A chunk's output collected per seed (seed i's samples and calls at [i]), so the part
// comes out in seed order whatever order the calls completed in (docs/architecture.md s.3).
struct PerSeedPart {
  explicit PerSeedPart(size_t seeds) : samples(seeds), calls(seeds) {}
  std::vector<std::vector<io::SampleLine>> samples;
  std::vector<std::vector<ChunkCall>> calls;
  // Seed order, then the order in which each seed's entries were added.
  ChunkPart Flatten() &&;
};

// The call journal's record format (also used for the gather).
void PutCall(ByteWriter& w, const ChunkCall& c);
ChunkCall GetCall(ByteReader& r);
std::string EncodePart(const ChunkPart& part);
// Appends the part's contents to `out`.
void DecodePart(const std::string& bytes, ChunkPart* out);

// The committed prefix of the writer's dataset and call journal into `rec`.
Status Replay(const io::DatasetWriter& writer, const std::string& step_key, Recorder& rec);

}  // namespace teamsrl::pipeline
