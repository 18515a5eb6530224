#include "io/dataset_export.h"

#include <cstdio>
#include <filesystem>
#include <utility>

#include "core/text.h"
#include "io/safe_file.h"

namespace teamsrl::io {
namespace {

using nlohmann::json;

// Datasets come from LLMs, which may emit invalid UTF-8; replacing it with U+FFFD keeps the
// export loadable instead of aborting a long run's export on one bad byte.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<std::vector<FieldPathStep>> OptionalPath(const std::string& path, const char* what) {
  if (path.empty()) return std::vector<FieldPathStep>{};
  Result<std::vector<FieldPathStep>> steps = ParseFieldPath(path);
  if (!steps.ok()) return steps.status().WithContext(what);
  return steps;
}

// A text field that may be absent: "" when missing or null, an error when not a string.
Status ReadText(const json& record, const std::vector<FieldPathStep>& path, const std::string& name,
                const std::string& where, std::string* out) {
  out->clear();
  if (path.empty()) return OkStatus();
  const json* value = LookupField(record, path);
  if (value == nullptr || value->is_null()) return OkStatus();
  if (!value->is_string()) return InvalidArgument(where + "field '" + name + "' is not a string");
  *out = value->get<std::string>();
  return OkStatus();
}

std::optional<bool> ReadFlag(const json& record, const char* key) {
  auto it = record.find(key);
  if (it == record.end()) return std::nullopt;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<int64_t>() != 0;
  return std::nullopt;
}

std::optional<std::string> ReadName(const json& record, const char* key) {
  auto it = record.find(key);
  if (it == record.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<DatasetReader>> DatasetReader::Open(const std::string& path,
                                                           const DatasetFields& fields) {
  std::unique_ptr<DatasetReader> reader(new DatasetReader());
  reader->path_ = path;
  reader->fields_ = fields;
  Result<std::vector<FieldPathStep>> instruction = ParseFieldPath(fields.instruction);
  if (!instruction.ok()) return instruction.status().WithContext("instruction field");
  reader->instruction_path_ = std::move(instruction).value();
  TEAMSRL_ASSIGN_OR_RETURN(reader->input_path_, OptionalPath(fields.input, "input field"));
  TEAMSRL_ASSIGN_OR_RETURN(reader->output_path_, OptionalPath(fields.output, "output field"));
  reader->in_.open(path, std::ios::binary);
  if (!reader->in_) return NotFound("cannot open dataset " + path);
  return reader;
}

Result<bool> DatasetReader::Next(DatasetRecord* record) {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_no_;
    if (line_no_ == 1 && StartsWith(text, "\xEF\xBB\xBF")) text.erase(0, 3);
    if (Trim(text).empty()) continue;
    const std::string where = path_ + ":" + std::to_string(line_no_) + ": ";
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      size_t cut = what.find("] ");
      return InvalidArgument(
          where + "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2)) +
          (line_no_ == 1 && Trim(text) == "[" ? " (a JSON array? datasets are read as JSON Lines)"
                                              : ""));
    }
    if (!j.is_object()) return InvalidArgument(where + "record is not a JSON object");
    const json* instruction = LookupField(j, instruction_path_);
    if (instruction == nullptr || !instruction->is_string() ||
        Trim(instruction->get_ref<const std::string&>()).empty()) {
      return InvalidArgument(where + "field '" + fields_.instruction + "' is " +
                             (instruction == nullptr      ? "missing"
                              : !instruction->is_string() ? "not a string"
                                                          : "empty"));
    }
    record->line = line_no_;
    record->instruction = instruction->get<std::string>();
    TEAMSRL_RETURN_IF_ERROR(ReadText(j, input_path_, fields_.input, where, &record->input));
    TEAMSRL_RETURN_IF_ERROR(ReadText(j, output_path_, fields_.output, where, &record->output));
    record->eliminated = ReadFlag(j, "eliminated");
    record->not_equal = ReadFlag(j, "not_equal");
    record->reason = ReadName(j, "reason");
    record->action = ReadName(j, "action");
    record->queries.reset();
    if (auto it = j.find("queries"); it != j.end() && it->is_number_integer()) {
      record->queries = it->get<int64_t>();
    }
    return true;
  }
  if (in_.bad()) return DataLoss("read error in " + path_);
  return false;
}

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "alpaca") return ExportFormat::kAlpaca;
  if (name == "sharegpt") return ExportFormat::kShareGpt;
  return InvalidArgument("export format '" + std::string(name) + "' is not one of alpaca|sharegpt");
}

Result<ExportReport> ExportDataset(const std::string& in_path, const std::string& out_path,
                                   const ExportOptions& options) {
  TEAMSRL_ASSIGN_OR_RETURN(std::unique_ptr<DatasetReader> reader,
                           DatasetReader::Open(in_path, options.fields));
  // Written beside the target and renamed at the end, so a failed export never leaves a
  // truncated file that a training job could pick up (io/safe_file.h).
  TEAMSRL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(out_path, options.overwrite));
  ExportReport report;
  DatasetRecord record;
  TEAMSRL_RETURN_IF_ERROR(out.Write("["));
  while (true) {
    Result<bool> got = reader->Next(&record);
    if (!got.ok()) return got.status();
    if (!*got) break;
    ++report.read;
    if (record.eliminated.value_or(false) && !options.include_eliminated) {
      ++report.excluded;
      continue;
    }
    json sample;
    if (options.format == ExportFormat::kAlpaca) {
      sample = {
          {"instruction", record.instruction}, {"input", record.input}, {"output", record.output}};
    } else {
      std::string human = record.instruction;
      if (!record.input.empty()) human += "\n\n" + record.input;
      sample = {{"conversations", json::array({{{"from", "human"}, {"value", human}},
                                               {{"from", "gpt"}, {"value", record.output}}})}};
    }
    TEAMSRL_RETURN_IF_ERROR(out.Write((report.written == 0 ? "\n" : ",\n") + Dump(sample)));
    ++report.written;
  }
  TEAMSRL_RETURN_IF_ERROR(out.Write(report.written == 0 ? "]\n" : "\n]\n"));
  TEAMSRL_RETURN_IF_ERROR(out.Commit());
  return report;
}

}  // namespace teamsrl::io
