#include "pipeline/generate_chunks.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/rng.h"
#include "dist/layout.h"
#include "dist/protocol.h"
#include "io/run_file.h"
#include "pipeline/call_checks.h"
#include "pipeline/progress.h"
#include "pipeline/recorder.h"

namespace teamsrl::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// Every rank's view of the seed stream: the file, or the single initial instruction.
class SeedStream {
 public:
  // `max_seeds` > 0: the stream ends after that many seeds.
  static Result<SeedStream> Open(const Config& config, int64_t max_seeds = 0) {
    SeedStream s;
    s.remaining_ = max_seeds > 0 ? max_seeds : -1;
    if (config.env.seeds.path.empty()) {
      s.single_ = io::Seed{0, config.env.initial_instruction, "", 0};
    } else {
      TEAMSRL_ASSIGN_OR_RETURN(s.reader_, io::SeedReader::Open(config.env.seeds));
    }
    return s;
  }
  Result<bool> Next(io::Seed* seed) {
    if (remaining_ == 0) return false;
    if (remaining_ > 0) --remaining_;
    if (reader_) return reader_->Next(seed);
    if (!single_) return false;
    *seed = *single_;
    single_.reset();
    return true;
  }

 private:
  std::unique_ptr<io::SeedReader> reader_;
  std::optional<io::Seed> single_;
  int64_t remaining_ = -1;  // seeds left to hand out, -1 = unlimited
};

}  // namespace

std::string Fingerprint(const Config& config, const std::string& extra) {
  YAML::Node doc = YAML::Load(config.resolved_yaml);
  if (doc["run"]) doc["run"].remove("out_dir");
  doc.remove("budget");
  if (doc["train"]) doc["train"].remove("progress_interval_s");
  YAML::Emitter out;
  out << doc;
  return fmt::format("{:016x}", HashBytes(std::string(out.c_str()) + "\n" + extra));
}

namespace {

// Root: opens the output directory and the h5 file, replaying a committed prefix.
Status OpenOutputs(const Config& config, const ChunkedRunSpec& spec,
                   const std::vector<std::string>& hosts, const std::string& out_dir,
                   std::optional<DatasetWriter>* writer, std::optional<Recorder>* rec) {
  TEAMSRL_ASSIGN_OR_RETURN(DatasetWriter w,
                           DatasetWriter::Open(out_dir, spec.fingerprint, spec.overwrite));
  writer->emplace(std::move(w));
  const std::string h5 = (std::filesystem::path(out_dir) / (spec.kind + ".h5")).string();
  // seeds in flight per chunk are the logical actors
  const RunContext context{spec.command, hosts, spec.chunk_size};
  TEAMSRL_ASSIGN_OR_RETURN(io::RunFile file,
                           io::RunFile::Create(h5, MakeRootAttributes(config, context)));
  for (const auto& [name, value] : spec.attributes) {
    TEAMSRL_RETURN_IF_ERROR(file.SetAttribute(name, value));
  }
  TEAMSRL_RETURN_IF_ERROR(file.SetAttribute("resumed_from_seed", (*writer)->committed().next_seed));
  rec->emplace(config, std::move(file));
  if ((*writer)->resumed()) TEAMSRL_RETURN_IF_ERROR(Replay(**writer, spec.step_key, **rec));
  return (*rec)->Flush();
}

int64_t CountSeeds(const Config& config, int64_t max_seeds) {
  Result<SeedStream> s = SeedStream::Open(config, max_seeds);
  if (!s.ok()) return 0;
  io::Seed seed;
  int64_t n = 0;
  while (true) {
    Result<bool> got = s->Next(&seed);
    if (!got.ok() || !*got) break;
    ++n;
  }
  return n;
}

// Root: commits one gathered chunk (dataset, journal, h5 rows) and decides what every
// rank does next. The payload says why the run stops: 'd' every seed done, 'b' a budget
// cap reached.
dist::Decision CommitChunk(const Config& config, const ChunkedRunSpec& spec,
                           const dist::Gathered& gathered, const std::vector<io::Seed>& chunk,
                           DatasetWriter& writer, Recorder& rec, Progress* progress,
                           int64_t* done_seeds) {
  dist::Decision d;
  d.status = gathered.status;
  if (!d.status.ok()) return d;
  if (chunk.empty()) {
    d.stop = true;
    d.payload = "d";
    return d;
  }
  ChunkPart all;
  for (const std::string& bytes : gathered.payloads) DecodePart(bytes, &all);
  std::string lines;
  for (const SampleLine& s : all.samples) lines += SampleLineJson(s, spec.step_key);
  ByteWriter cw;
  for (const ChunkCall& c : all.calls) PutCall(cw, c);
  Status st = writer.Commit(lines, cw.Take(), chunk.back().index + 1,
                            static_cast<int64_t>(all.samples.size()));
  CallTally tally;
  if (st.ok()) {
    rec.AddSamples(all.samples);
    for (const ChunkCall& c : all.calls) {
      rec.AddCall(c.step, c.seed_index, c.call);
      tally.Add({c.call});
    }
    st = rec.Flush();
  }
  if (!st.ok()) {
    d.status = dist::NameRank(st, 0);
    return d;
  }
  *done_seeds = chunk.back().index + 1;
  d.status = CheckFailedShare(tally, config.llm.max_failed_share);
  const std::string note = BudgetReached(config, rec.totals());
  if (!note.empty()) {
    spdlog::warn("stopping after seed {}: {}", *done_seeds, note);
    d.stop = true;
    d.payload = "b";
  }
  if (progress) {
    progress->Update(*done_seeds, fmt::format("samples {} | queries {}", rec.samples(),
                                              rec.totals().all_queries()));
  }
  return d;
}

// This rank's block of the next chunk, read from every rank's own seed stream.
Status NextChunk(SeedStream& seeds, int chunk_size, std::vector<io::Seed>* chunk) {
  io::Seed seed;
  for (int k = 0; k < chunk_size; ++k) {
    TEAMSRL_ASSIGN_OR_RETURN(bool got, seeds.Next(&seed));
    if (!got) break;
    chunk->push_back(seed);
  }
  return OkStatus();
}

}  // namespace

