#include "pipeline/chunk_wire.h"

#include <fmt/format.h>

#include <fstream>

namespace teamsrl::pipeline {

ChunkPart PerSeedPart::Flatten() && {
  ChunkPart part;
  for (size_t i = 0; i < samples.size(); ++i) {
    for (io::SampleLine& s : samples[i]) part.samples.push_back(std::move(s));
    for (ChunkCall& c : calls[i]) part.calls.push_back(std::move(c));
  }
  return part;
}
namespace {

void PutSample(ByteWriter& w, const io::SampleLine& s) {
  w.PutString(s.instruction);
  w.PutString(s.input);
  w.PutString(s.output);
  w.Put<int64_t>(s.seed_index);
  w.Put<int64_t>(s.step);
  w.PutString(s.action);
  w.Put<int64_t>(s.parent);
  w.Put<int64_t>(s.sample_id);
  w.Put<int8_t>(s.eliminated ? 1 : 0);
  w.PutString(s.reason);
  w.Put<int8_t>(s.not_equal.has_value() ? (*s.not_equal ? 1 : 0) : -1);
  w.Put<int64_t>(s.queries);
  w.Put<int8_t>(s.malformed_reply ? 1 : 0);
}

io::SampleLine GetSample(ByteReader& r) {
  io::SampleLine s;
  s.instruction = r.GetString();
  s.input = r.GetString();
  s.output = r.GetString();
  s.seed_index = r.Get<int64_t>();
  s.step = r.Get<int64_t>();
  s.action = r.GetString();
  s.parent = r.Get<int64_t>();
  s.sample_id = r.Get<int64_t>();
  s.eliminated = r.Get<int8_t>() != 0;
  s.reason = r.GetString();
  const auto ne = r.Get<int8_t>();
  if (ne >= 0) s.not_equal = ne == 1;
  s.queries = r.Get<int64_t>();
  s.malformed_reply = r.Get<int8_t>() != 0;
  return s;
}

}  // namespace

// The journal and gather format of a call (same bytes in both).
void PutCall(ByteWriter& w, const ChunkCall& c) {
  w.Put<int64_t>(c.seed_index);
  w.Put<int64_t>(c.step);
  PutCallRecord(w, c.call);
}

ChunkCall GetCall(ByteReader& r) {
  ChunkCall c;
  c.seed_index = r.Get<int64_t>();
  c.step = r.Get<int64_t>();
  c.call = GetCallRecord(r);
  return c;
}

std::string EncodePart(const ChunkPart& part) {
  ByteWriter w;
  w.Put<uint64_t>(part.samples.size());
  for (const io::SampleLine& s : part.samples) PutSample(w, s);
  w.Put<uint64_t>(part.calls.size());
  for (const ChunkCall& c : part.calls) PutCall(w, c);
  return w.Take();
}

void DecodePart(const std::string& bytes, ChunkPart* out) {
  ByteReader r(bytes);
  for (auto n = r.Get<uint64_t>(); n > 0; --n) out->samples.push_back(GetSample(r));
  for (auto n = r.Get<uint64_t>(); n > 0; --n) out->calls.push_back(GetCall(r));
}

// Root, on resume: the committed prefix of the dataset and the journal into the h5 file.
Status Replay(const io::DatasetWriter& writer, const std::string& step_key, Recorder& rec) {
  const std::string dataset = writer.path(io::DatasetWriter::kDatasetFile);
  std::ifstream in(dataset, std::ios::binary);
  if (!in) return NotFound("cannot open " + dataset);
  int64_t pos = 0, line_no = 0;
  std::vector<io::SampleLine> batch;
  std::string line;
  while (pos < writer.committed().dataset_bytes && std::getline(in, line)) {
    ++line_no;
    pos += static_cast<int64_t>(line.size()) + 1;
    Result<io::SampleLine> s = io::ParseSampleLine(line, step_key);
    if (!s.ok()) return DataLoss(fmt::format("{}:{}: {}", dataset, line_no, s.status().message()));
    batch.push_back(std::move(s).value());
    if (batch.size() >= 10000) {
      rec.AddSamples(batch);
      batch.clear();
      TEAMSRL_RETURN_IF_ERROR(rec.Flush());
    }
  }
  rec.AddSamples(batch);
  TEAMSRL_RETURN_IF_ERROR(io::ForEachCallBlock(writer.path(io::DatasetWriter::kCallsFile),
                                               writer.committed().calls_bytes,
                                               [&](std::string_view block) {
                                                 ByteReader r(block);
                                                 while (!r.done()) {
                                                   const ChunkCall c = GetCall(r);
                                                   rec.AddCall(c.step, c.seed_index, c.call);
                                                 }
                                                 return rec.Flush();
                                               }));
  return rec.Flush();
}

}  // namespace teamsrl::pipeline
