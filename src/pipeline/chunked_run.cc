#include "pipeline/chunked_run.h"

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
#include "core/stop_signal.h"
#include "dist/layout.h"
#include "dist/protocol.h"
#include "evol/review.h"
#include "io/run_file.h"
#include "io/run_reader.h"
#include "pipeline/call_checks.h"
#include "pipeline/recorder.h"

namespace teamsrl::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

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
  // Bad records passed over so far (env.seeds.on_bad_record: skip).
  io::SeedLoadReport report() const { return reader_ ? reader_->report() : io::SeedLoadReport{}; }

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
  if (doc["run"]) doc["run"].remove("progress_interval_s");
  YAML::Emitter out;
  out << doc;
  return fmt::format("{:016x}", HashBytes(std::string(out.c_str()) + "\n" + extra));
}

namespace {

// Whether `writer`'s directory holds a finished run: every seed committed and the h5 file
// saying `completed` (a run killed between the two rebuilds the file).
bool AlreadyComplete(const io::DatasetWriter& writer, const std::string& h5) {
  return writer.resumed() && writer.committed().complete && io::RunFileCompleted(h5);
}

// Root: opens the output directory and the h5 file, replaying a committed prefix; leaves
// a completed run as it is (`*rec` stays empty).
Status OpenOutputs(const Config& config, const ChunkedRunSpec& spec,
                   const std::vector<std::string>& hosts, const std::string& out_dir,
                   std::optional<io::DatasetWriter>* writer, std::optional<Recorder>* rec) {
  TEAMSRL_ASSIGN_OR_RETURN(io::DatasetWriter w,
                           io::DatasetWriter::Open(out_dir, spec.fingerprint, spec.overwrite));
  writer->emplace(std::move(w));
  const std::string h5 = (std::filesystem::path(out_dir) / (spec.kind + ".h5")).string();
  if (AlreadyComplete(**writer, h5)) return OkStatus();
  if ((*writer)->journal_removed()) {  // the h5 file was lost or damaged after completion
    return FailedPrecondition(
        h5 + " does not hold the completed run of " + out_dir +
        ", and its call journal (calls.bin) was removed when the run completed, so the file "
        "cannot be rebuilt; pass --overwrite to start over, or choose another --out");
  }
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

// Root, before the first chunk: the whole seed stream read once, so the run knows its size,
// says which records it skips and refuses a file with no usable seed.
struct SeedScan {
  int64_t usable = 0;
  io::SeedLoadReport report;
};

constexpr size_t kSkippedShown = 10;  // records named one by one; the rest are counted

Result<SeedScan> ScanSeeds(const Config& config, int64_t max_seeds) {
  TEAMSRL_ASSIGN_OR_RETURN(SeedStream s, SeedStream::Open(config, max_seeds));
  SeedScan scan;
  io::Seed seed;
  while (true) {
    TEAMSRL_ASSIGN_OR_RETURN(bool got, s.Next(&seed));
    if (!got) break;
    ++scan.usable;
  }
  scan.report = s.report();
  const io::SeedLoadReport& r = scan.report;
  for (size_t i = 0; i < r.problems.size() && i < kSkippedShown; ++i) {
    spdlog::warn("skipped seed record {}", r.problems[i]);
  }
  if (r.skipped > 0) {
    spdlog::warn("skipped {} bad seed record(s) of {} (env.seeds.on_bad_record: skip){}", r.skipped,
                 config.env.seeds.path,
                 r.skipped > static_cast<int64_t>(kSkippedShown) ? "; the first 10 are shown" : "");
  }
  if (scan.usable == 0) {
    return InvalidArgument(fmt::format(
        "env.seeds.path {}: no usable seed{}", config.env.seeds.path,
        r.skipped == 0 ? " (the file holds no record)"
                       : fmt::format(": all {} records were bad (env.seeds.on_bad_record: skip); "
                                     "the first: {}",
                                     r.skipped, r.problems.empty() ? "" : r.problems.front())));
  }
  return scan;
}

// Root: commits one gathered chunk (dataset, journal, h5 rows) and decides what every
// rank does next. The payload says why the run stops: 'd' every seed done, 'b' a budget
// cap reached ('s<signal>', a stop signal, is set by the caller).
dist::Decision CommitChunk(const Config& config, const ChunkedRunSpec& spec,
                           const dist::Gathered& gathered, const std::vector<io::Seed>& chunk,
                           io::DatasetWriter& writer, Recorder& rec, ProgressSink* progress,
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
  for (const io::SampleLine& s : all.samples) lines += io::SampleLineJson(s, spec.step_key);
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
    progress->Update(*done_seeds,
                     fmt::format("samples {} | {}", rec.samples(), QueriesDetail(rec)));
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

// The chunk loop as a driver: Setup, one Step per chunk, Finish (each collective).
class ChunkedRun {
 public:
  ChunkedRun(const Config& config, const ChunkedRunSpec& spec, const dist::Comm& comm,
             const ChunkWorker& worker)
      : config_(config), spec_(spec), comm_(comm), worker_(worker), start_(Clock::now()) {
    out_dir_ = spec.out_dir.empty() ? config.run.out_dir : spec.out_dir;
    outcome_.dataset_path = (fs::path(out_dir_) / io::DatasetWriter::kDatasetFile).string();
    outcome_.h5_path = (fs::path(out_dir_) / (spec.kind + ".h5")).string();
  }

  // Opens the seed stream on every rank, checks the ranks run the same inputs, opens the
  // outputs on root (replaying a committed prefix) and skips what is committed.
  Status Setup() {
    // Every rank reads the seed stream: a bad seed file fails everywhere alike.
    Result<SeedStream> seeds = SeedStream::Open(config_, spec_.max_seeds);
    TEAMSRL_RETURN_IF_ERROR(dist::AgreeOnStatus(comm_, seeds.status()));
    seeds_.emplace(std::move(seeds).value());
    TEAMSRL_RETURN_IF_ERROR(
        AgreeOnRunInputs(comm_, config_, spec_.options + " --out " + out_dir_, spec_.inputs));
    const std::vector<std::string> hosts = comm_.HostNames();
    dist::Decision opened;  // root's verdict, the seed to start from and whether to stop
    if (comm_.is_root()) {
      Result<SeedScan> scan = ScanSeeds(config_, spec_.max_seeds);
      opened.status = scan.status();
      if (scan.ok()) {
        scan_ = *scan;
        opened.status = OpenOutputs(config_, spec_, hosts, out_dir_, &writer_, &rec_);
      }
      if (opened.status.ok() && rec_) opened.status = RecordSeedCounts();
      ByteWriter w;
      w.Put<int64_t>(opened.status.ok() ? writer_->committed().next_seed : 0);
      w.Put<char>(opened.status.ok() ? StopBeforeFirstChunk() : ' ');
      opened.payload = w.Take();
    }
    opened = dist::Follow(comm_, opened);
    TEAMSRL_RETURN_IF_ERROR(opened.status);
    ByteReader r(opened.payload);
    const auto next_seed = r.Get<int64_t>();
    const char stop = r.Get<char>();
    outcome_.resumed = next_seed > 0;
    done_seeds_ = next_seed;
    if (stop != ' ') {  // 'c' a completed run, 'b' a budget cap the committed part reached
      outcome_.already_complete = stop == 'c';
      decision_.stop = true;
      decision_.payload = stop == 'c' ? "d" : "b";
      return OkStatus();
    }
    io::Seed seed;
    for (int64_t i = 0; i < next_seed; ++i) {  // skip what is committed
      TEAMSRL_ASSIGN_OR_RETURN(bool got, seeds_->Next(&seed));
      if (!got) break;
    }
    if (comm_.is_root() && spec_.progress != nullptr) {
      progress_ = spec_.progress;
      // "generate generate 408/408" when the run is named after its command.
      const std::string& name = config_.run.name;
      progress_->Start(name == spec_.kind ? name : spec_.kind + " " + name, scan_.usable);
      if (outcome_.resumed) spdlog::info("resuming {} at seed {}", out_dir_, next_seed);
    }
    return OkStatus();
  }

  // Root: the scan's counts as attributes of the h5 file (`seeds_usable`, `seeds_skipped`).
  Status RecordSeedCounts() {
    TEAMSRL_RETURN_IF_ERROR(rec_->file().SetAttribute("seeds_usable", scan_.usable));
    return rec_->file().SetAttribute("seeds_skipped", scan_.report.skipped);
  }

  // Root, after OpenOutputs: 'c' when the directory holds a completed run, 'b' when the
  // committed part already reached a budget cap (a rerun must not spend another chunk),
  // else ' '.
  char StopBeforeFirstChunk() const {
    if (!rec_) return 'c';
    const std::string note = BudgetReached(config_, rec_->totals());
    if (note.empty()) return ' ';
    spdlog::warn("not starting a chunk at seed {}: {}", writer_->committed().next_seed, note);
    return 'b';
  }

  // One chunk: every rank's block through the worker, root commits and decides.
  void Step() {
    std::vector<io::Seed> chunk;
    Status local = NextChunk(*seeds_, spec_.chunk_size, &chunk);
    Result<ChunkPart> part = ChunkPart{};
    if (local.ok() && !chunk.empty()) {
      const dist::ActorRange range =
          dist::LocalActors(static_cast<int>(chunk.size()), comm_.size(), comm_.rank());
      std::vector<io::Seed> mine(chunk.begin() + range.begin, chunk.begin() + range.end);
      part = worker_(chunk_index_, mine);
      local = part.status();
    }
    const dist::Gathered gathered =
        dist::GatherWithStatus(comm_, local, local.ok() ? EncodePart(*part) : std::string());
    if (comm_.is_root()) {
      decision_ =
          CommitChunk(config_, spec_, gathered, chunk, *writer_, *rec_, progress_, &done_seeds_);
      // A stop signal (core/stop_signal.h) ends the run after the committed chunk: a
      // rerun of the same command continues from there. Root's signal decides: mpirun
      // and SLURM signal every rank alike.
      if (decision_.status.ok() && !decision_.stop && StopSignal() != 0) {
        decision_.stop = true;
        decision_.payload = "s" + std::to_string(StopSignal());
      }
    }
    decision_ = dist::Follow(comm_, decision_);
    ++chunk_index_;
  }

  bool done() const { return !decision_.status.ok() || decision_.stop; }

  // Marks the dataset complete (when it is), finishes the h5 file on root; the outcome
  // is the same on every rank.
  ChunkedOutcome Finish() {
    const dist::Decision& d = decision_;
    outcome_.status = !d.status.ok()               ? io::RunStatus::kFailed
                      : d.payload == "d"           ? io::RunStatus::kCompleted
                      : d.payload.starts_with("s") ? io::RunStatus::kPreempted
                                                   : io::RunStatus::kBudgetExhausted;
    if (outcome_.status == io::RunStatus::kPreempted) {
      outcome_.stop_signal = std::stoi(d.payload.substr(1));
    }
    outcome_.error = d.status;
    Status st = OkStatus();
    if (comm_.is_root()) st = FinishOutputs();
    // Root's final writes can fail on root alone; every rank must return the same verdict.
    st = dist::ShareRootStatus(comm_, dist::NameRank(st, 0));
    if (!st.ok() && outcome_.error.ok()) {
      outcome_.status = io::RunStatus::kFailed;
      outcome_.error = st;
    }
    outcome_.wall_s = std::chrono::duration<double>(Clock::now() - start_).count();
    return outcome_;
  }

 private:
  // Under `exact` a malformed reviewer reply is an Equal, so the `equal` rule eliminates the
  // sample: the share is recorded and, past run.malformed_reply_warn_share, said.
  Status RecordMalformedReplies() {
    const int64_t reviewed = rec_->reviewed(), malformed = rec_->malformed_replies();
    TEAMSRL_RETURN_IF_ERROR(rec_->file().SetAttribute("reviewer_replies", reviewed));
    TEAMSRL_RETURN_IF_ERROR(rec_->file().SetAttribute("malformed_replies", malformed));
    if (evol::MalformedRepliesPastShare(reviewed, malformed,
                                        config_.run.malformed_reply_warn_share)) {
      const double share = static_cast<double>(malformed) / reviewed;
      spdlog::warn(
          "{} of {} reviewer replies ({:.1f} %) were neither exactly `Equal` nor `Not Equal`{}; "
          "the samples' malformed_reply field marks them",
          malformed, reviewed, 100.0 * share,
          config_.env.reward.match == evol::MatchMode::kExact
              ? " and counted as Equal under env.reward.match: exact, so the `equal` rule "
                "eliminated them"
              : "");
    }
    return OkStatus();
  }

  Status FinishOutputs() {
    if (outcome_.already_complete) {
      outcome_.seeds = writer_->committed().next_seed;
      outcome_.samples = writer_->committed().samples;
      return OkStatus();
    }
    Status st = outcome_.status == io::RunStatus::kCompleted ? writer_->MarkComplete() : OkStatus();
    if (st.ok() && spec_.finish && outcome_.status == io::RunStatus::kCompleted) {
      st = spec_.finish(rec_->file(), done_seeds_);
    }
    if (st.ok()) st = RecordMalformedReplies();
    if (st.ok()) st = rec_->Flush();
    if (!outcome_.error.ok()) (void)rec_->file().SetAttribute("error", outcome_.error.message());
    if (outcome_.status == io::RunStatus::kPreempted) {
      (void)rec_->file().SetAttribute("stop_signal", SignalName(outcome_.stop_signal));
      spdlog::warn("stopped by {} after seed {}; rerun the same command to continue",
                   SignalName(outcome_.stop_signal), done_seeds_);
    }
    const Status fin = rec_->file().Finish(outcome_.status);
    if (st.ok()) st = fin;
    if (st.ok() && outcome_.status == io::RunStatus::kCompleted) {
      // The journal is only needed to resume or rebuild the h5 file, which now holds its
      // rows and says completed; leaving it would only be a stray file. A run that could
      // not remove it is still complete (a rerun changes nothing either way).
      if (Status removed = writer_->RemoveJournal(); !removed.ok()) {
        spdlog::warn("{}", removed.message());
      }
    }
    outcome_.seeds = done_seeds_;
    outcome_.samples = rec_->samples();
    outcome_.eliminated = rec_->eliminated();
    for (int r = 0; r < llm::kNumRoles; ++r) outcome_.queries[r] = rec_->totals().queries[r];
    if (progress_ && outcome_.error.ok() && st.ok()) {
      progress_->Finish(fmt::format("{} sample{} | {}", outcome_.samples,
                                    outcome_.samples == 1 ? "" : "s", outcome_.dataset_path));
    }
    return st;
  }

  const Config& config_;
  const ChunkedRunSpec& spec_;
  const dist::Comm& comm_;
  const ChunkWorker& worker_;
  const Clock::time_point start_;
  std::string out_dir_;
  ChunkedOutcome outcome_;
  std::optional<SeedStream> seeds_;
  SeedScan scan_;                            // root only
  std::optional<io::DatasetWriter> writer_;  // root only
  std::optional<Recorder> rec_;              // root only
  ProgressSink* progress_ = nullptr;         // root only
  int64_t done_seeds_ = 0;
  int64_t chunk_index_ = 0;
  dist::Decision decision_;
};

}  // namespace

Result<ChunkedOutcome> RunChunked(const Config& config, const ChunkedRunSpec& spec,
                                  const dist::Comm& comm, const ChunkWorker& worker) {
  ChunkedRun run(config, spec, comm, worker);
  TEAMSRL_RETURN_IF_ERROR(run.Setup());
  while (!run.done()) run.Step();
  return run.Finish();
}

}  // namespace teamsrl::pipeline
