#include "pipeline/checkpoint.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/bytes.h"
#include "io/safe_file.h"

namespace teamsrl::pipeline {
namespace {

// Format 2 added each actor's observation filter (policy.obs_filter_schedule: step).
constexpr std::string_view kMagic = "TRSLCKP2";
constexpr std::string_view kOlderMagic = "TRSLCKP1";
constexpr size_t kHeader = 8 + 8 + 8;

void PutRows(ByteWriter& w, const io::RowCounts& r) {
  for (int64_t v : {r.iterations, r.episodes, r.steps, r.calls, r.samples, r.texts}) w.Put(v);
}

io::RowCounts GetRows(ByteReader& r) {
  io::RowCounts c;
  for (int64_t* v : {&c.iterations, &c.episodes, &c.steps, &c.calls, &c.samples, &c.texts}) {
    *v = r.Get<int64_t>();
  }
  return c;
}

void PutTotals(ByteWriter& w, const Totals& t) {
  for (int r = 0; r < llm::kNumRoles; ++r) {
    w.Put(t.queries[r]);
    w.Put(t.prompt_tokens[r]);
    w.Put(t.completion_tokens[r]);
    w.Put(t.cached_prompt_tokens[r]);
    w.Put(t.cached_completion_tokens[r]);
  }
}

Totals GetTotals(ByteReader& r) {
  Totals t;
  for (int k = 0; k < llm::kNumRoles; ++k) {
    t.queries[k] = r.Get<int64_t>();
    t.prompt_tokens[k] = r.Get<int64_t>();
    t.completion_tokens[k] = r.Get<int64_t>();
    t.cached_prompt_tokens[k] = r.Get<int64_t>();
    t.cached_completion_tokens[k] = r.Get<int64_t>();
  }
  return t;
}

// Leaf values of a YAML document by dotted key (sequences as their flow text).
void Flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
    return;
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  (*out)[prefix] = e.c_str();
}

bool ResumeMayChange(const std::string& key) {
  static const char* const kKeys[] = {
      "run.out_dir",      "run.progress_interval_s", "run.malformed_reply_warn_share",
      "train.iterations", "train.checkpoint_every",  "train.snapshot_every"};
  return key.starts_with("budget.") ||
         std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

}  // namespace

void PutActorState(ByteWriter& w, const ActorState& a) {
  for (uint64_t s : a.rng.state) w.Put(s);
  w.Put<int8_t>(a.rng.has_cached_normal ? 1 : 0);
  w.Put(a.rng.cached_normal);
  w.PutString(a.instruction);
  w.PutVector(a.obs_filter);
}

ActorState GetActorState(ByteReader& r) {
  ActorState a;
  for (uint64_t& s : a.rng.state) s = r.Get<uint64_t>();
  a.rng.has_cached_normal = r.Get<int8_t>() != 0;
  a.rng.cached_normal = r.Get<double>();
  a.instruction = r.GetString();
  a.obs_filter = r.GetVector<double>();
  return a;
}

std::string EncodeCheckpoint(const TrainCheckpoint& c) {
  ByteWriter w;
  w.PutString(c.config_yaml);
  w.Put(c.iterations_done);
  w.PutVector(c.policy);
  w.PutVector(c.value);
  w.PutVector(c.optimizer);
  w.PutVector(c.filter);
  w.Put<uint64_t>(c.actors.size());
  for (const ActorState& a : c.actors) PutActorState(w, a);
  PutTotals(w, c.totals);
  w.Put(c.failed_calls);
  w.Put(c.limit_wait_s);
  PutRows(w, c.rows);
  w.Put(c.wall_s);
  w.Put(c.last_mean_return);
  w.Put(c.restarts);
  for (int64_t s : c.stops) w.Put(s);
  const std::string payload = w.Take();
  ByteWriter header;
  header.Put<uint64_t>(payload.size());
  header.Put<uint64_t>(HashBytes(payload));
  return std::string(kMagic) + header.Take() + payload;
}

Result<TrainCheckpoint> DecodeCheckpoint(std::string_view bytes, const std::string& what) {
  if (bytes.substr(0, kOlderMagic.size()) == kOlderMagic) {
    return DataLoss(what +
                    " was written by an older teamsrl (checkpoint format 1); finish the run "
                    "with that version, or start over with --overwrite");
  }
  if (bytes.size() < kHeader || bytes.substr(0, kMagic.size()) != kMagic) {
    return DataLoss(what +
                    " is not a teamsrl checkpoint (or is truncated); start over with "
                    "--overwrite, or restore the file");
  }
  ByteReader head(bytes.substr(kMagic.size(), 16));
  const auto size = head.Get<uint64_t>();
  const auto hash = head.Get<uint64_t>();
  const std::string_view payload = bytes.substr(kHeader);
  if (payload.size() != size || HashBytes(payload) != hash) {
    return DataLoss(what + " is damaged (" + std::to_string(payload.size()) + " of " +
                    std::to_string(size) + " payload bytes, checksum " +
                    (HashBytes(payload) == hash ? "ok" : "wrong") +
                    "); start over with --overwrite, or restore the file");
  }
  // The checksum matched, so the payload is what EncodeCheckpoint wrote.
  ByteReader r(payload);
  TrainCheckpoint c;
  c.config_yaml = r.GetString();
  c.iterations_done = r.Get<int64_t>();
  c.policy = r.GetVector<double>();
  c.value = r.GetVector<double>();
  c.optimizer = r.GetVector<double>();
  c.filter = r.GetVector<double>();
  c.actors.resize(r.Get<uint64_t>());
  for (ActorState& a : c.actors) a = GetActorState(r);
  c.totals = GetTotals(r);
  c.failed_calls = r.Get<int64_t>();
  c.limit_wait_s = r.Get<double>();
  c.rows = GetRows(r);
  c.wall_s = r.Get<double>();
  c.last_mean_return = r.Get<double>();
  c.restarts = r.Get<int64_t>();
  for (int64_t& s : c.stops) s = r.Get<int64_t>();
  if (!r.done()) return DataLoss(what + ": trailing bytes after the checkpoint");
  return c;
}

Status WriteCheckpoint(const std::string& path, const TrainCheckpoint& checkpoint) {
  return io::WriteFileAtomically(path, EncodeCheckpoint(checkpoint), /*replace=*/true);
}

Result<TrainCheckpoint> ReadCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("no checkpoint at " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return DataLoss("cannot read checkpoint " + path);
  return DecodeCheckpoint(s.str(), "checkpoint " + path);
}

std::vector<std::string> ResumeConfigDifferences(const std::string& checkpoint_yaml,
                                                 const std::string& current_yaml) {
  std::map<std::string, std::string> a, b;
  Flatten(YAML::Load(checkpoint_yaml), "", &a);
  Flatten(YAML::Load(current_yaml), "", &b);
  std::vector<std::string> keys;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if ((it == b.end() || it->second != v) && !ResumeMayChange(k)) keys.push_back(k);
  }
  for (const auto& [k, v] : b) {
    if (!a.contains(k) && !ResumeMayChange(k)) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace teamsrl::pipeline
