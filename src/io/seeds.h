// Seed instructions: the starting points of generation and of the Evol-Instruct baseline.
//
// Three file layouts, all read as a stream (one record in memory at a time, so memory
// holds the seeds themselves and nothing else):
//   json   an array of objects (Alpaca's `alpaca_data.json`)
//   jsonl  one object per line (Self-Instruct, WizardLM's test set, our own seed file)
//   text   one instruction per non-empty line (surrounding whitespace trimmed, no input)
// `format: auto` goes by the extension (.json, .jsonl/.ndjson, .txt) and, when that is
// missing or a `.json` file really holds JSON Lines, by the first non-blank character.
//
// Fields are chosen by a path: dotted keys and [N] indices, e.g. `instruction`,
// `Instruction`, `instances[0].input`. The instruction field must exist, be a string and
// be non-blank. The input field is optional (an empty `input_field` disables it): a
// missing path or a null reads as "", any other non-string is a bad record.
// A bad record (invalid JSON, missing or non-string field, empty instruction) is reported
// as "FILE:LINE: ..." and, by `on_bad_record`, skipped and counted or fatal
// (InvalidArgument). A file whose structure is broken (an unterminated array) is always
// fatal: nothing after the break can be located.
#pragma once

#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/seeds_options.h"

namespace teamsrl::io {

struct Seed {
  int64_t index = 0;  // 0-based among the seeds loaded (bad records take no index)
  std::string instruction;
  std::string input;
  int64_t line = 0;  // 1-based line in the file where the record starts

  bool operator==(const Seed&) const = default;
};

struct SeedLoadReport {
  int64_t loaded = 0;
  int64_t skipped = 0;
  // One "FILE:LINE: what" per skipped record; capped (kMaxProblems) so a file of 52k bad
  // records cannot fill memory with messages; `skipped` still counts them all.
  std::vector<std::string> problems;
  static constexpr size_t kMaxProblems = 100;
};

// A parsed field path: `instances[0].input` -> key "instances", index 0, key "input".
struct FieldPathStep {
  std::string key;     // set when index < 0
  int64_t index = -1;  // >= 0: an array index
};
Result<std::vector<FieldPathStep>> ParseFieldPath(std::string_view path);
// The value at `path` in `record`, or nullptr when any step is missing or of the wrong kind.
const nlohmann::json* LookupField(const nlohmann::json& record,
                                  const std::vector<FieldPathStep>& path);

// The format `format` means for `path`: itself, or for kAuto what the file is (json, jsonl
// or text); NotFound on an unreadable file.
Result<SeedFormat> ResolveSeedFormat(const std::string& path, SeedFormat format);

// Reads seeds one at a time. Usage:
//   TEAMSRL_ASSIGN_OR_RETURN(auto reader, SeedReader::Open(config));
//   Seed seed;
//   while (true) { TEAMSRL_ASSIGN_OR_RETURN(bool got, reader->Next(&seed)); if (!got) break; }
class SeedReader {
 public:
  static Result<std::unique_ptr<SeedReader>> Open(const SeedsConfig& config);
  ~SeedReader();
  SeedReader(const SeedReader&) = delete;
  SeedReader& operator=(const SeedReader&) = delete;

  // The next good seed into `*seed`: true, or false at the end of the file. A bad record
  // under `fatal` (or a broken file) is an error; under `skip` it is counted and passed.
  Result<bool> Next(Seed* seed);
  const SeedLoadReport& report() const { return report_; }

 private:
  SeedReader() = default;
  // The next raw record: its text in `text_`, its first line in `*line`; false at the end.
  Result<bool> NextRecord(int64_t* line);
  Result<bool> NextJsonElement(int64_t* line);
  // Converts the record in `text_` into `*seed`, or returns why it is bad.
  Status ParseRecord(int64_t line, Seed* seed) const;
  int Get();  // next byte of the file or EOF, counting lines

  SeedsConfig config_;
  SeedFormat format_ = SeedFormat::kAuto;
  std::vector<FieldPathStep> instruction_path_, input_path_;
  std::ifstream in_;
  std::string text_;     // the current record's raw text (reused)
  int64_t line_no_ = 1;  // line of the next byte
  bool array_started_ = false, array_done_ = false;
  SeedLoadReport report_;
};

// All seeds of the file (`report` may be null).
Result<std::vector<Seed>> LoadSeeds(const SeedsConfig& config, SeedLoadReport* report);
// The seeds whose index is in [begin, end): for chunked processing of large seed sets.
// Reading stops at `end`, so bad records after it are neither seen nor counted.
Result<std::vector<Seed>> LoadSeedRange(const SeedsConfig& config, int64_t begin, int64_t end,
                                        SeedLoadReport* report);

}  // namespace teamsrl::io
