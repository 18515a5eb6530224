#include "io/run_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "io/attributes.h"
#include "io/run_reader.h"
#include "io/run_schema.h"
#include "io/table.h"

namespace teamsrl::io {
namespace {

struct Column {
  std::string name;
  bool is_float = false;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  size_t size() const { return is_float ? floats.size() : ints.size(); }
};

struct Contents {
  std::string kind;
  std::map<std::string, std::vector<Column>> tables;  // by path, columns in file order
  std::vector<std::string> texts;
  std::map<std::string, std::vector<double>> policies;
};

const char* const kTables[] = {kIterationsPath, kEpisodesPath, kStepsPath,
                               kCallsPath,      kBudgetPath,   kSamplesPath};

// "train", "generate" or "baseline": the subcommand in the recorded command line.
std::string KindOf(hid_t file) {
  Result<std::string> command = ReadStringAttribute(file, "command");
  if (command.ok()) {
    for (const char* kind : {"train", "generate", "baseline"}) {
      const std::string word = std::string(" ") + kind + " ";
      if ((*command + " ").find(word) != std::string::npos) return kind;
    }
  }
  return "unknown";
}

Status ReadTable(const RunSnapshot& s, const char* path, std::vector<Column>* out) {
  TEAMSRL_ASSIGN_OR_RETURN(DatasetId dataset, OpenDataset(s.file, path));
  TypeId type(H5Dget_type(dataset.get()));
  if (!type) return Hdf5Error(std::string("reading the type of ") + path);
  const int members = H5Tget_nmembers(type.get());
  for (int m = 0; m < members; ++m) {
    char* raw = H5Tget_member_name(type.get(), static_cast<unsigned>(m));
    Column c;
    c.name = raw;
    H5free_memory(raw);
    c.is_float = H5Tget_member_class(type.get(), static_cast<unsigned>(m)) == H5T_FLOAT;
    if (c.is_float) {
      TEAMSRL_ASSIGN_OR_RETURN(c.floats, ReadFloat64Column(s.file, path, c.name, s.Rows(path)));
    } else {
      TEAMSRL_ASSIGN_OR_RETURN(c.ints, ReadInt64Column(s.file, path, c.name, s.Rows(path)));
    }
    out->push_back(std::move(c));
  }
  return OkStatus();
}

herr_t CollectName(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

Status ReadPolicies(hid_t file, std::map<std::string, std::vector<double>>* out) {
  if (H5Lexists(file, kPolicyGroup, H5P_DEFAULT) <= 0) return OkStatus();
  std::vector<std::string> names;
  GroupId group(H5Gopen2(file, kPolicyGroup, H5P_DEFAULT));
  if (!group) return Hdf5Error("opening /policy");
  if (H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, CollectName, &names) < 0) {
    return Hdf5Error("listing /policy");
  }
  for (const std::string& name : names) {
    const std::string path = std::string(kPolicyGroup) + "/" + name;
    TEAMSRL_ASSIGN_OR_RETURN(DatasetId d, OpenDataset(file, path));
    TEAMSRL_ASSIGN_OR_RETURN(int64_t n, DatasetRows(d.get()));
    std::vector<double> v(static_cast<size_t>(n));
    if (n > 0 && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) {
      return Hdf5Error("reading " + path);
    }
    (*out)[path] = std::move(v);
  }
  return OkStatus();
}

Result<Contents> Load(const std::string& path) {
  Contents c;
  TEAMSRL_RETURN_IF_ERROR(ReadRunSnapshot(path, [&](const RunSnapshot& s) {
    c = Contents{};  // a repeated read starts afresh
    c.kind = KindOf(s.file);
    for (const char* table : kTables)
      TEAMSRL_RETURN_IF_ERROR(ReadTable(s, table, &c.tables[table]));
    TEAMSRL_ASSIGN_OR_RETURN(c.texts, io::ReadStrings(s.file, kTextPath, 0, s.Rows(kTextPath)));
    return ReadPolicies(s.file, &c.policies);
  }));
  return c;
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

std::string Value(const Column& c, size_t row) {
  return c.is_float ? fmt::format("{:.17g}", c.floats[row]) : std::to_string(c.ints[row]);
}

bool SameAt(const Column& a, const Column& b, size_t row) {
  return a.is_float == b.is_float &&
         (a.is_float ? SameBits(a.floats[row], b.floats[row]) : a.ints[row] == b.ints[row]);
}

DatasetDiff CompareTable(const std::string& path, const std::vector<Column>& a,
                         const std::vector<Column>& b, bool all) {
  DatasetDiff d{path, true, ""};
  std::set<std::string> names_a, names_b;
  for (const Column& c : a) names_a.insert(c.name);
  for (const Column& c : b) names_b.insert(c.name);
  if (names_a != names_b) {
    d.identical = false;
    d.detail = "the columns differ";
    return d;
  }
  const size_t rows_a = a.empty() ? 0 : a.front().size();
  const size_t rows_b = b.empty() ? 0 : b.front().size();
  std::optional<size_t> first_row;
  std::string first;
  size_t differing_rows = 0;
  std::vector<std::string> skipped;
  for (size_t row = 0; row < std::min(rows_a, rows_b); ++row) {
    bool row_differs = false;
    for (const Column& ca : a) {
      const bool timing =
          std::find(kTimingColumns.begin(), kTimingColumns.end(), ca.name) != kTimingColumns.end();
      if (timing && !all) continue;
      const Column& cb =
          *std::find_if(b.begin(), b.end(), [&](const Column& x) { return x.name == ca.name; });
      if (SameAt(ca, cb, row)) continue;
      row_differs = true;
      if (!first_row) {
        first_row = row;
        first = fmt::format("row {}, {}: {} vs {}", row, ca.name, Value(ca, row), Value(cb, row));
      }
    }
    differing_rows += row_differs ? 1 : 0;
  }
  if (rows_a != rows_b) {
    d.identical = false;
    d.detail = fmt::format("{} vs {} rows", rows_a, rows_b);
    if (first_row) d.detail += "; first difference at " + first;
    return d;
  }
  if (first_row) {
    d.identical = false;
    d.detail =
        fmt::format("first difference at {} ({} of {} rows differ)", first, differing_rows, rows_a);
    return d;
  }
  d.detail = fmt::format("{} rows", rows_a);
  return d;
}

template <typename T, typename Same>
DatasetDiff CompareVectors(const std::string& path, const std::vector<T>& a,
                           const std::vector<T>& b, const char* unit, Same same) {
  DatasetDiff d{path, true, fmt::format("{} {}", a.size(), unit)};
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!same(a[i], b[i])) {
      d.identical = false;
      d.detail = fmt::format("first difference at {} {}",
                             unit == std::string("values") ? "element" : "text id", i);
      break;
    }
  }
  if (a.size() != b.size()) {
    d.identical = false;
    d.detail = fmt::format("{} vs {} {}", a.size(), b.size(), unit) +
               (d.detail.starts_with("first") ? "; " + d.detail : "");
  }
  return d;
}

}  // namespace

