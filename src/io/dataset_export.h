// Generated datasets: reading `dataset.jsonl` (Alpaca fields plus provenance) and exporting
// it for supervised fine-tuning tools.
//
// A dataset record is one JSON object per line:
//   {"instruction", "input", "output",                      Alpaca's fields
//    "eliminated", "reason", "action", "not_equal", "queries", ...}  optional provenance
// The text fields are chosen by path (see io/seeds.h: `instances[0].output`), so files with
// other layouts (Self-Instruct, WizardLM) can be read too: the instruction must be a
// non-empty string; a missing or null input/output reads as "". Provenance fields are read
// when present and of a sensible type (eliminated/not_equal: bool, or 0/1; action: string or
// integer; queries: integer; reason: string) and otherwise left unset. Any malformed line is
// an InvalidArgument naming FILE:LINE: a dataset is our own output, so damage is not skipped.
//
// Exports (one JSON array, written to a temporary file and renamed into place):
//   alpaca    [{"instruction", "input", "output"}, ...]
//   sharegpt  [{"conversations": [{"from": "human", "value": instruction + "\n\n" + input},
//                                 {"from": "gpt", "value": output}]}, ...]
//             (the "\n\n" + input part only when the input is non-empty)
// Eliminated samples are left out unless `include_eliminated`.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/seeds.h"

namespace teamsrl::io {

struct DatasetFields {
  std::string instruction = "instruction";
  std::string input = "input";    // empty: no input field
  std::string output = "output";  // empty: no output field
};

struct DatasetRecord {
  int64_t line = 0;
  std::string instruction, input, output;
  std::optional<bool> eliminated;
  std::optional<std::string> reason;
  std::optional<std::string> action;
  std::optional<bool> not_equal;
  std::optional<int64_t> queries;
};

class DatasetReader {
 public:
  static Result<std::unique_ptr<DatasetReader>> Open(const std::string& path,
                                                     const DatasetFields& fields);
  // The next record: true, or false at the end of the file.
  Result<bool> Next(DatasetRecord* record);

 private:
  DatasetReader() = default;
  std::string path_;
  std::ifstream in_;
  int64_t line_no_ = 0;
  std::vector<FieldPathStep> instruction_path_, input_path_, output_path_;
  DatasetFields fields_;
};

enum class ExportFormat { kAlpaca, kShareGpt };
Result<ExportFormat> ParseExportFormat(std::string_view name);  // "alpaca" | "sharegpt"

struct ExportOptions {
  ExportFormat format = ExportFormat::kAlpaca;
  bool include_eliminated = false;
  bool overwrite = false;  // replace an existing output file (else FailedPrecondition)
  DatasetFields fields;
};

struct ExportReport {
  int64_t read = 0;      // records in the input
  int64_t written = 0;   // samples in the export
  int64_t excluded = 0;  // eliminated samples left out
};

Result<ExportReport> ExportDataset(const std::string& in_path, const std::string& out_path,
                                   const ExportOptions& options);

}  // namespace teamsrl::io
