#include "io/seeds.h"

#include <cctype>
#include <filesystem>
#include <utility>

#include "core/text.h"

namespace teamsrl::io {
namespace {

constexpr int kEof = std::char_traits<char>::eof();

bool IsSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Skips a UTF-8 byte-order mark: editors on Windows write one and JSON parsers reject it.
void SkipBom(std::ifstream& in) {
  char bom[3] = {0, 0, 0};
  in.read(bom, 3);
  if (in.gcount() == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF') return;
  in.clear();
  in.seekg(0);
}

std::string DescribePathError(std::string_view path, std::string_view why) {
  return "field path '" + std::string(path) + "': " + std::string(why);
}

}  // namespace

Result<std::vector<FieldPathStep>> ParseFieldPath(std::string_view path) {
  std::vector<FieldPathStep> steps;
  if (path.empty()) return InvalidArgument(DescribePathError(path, "empty"));
  size_t i = 0;
  while (i < path.size()) {
    size_t key_end = path.find_first_of(".[]", i);
    if (key_end == std::string_view::npos) key_end = path.size();
    if (key_end > i) steps.push_back({std::string(path.substr(i, key_end - i)), -1});
    i = key_end;
    while (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      std::string_view digits =
          close == std::string_view::npos ? "" : path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        return InvalidArgument(DescribePathError(path, "expected [N] with N a number"));
      }
      steps.push_back({"", std::stoll(std::string(digits))});
      i = close + 1;
    }
    if (i == path.size()) break;
    if (path[i] != '.' || i + 1 == path.size() || path[i + 1] == '.' ||
        (steps.empty() && key_end == i)) {
      return InvalidArgument(
          DescribePathError(path, "malformed near position " + std::to_string(i + 1)));
    }
    ++i;
  }
  return steps;
}

const nlohmann::json* LookupField(const nlohmann::json& record,
                                  const std::vector<FieldPathStep>& path) {
  const nlohmann::json* node = &record;
  for (const FieldPathStep& step : path) {
    if (step.index >= 0) {
      if (!node->is_array() || static_cast<size_t>(step.index) >= node->size()) return nullptr;
      node = &(*node)[static_cast<size_t>(step.index)];
    } else {
      if (!node->is_object()) return nullptr;
      auto it = node->find(step.key);
      if (it == node->end()) return nullptr;
      node = &*it;
    }
  }
  return node;
}

Result<SeedFormat> ResolveSeedFormat(const std::string& path, SeedFormat format) {
  if (format != SeedFormat::kAuto) return format;
  std::string ext = ToLower(std::filesystem::path(path).extension().string());
  if (ext == ".jsonl" || ext == ".ndjson") return SeedFormat::kJsonl;
  if (ext == ".txt" || ext == ".text") return SeedFormat::kText;
  // A `.json` file, or one without a telling extension: the first non-blank byte decides
  // (many files named .json are really JSON Lines).
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open seed file " + path);
  SkipBom(in);
  int c = in.get();
  while (IsSpace(c)) c = in.get();
  if (c == '{') return SeedFormat::kJsonl;
  if (c == '[' || ext == ".json") return SeedFormat::kJson;
  return SeedFormat::kText;
}

Result<std::unique_ptr<SeedReader>> SeedReader::Open(const SeedsConfig& config) {
  if (config.path.empty()) return InvalidArgument("env.seeds.path is empty");
  std::unique_ptr<SeedReader> reader(new SeedReader());
  reader->config_ = config;
  TEAMSRL_ASSIGN_OR_RETURN(reader->format_, ResolveSeedFormat(config.path, config.format));
  if (reader->format_ != SeedFormat::kText) {
    Result<std::vector<FieldPathStep>> instruction = ParseFieldPath(config.instruction_field);
    if (!instruction.ok()) {
      return instruction.status().WithContext("env.seeds.fields.instruction");
    }
    reader->instruction_path_ = std::move(instruction).value();
    if (!config.input_field.empty()) {
      Result<std::vector<FieldPathStep>> input = ParseFieldPath(config.input_field);
      if (!input.ok()) return input.status().WithContext("env.seeds.fields.input");
      reader->input_path_ = std::move(input).value();
    }
  }
  reader->in_.open(config.path, std::ios::binary);
  if (!reader->in_) return NotFound("cannot open seed file " + config.path);
  SkipBom(reader->in_);
  return reader;
}

SeedReader::~SeedReader() = default;

int SeedReader::Get() {
  int c = in_.get();
  if (c == '\n') ++line_no_;
  return c;
}

Result<bool> SeedReader::NextRecord(int64_t* line) {
  if (format_ == SeedFormat::kJson) return NextJsonElement(line);
  // text and jsonl: one record per line; blank lines are not records.
  while (true) {
    text_.clear();
    *line = line_no_;
    int c = Get();
    if (c == kEof) return false;
    while (c != kEof && c != '\n') {
      text_.push_back(static_cast<char>(c));
      c = Get();
    }
    if (!Trim(text_).empty()) return true;
  }
}

// Cuts the next element out of a top-level JSON array without parsing it, tracking only
// nesting and strings: one malformed element is then a bad record with a line number
// instead of the end of the whole file, and only that element's text is in memory.
Result<bool> SeedReader::NextJsonElement(int64_t* line) {
  auto broken = [this](const std::string& what) -> Status {
    return InvalidArgument(config_.path + ":" + std::to_string(line_no_) + ": " + what);
  };
  auto skip_space = [this] {
    int c = Get();
    while (IsSpace(c)) c = Get();
    return c;
  };
  if (array_done_) return false;
  int c = skip_space();
  if (!array_started_) {
    if (c != '[') return broken("expected a JSON array ('[') in a .json seed file");
    array_started_ = true;
    c = skip_space();
    if (c != ']') {
      // The first element starts at c.
    } else {
      array_done_ = true;
    }
  } else if (c == ']') {
    array_done_ = true;
  } else if (c == ',') {
    c = skip_space();
  } else if (c == kEof) {
    return broken("unterminated JSON array (missing ']')");
  } else {
    return broken("expected ',' or ']' between array elements");
  }
  if (array_done_) {
    if (skip_space() != kEof) return broken("unexpected content after the JSON array");
    return false;
  }
  if (c == kEof || c == ']') return broken("expected an array element");
  *line = line_no_;
  text_.assign(1, static_cast<char>(c));
  int depth = (c == '{' || c == '[') ? 1 : 0;
  bool in_string = c == '"';
  if (depth == 0 && !in_string) {  // a bare scalar: up to the next separator
    while (in_.peek() != kEof && in_.peek() != ',' && in_.peek() != ']' && !IsSpace(in_.peek())) {
      text_.push_back(static_cast<char>(Get()));
    }
    return true;
  }
  bool escaped = false;
  while (depth > 0 || in_string) {
    c = Get();
    if (c == kEof)
      return broken("unterminated JSON array element starting at line " + std::to_string(*line));
    text_.push_back(static_cast<char>(c));
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Status SeedReader::ParseRecord(int64_t line, Seed* seed) const {
  const std::string where = config_.path + ":" + std::to_string(line) + ": ";
  if (format_ == SeedFormat::kText) {
    // The JSONL rule for text too: invalid UTF-8 is a bad record, so every store (the run
    // file, dataset.jsonl) holds the same valid text.
    if (const size_t bad = InvalidUtf8Offset(text_); bad != std::string::npos) {
      return InvalidArgument(where + "invalid UTF-8 at byte " + std::to_string(bad + 1) +
                             " of the line");
    }
    seed->instruction = Trim(text_);
    seed->input.clear();
    return OkStatus();
  }
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(text_);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    size_t cut = what.find("] ");  // drop nlohmann's "[json.exception.parse_error.101] "
    return InvalidArgument(
        where + "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2)));
  }
  if (!record.is_object()) return InvalidArgument(where + "record is not a JSON object");
  const nlohmann::json* instruction = LookupField(record, instruction_path_);
  const std::string& ifield = config_.instruction_field;
  if (instruction == nullptr) return InvalidArgument(where + "field '" + ifield + "' is missing");
  if (!instruction->is_string()) {
    return InvalidArgument(where + "field '" + ifield + "' is not a string");
  }
  if (Trim(instruction->get_ref<const std::string&>()).empty()) {
    return InvalidArgument(where + "field '" + ifield + "' is empty");
  }
  seed->input.clear();
  if (!input_path_.empty()) {
    const nlohmann::json* input = LookupField(record, input_path_);
    if (input != nullptr && !input->is_null()) {
      if (!input->is_string()) {
        return InvalidArgument(where + "field '" + config_.input_field + "' is not a string");
      }
      seed->input = input->get<std::string>();
    }
  }
  seed->instruction = instruction->get<std::string>();
  return OkStatus();
}

Result<bool> SeedReader::Next(Seed* seed) {
  while (true) {
    int64_t line = 0;
    TEAMSRL_ASSIGN_OR_RETURN(bool got, NextRecord(&line));
    if (!got) return false;
    Status status = ParseRecord(line, seed);
    if (status.ok()) {
      seed->index = report_.loaded++;
      seed->line = line;
      return true;
    }
    if (config_.on_bad_record == OnBadRecord::kFatal) {
      return InvalidArgument(status.message() +
                             " (env.seeds.on_bad_record: skip passes over such records)");
    }
    ++report_.skipped;
    if (report_.problems.size() < SeedLoadReport::kMaxProblems) {
      report_.problems.push_back(status.message());
    }
  }
}

Result<std::vector<Seed>> LoadSeedRange(const SeedsConfig& config, int64_t begin, int64_t end,
                                        SeedLoadReport* report) {
  TEAMSRL_ASSIGN_OR_RETURN(std::unique_ptr<SeedReader> reader, SeedReader::Open(config));
  std::vector<Seed> seeds;
  Seed seed;
  while (reader->report().loaded < end) {
    TEAMSRL_ASSIGN_OR_RETURN(bool got, reader->Next(&seed));
    if (!got) break;
    if (seed.index >= begin) seeds.push_back(std::move(seed));
  }
  if (report != nullptr) *report = reader->report();
  return seeds;
}

Result<std::vector<Seed>> LoadSeeds(const SeedsConfig& config, SeedLoadReport* report) {
  return LoadSeedRange(config, 0, std::numeric_limits<int64_t>::max(), report);
}

}  // namespace teamsrl::io
