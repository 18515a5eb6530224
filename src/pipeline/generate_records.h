// Root's record keeping for `generate` and `baseline`: the wire/journal format of samples
// and calls, the HDF5 rows they become (/dataset/samples, /llm/calls, /budget), the
// per-role totals, budget caps, and the replay of a committed prefix on resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/config.h"
#include "core/status.h"
#include "io/run_file.h"
#include "llm/types.h"
#include "pipeline/actor_record.h"
#include "pipeline/budget.h"
#include "pipeline/dataset_writer.h"

namespace teamsrl::pipeline {

struct ChunkCall {
  int64_t seed_index = 0;
  int64_t step = 0;  // step or round
  CallRecord call;
};

// What a rank produces for its block of a chunk: samples and calls sorted by seed index
// then step.
struct ChunkPart {
  std::vector<SampleLine> samples;
  std::vector<ChunkCall> calls;
};

// The call journal's record format (also used for the gather).
void PutCall(ByteWriter& w, const ChunkCall& c);
ChunkCall GetCall(ByteReader& r);
std::string EncodePart(const std::string& error, const ChunkPart& part);
// Appends the part's contents to `out`; returns its error ("" if none).
std::string DecodePart(const std::string& bytes, ChunkPart* out);

class Recorder {
 public:
  Recorder(const Config& config, io::RunFile file) : config_(config), file_(std::move(file)) {}

  void AddSamples(const std::vector<SampleLine>& samples);
  void AddCalls(const std::vector<ChunkCall>& calls);
  // Writes /budget and flushes the file.
  Status Flush();

  io::RunFile& file() { return file_; }
  const Totals& totals() const { return totals_; }
  int64_t samples() const { return samples_; }
  int64_t eliminated() const { return eliminated_; }

 private:
  const Config& config_;
  io::RunFile file_;
  Totals totals_;
  int64_t samples_ = 0;
  int64_t eliminated_ = 0;
};

// The committed prefix of the writer's dataset and call journal into `rec`.
Status Replay(const DatasetWriter& writer, const std::string& step_key, Recorder& rec);

}  // namespace teamsrl::pipeline
