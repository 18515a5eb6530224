#include "pipeline/generate_chunks.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/bytes.h"
#include "core/rng.h"
#include "dist/layout.h"
#include "evol/actions.h"
#include "evol/elimination.h"
#include "io/run_file.h"
#include "pipeline/progress.h"
#include "pipeline/run_info.h"

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

// What root tells every rank after a chunk.
struct Control {
  bool stop = false;
  bool done = false;    // every seed is processed
  bool budget = false;  // a budget cap was reached
  std::string error;
};

std::string EncodeControl(const Control& c) {
  ByteWriter w;
  w.Put<int8_t>(c.stop ? 1 : 0);
  w.Put<int8_t>(c.done ? 1 : 0);
  w.Put<int8_t>(c.budget ? 1 : 0);
  w.PutString(c.error);
  return w.Take();
}

Control DecodeControl(const std::string& bytes) {
  ByteReader r(bytes);
  Control c;
  c.stop = r.Get<int8_t>() != 0;
  c.done = r.Get<int8_t>() != 0;
  c.budget = r.Get<int8_t>() != 0;
  c.error = r.GetString();
  return c;
}

io::RootAttributes Attributes(const Config& config, const ChunkedRunSpec& spec,
                              const dist::Comm& comm, const std::vector<std::string>& hosts) {
  io::RootAttributes a;
  a.command = spec.command;
  a.config_yaml = config.resolved_yaml;
  a.run_name = config.run.name;
  a.seed = config.run.seed;
  a.world_size = comm.size();
  a.actors = spec.chunk_size;  // seeds in flight per chunk (the logical actors)
  for (const std::string& h : hosts) a.hostnames += (a.hostnames.empty() ? "" : ",") + h;
  a.slurm_job_id = EnvOr("SLURM_JOB_ID");
  a.slurm_array_task_id = EnvOr("SLURM_ARRAY_TASK_ID");
  a.started_at = UtcNow();
  a.action_names = evol::ActionNames();
  a.endpoint_names = llm::EndpointNamesByRole(config.llm);
  a.reason_names = evol::EliminationReasonNames();
  return a;
}

// Root: opens the output directory and the h5 file, replaying a committed prefix.
Status OpenOutputs(const Config& config, const ChunkedRunSpec& spec, const dist::Comm& comm,
                   const std::vector<std::string>& hosts, const std::string& out_dir,
                   std::optional<DatasetWriter>* writer, std::optional<Recorder>* rec) {
  TEAMSRL_ASSIGN_OR_RETURN(DatasetWriter w,
                           DatasetWriter::Open(out_dir, spec.fingerprint, spec.overwrite));
  writer->emplace(std::move(w));
  const std::string h5 = (std::filesystem::path(out_dir) / (spec.kind + ".h5")).string();
  TEAMSRL_ASSIGN_OR_RETURN(io::RunFile file,
                           io::RunFile::Create(h5, Attributes(config, spec, comm, hosts)));
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

}  // namespace