bool RunDiff::identical() const {
  if (kind_a != kind_b) return false;
  return std::all_of(datasets.begin(), datasets.end(),
                     [](const DatasetDiff& d) { return d.identical; });
}

std::string RunDiff::Format() const {
  std::string out;
  if (kind_a != kind_b) out += fmt::format("kind              {} vs {}\n", kind_a, kind_b);
  for (const DatasetDiff& d : datasets) {
    out +=
        fmt::format("{:<24}  {:<9}  {}\n", d.path, d.identical ? "identical" : "DIFFERS", d.detail);
  }
  const size_t differ = static_cast<size_t>(std::count_if(
      datasets.begin(), datasets.end(), [](const DatasetDiff& d) { return !d.identical; }));
  out += identical() ? fmt::format("identical: {} datasets\n", datasets.size())
                     : fmt::format("different: {} of {} datasets{}\n", differ, datasets.size(),
                                   kind_a != kind_b ? ", and the kind of run" : "");
  return out;
}

Result<RunDiff> DiffRunFiles(const std::string& a_path, const std::string& b_path, bool all) {
  TEAMSRL_ASSIGN_OR_RETURN(Contents a, Load(a_path));
  TEAMSRL_ASSIGN_OR_RETURN(Contents b, Load(b_path));
  RunDiff diff;
  diff.kind_a = a.kind;
  diff.kind_b = b.kind;
  for (const char* table : kTables) {
    diff.datasets.push_back(CompareTable(table, a.tables[table], b.tables[table], all));
  }
  diff.datasets.push_back(
      CompareVectors(kTextPath, a.texts, b.texts, "strings",
                     [](const std::string& x, const std::string& y) { return x == y; }));
  std::set<std::string> policies;
  for (const auto& [name, v] : a.policies) policies.insert(name);
  for (const auto& [name, v] : b.policies) policies.insert(name);
  for (const std::string& name : policies) {
    auto ia = a.policies.find(name);
    auto ib = b.policies.find(name);
    if (ia == a.policies.end() || ib == b.policies.end()) {
      diff.datasets.push_back({name, false, ia == a.policies.end() ? "only in B" : "only in A"});
      continue;
    }
    diff.datasets.push_back(CompareVectors(name, ia->second, ib->second, "values", SameBits));
  }
  return diff;
}

}  // namespace teamsrl::io
