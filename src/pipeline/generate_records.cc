#include "pipeline/generate_records.h"

#include <fmt/format.h>

#include <fstream>

#include "evol/actions.h"
#include "evol/elimination.h"

namespace teamsrl::pipeline {
namespace {

void PutSample(ByteWriter& w, const SampleLine& s) {
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
}

SampleLine GetSample(ByteReader& r) {
  SampleLine s;
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
  return s;
}

int32_t IndexIn(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace

// The journal and gather format of a call (same bytes in both).
void PutCall(ByteWriter& w, const ChunkCall& c) {
  w.Put<int64_t>(c.seed_index);
  w.Put<int64_t>(c.step);
  w.Put<int32_t>(c.call.role);
  w.Put<int32_t>(c.call.status);
  w.Put<int32_t>(c.call.http_status);
  w.Put<int32_t>(c.call.attempts);
  w.Put<int8_t>(c.call.cached);
  w.Put<double>(c.call.latency_ms);
  w.Put<int64_t>(c.call.prompt_tokens);
  w.Put<int64_t>(c.call.completion_tokens);
  w.PutString(c.call.error);
}

ChunkCall GetCall(ByteReader& r) {
  ChunkCall c;
  c.seed_index = r.Get<int64_t>();
  c.step = r.Get<int64_t>();
  c.call.role = r.Get<int32_t>();
  c.call.status = r.Get<int32_t>();
  c.call.http_status = r.Get<int32_t>();
  c.call.attempts = r.Get<int32_t>();
  c.call.cached = r.Get<int8_t>();
  c.call.latency_ms = r.Get<double>();
  c.call.prompt_tokens = r.Get<int64_t>();
  c.call.completion_tokens = r.Get<int64_t>();
  c.call.error = r.GetString();
  return c;
}

std::string EncodePart(const std::string& error, const ChunkPart& part) {
  ByteWriter w;
  w.PutString(error);
  w.Put<uint64_t>(part.samples.size());
  for (const SampleLine& s : part.samples) PutSample(w, s);
  w.Put<uint64_t>(part.calls.size());
  for (const ChunkCall& c : part.calls) PutCall(w, c);
  return w.Take();
}

// Appends the part's contents to `out`; returns its error ("" if none).
std::string DecodePart(const std::string& bytes, ChunkPart* out) {
  ByteReader r(bytes);
  std::string error = r.GetString();
  for (auto n = r.Get<uint64_t>(); n > 0; --n) out->samples.push_back(GetSample(r));
  for (auto n = r.Get<uint64_t>(); n > 0; --n) out->calls.push_back(GetCall(r));
  return error;
}

// Root, on resume: the committed prefix of the dataset and the journal into the h5 file.
Status Replay(const DatasetWriter& writer, const std::string& step_key, Recorder& rec) {
  const std::string dataset = writer.path(DatasetWriter::kDatasetFile);
  std::ifstream in(dataset, std::ios::binary);
  if (!in) return NotFound("cannot open " + dataset);
  int64_t pos = 0, line_no = 0;
  std::vector<SampleLine> batch;
  std::string line;
  while (pos < writer.committed().dataset_bytes && std::getline(in, line)) {
    ++line_no;
    pos += static_cast<int64_t>(line.size()) + 1;
    Result<SampleLine> s = ParseSampleLine(line, step_key);
    if (!s.ok()) return DataLoss(fmt::format("{}:{}: {}", dataset, line_no, s.status().message()));
    batch.push_back(std::move(s).value());
    if (batch.size() >= 10000) {
      rec.AddSamples(batch);
      batch.clear();
      TEAMSRL_RETURN_IF_ERROR(rec.Flush());
    }
  }
  rec.AddSamples(batch);
  TEAMSRL_RETURN_IF_ERROR(ForEachCallBlock(writer.path(DatasetWriter::kCallsFile),
                                           writer.committed().calls_bytes,
                                           [&](std::string_view block) {
                                             ByteReader r(block);
                                             std::vector<ChunkCall> calls;
                                             while (!r.done()) calls.push_back(GetCall(r));
                                             rec.AddCalls(calls);
                                             return rec.Flush();
                                           }));
  return rec.Flush();
}

void Recorder::AddSamples(const std::vector<SampleLine>& samples) {
  std::vector<io::SampleRow> rows;
  rows.reserve(samples.size());
  for (const SampleLine& s : samples) {
    io::SampleRow row;
    row.sample_id = s.sample_id;
    row.seed_index = s.seed_index;
    row.round_or_step = s.step;
    row.action = IndexIn(evol::ActionNames(), s.action);
    row.instruction_id = file_.AddText(s.instruction);
    row.response_id = file_.AddText(s.output);
    row.eliminated = s.eliminated ? 1 : 0;
    row.reason = IndexIn(evol::EliminationReasonNames(), s.reason);
    rows.push_back(row);
    eliminated_ += s.eliminated ? 1 : 0;
  }
  samples_ += static_cast<int64_t>(samples.size());
  file_.AppendSamples(rows);
}

void Recorder::AddCalls(const std::vector<ChunkCall>& calls) {
  std::vector<io::CallRow> rows;
  rows.reserve(calls.size());
  for (const ChunkCall& c : calls) {
    io::CallRow row;
    row.iteration = c.step;
    row.actor = c.seed_index;
    row.role = c.call.role;
    row.status = c.call.status;
    row.http_status = c.call.http_status;
    row.attempts = c.call.attempts;
    row.latency_ms = c.call.latency_ms;
    row.prompt_tokens = c.call.prompt_tokens;
    row.completion_tokens = c.call.completion_tokens;
    row.cached = c.call.cached;
    row.endpoint = c.call.role;  // the endpoint table lists the roles' endpoints
    row.error_id = c.call.error.empty() ? -1 : file_.AddText(c.call.error);
    rows.push_back(row);
    totals_.queries[c.call.role] += 1;
    totals_.prompt_tokens[c.call.role] += c.call.prompt_tokens;
    totals_.completion_tokens[c.call.role] += c.call.completion_tokens;
  }
  file_.AppendCalls(rows);
}

Status Recorder::Flush() {
  TEAMSRL_RETURN_IF_ERROR(file_.WriteBudget(BudgetRows(config_, totals_)));
  return file_.Flush();
}

}  // namespace teamsrl::pipeline