Result<ChunkedOutcome> RunChunked(const Config& config, const ChunkedRunSpec& spec,
                                  const dist::Comm& comm, const ChunkWorker& worker) {
  const auto start = Clock::now();
  const std::string out_dir = spec.out_dir.empty() ? config.run.out_dir : spec.out_dir;
  ChunkedOutcome outcome;
  outcome.dataset_path = (std::filesystem::path(out_dir) / DatasetWriter::kDatasetFile).string();
  outcome.h5_path = (std::filesystem::path(out_dir) / (spec.kind + ".h5")).string();
  // Every rank reads the seed stream: a bad seed file fails everywhere alike.
  TEAMSRL_ASSIGN_OR_RETURN(SeedStream seeds, SeedStream::Open(config, spec.max_seeds));
  const std::vector<std::string> hosts = comm.HostNames();
  std::optional<DatasetWriter> writer;
  std::optional<Recorder> rec;
  std::string opened;  // root's verdict: error message and the seed to start from
  if (comm.is_root()) {
    Status st = OpenOutputs(config, spec, comm, hosts, out_dir, &writer, &rec);
    ByteWriter w;
    w.Put<int32_t>(static_cast<int32_t>(st.code()));
    w.PutString(st.message());
    w.Put<int64_t>(st.ok() ? writer->committed().next_seed : 0);
    opened = w.Take();
  }
  comm.Broadcast(opened);
  ByteReader opened_reader(opened);
  const auto code = static_cast<StatusCode>(opened_reader.Get<int32_t>());
  const std::string open_error = opened_reader.GetString();
  const auto next_seed = opened_reader.Get<int64_t>();
  if (code != StatusCode::kOk) return Status(code, open_error);
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
  Control control;
  while (!control.stop) {
    std::vector<io::Seed> chunk;
    std::string local_error;
    for (int k = 0; k < spec.chunk_size; ++k) {
      Result<bool> got = seeds.Next(&seed);
      if (!got.ok()) {
        local_error = fmt::format("rank {}: {}", comm.rank(), got.status().ToString());
        break;
      }
      if (!*got) break;
      chunk.push_back(seed);
    }
    ChunkPart part;
    if (local_error.empty() && !chunk.empty()) {
      const dist::ActorRange range =
          dist::LocalActors(static_cast<int>(chunk.size()), comm.size(), comm.rank());
      std::vector<io::Seed> mine(chunk.begin() + range.begin, chunk.begin() + range.end);
      try {
        if (!mine.empty()) part = worker(mine);
      } catch (const std::exception& e) {
        local_error = fmt::format("rank {}: {}", comm.rank(), e.what());
        part = ChunkPart{};
      }
    }
    std::vector<std::string> gathered = comm.Gather(EncodePart(local_error, part));
    if (comm.is_root()) {
      control = Control{};
      ChunkPart all;
      for (const std::string& bytes : gathered) {
        std::string err = DecodePart(bytes, &all);
        if (!err.empty() && control.error.empty()) control.error = err;
      }
      if (control.error.empty() && chunk.empty()) control.done = true;
      if (control.error.empty() && !chunk.empty()) {
        std::string lines, calls;
        for (const SampleLine& s : all.samples) lines += SampleLineJson(s, spec.step_key);
        ByteWriter cw;
        for (const ChunkCall& c : all.calls) PutCall(cw, c);
        calls = cw.Take();
        Status st = writer->Commit(lines, calls, chunk.back().index + 1,
                                   static_cast<int64_t>(all.samples.size()));
        if (st.ok()) {
          rec->AddSamples(all.samples);
          rec->AddCalls(all.calls);
          st = rec->Flush();
        }
        if (!st.ok()) control.error = "rank 0: " + st.ToString();
        done_seeds = chunk.back().index + 1;
        const std::string note = BudgetReached(config, rec->totals());
        control.budget = !note.empty();
        if (control.budget) spdlog::warn("stopping after seed {}: {}", done_seeds, note);
        if (progress) {
          const Totals& t = rec->totals();
          progress->Update(done_seeds, fmt::format("samples {} | queries {}", rec->samples(),
                                                   t.queries[0] + t.queries[1] + t.queries[2]));
        }
      }
      control.stop = control.done || control.budget || !control.error.empty();
    }
    std::string bytes = comm.is_root() ? EncodeControl(control) : std::string();
    comm.Broadcast(bytes);
    control = DecodeControl(bytes);
  }
  outcome.status = !control.error.empty() ? "failed"
                   : control.done         ? "completed"
                                          : "budget_exhausted";
  if (comm.is_root()) {
    Status st = control.done ? writer->MarkComplete() : OkStatus();
    if (st.ok()) st = rec->Flush();
    if (!control.error.empty()) (void)rec->file().SetAttribute("error", control.error);
    const Status fin = rec->file().Finish(outcome.status);
    if (st.ok()) st = fin;
    if (!st.ok() && control.error.empty()) control.error = "rank 0: " + st.ToString();
    outcome.seeds = done_seeds;
    outcome.samples = rec->samples();
    outcome.eliminated = rec->eliminated();
    for (int r = 0; r < llm::kNumRoles; ++r) outcome.queries[r] = rec->totals().queries[r];
    if (progress && control.error.empty()) {
      progress->Finish(fmt::format("{} samples | {}", outcome.samples, outcome.dataset_path));
    }
  }
  outcome.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!control.error.empty()) return Internal(control.error);
  return outcome;
}

}  // namespace teamsrl::pipeline