Result<ChunkedOutcome> RunChunked(const Config& config, const ChunkedRunSpec& spec,
                                  const dist::Comm& comm, const ChunkWorker& worker) {
  const auto start = Clock::now();
  const std::string out_dir = spec.out_dir.empty() ? config.run.out_dir : spec.out_dir;
  ChunkedOutcome outcome;
  outcome.dataset_path = (std::filesystem::path(out_dir) / DatasetWriter::kDatasetFile).string();
  outcome.h5_path = (std::filesystem::path(out_dir) / (spec.kind + ".h5")).string();
  // Every rank reads the seed stream: a bad seed file fails everywhere alike.
  Result<SeedStream> seeds_or = SeedStream::Open(config, spec.max_seeds);
  TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(comm, seeds_or.status()));
  SeedStream seeds = std::move(seeds_or).value();
  TEAMSRL_RETURN_IF_ERROR(
      AgreeOnRunInputs(comm, config, spec.options + " --out " + out_dir, spec.inputs));
  const std::vector<std::string> hosts = comm.HostNames();
  std::optional<DatasetWriter> writer;
  std::optional<Recorder> rec;
  dist::Decision opened;  // root's verdict and the seed to start from
  if (comm.is_root()) {
    opened.status = OpenOutputs(config, spec, hosts, out_dir, &writer, &rec);
    ByteWriter w;
    w.Put<int64_t>(opened.status.ok() ? writer->committed().next_seed : 0);
    opened.payload = w.Take();
  }
  opened = dist::Follow(comm, opened);
  TEAMSRL_RETURN_IF_ERROR(opened.status);
  const auto next_seed = ByteReader(opened.payload).Get<int64_t>();
  outcome.resumed = next_seed > 0;
  io::Seed seed;
  for (int64_t i = 0; i < next_seed; ++i) {  // skip what is committed
    TEAMSRL_ASSIGN_OR_RETURN(bool got, seeds.Next(&seed));
    if (!got) break;
  }
  std::unique_ptr<Progress> progress;
  if (comm.is_root() && !spec.quiet) {
    progress = std::make_unique<Progress>(spec.kind + " " + config.run.name,
                                          CountSeeds(config, spec.max_seeds),
                                          config.train.progress_interval_s);
    if (outcome.resumed) spdlog::info("resuming {} at seed {}", out_dir, next_seed);
  }
  int64_t done_seeds = next_seed;
  dist::Decision d;
  for (int64_t chunk_index = 0; d.status.ok() && !d.stop; ++chunk_index) {
    std::vector<io::Seed> chunk;
    Status local = NextChunk(seeds, spec.chunk_size, &chunk);
    Result<ChunkPart> part = ChunkPart{};
    if (local.ok() && !chunk.empty()) {
      const dist::ActorRange range =
          dist::LocalActors(static_cast<int>(chunk.size()), comm.size(), comm.rank());
      std::vector<io::Seed> mine(chunk.begin() + range.begin, chunk.begin() + range.end);
      part = worker(chunk_index, mine);
      local = part.status();
    }
    const dist::Gathered gathered =
        dist::GatherWithStatus(comm, local, local.ok() ? EncodePart(*part) : std::string());
    if (comm.is_root()) {
      d = CommitChunk(config, spec, gathered, chunk, *writer, *rec, progress.get(), &done_seeds);
    }
    d = dist::Follow(comm, d);
  }
  outcome.status = !d.status.ok()     ? io::RunStatus::kFailed
                   : d.payload == "d" ? io::RunStatus::kCompleted
                                      : io::RunStatus::kBudgetExhausted;
  outcome.error = d.status;
  Status st = OkStatus();
  if (comm.is_root()) {
    st = outcome.status == io::RunStatus::kCompleted ? writer->MarkComplete() : OkStatus();
    if (st.ok()) st = rec->Flush();
    if (!d.status.ok()) (void)rec->file().SetAttribute("error", d.status.message());
    const Status fin = rec->file().Finish(outcome.status);
    if (st.ok()) st = fin;
    outcome.seeds = done_seeds;
    outcome.samples = rec->samples();
    outcome.eliminated = rec->eliminated();
    for (int r = 0; r < llm::kNumRoles; ++r) outcome.queries[r] = rec->totals().queries[r];
    if (progress && d.status.ok() && st.ok()) {
      progress->Finish(fmt::format("{} samples | {}", outcome.samples, outcome.dataset_path));
    }
  }
  // Root's final writes can fail on root alone; every rank must return the same verdict.
  st = dist::ShareRootStatus(comm, dist::NameRank(st, 0));
  if (!st.ok() && outcome.error.ok()) {
    outcome.status = io::RunStatus::kFailed;
    outcome.error = st;
  }
  outcome.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return outcome;
}

}  // namespace teamsrl::pipeline
