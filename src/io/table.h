// An append-only table of plain structs stored as one HDF5 compound dataset.
//
// Layout (docs/architecture.md s.7): a 1-D dataset, one row per record and one compound field
// per column, chunked (1024 rows per chunk by default) with unlimited maximum size, and
// compressed with shuffle + deflate level 4. In the file the compound type is packed and
// little-endian (int8/int32/int64/uint64 -> H5T_STD_{I8,I32,I64,U64}LE, float64 ->
// H5T_IEEE_F64LE), so `pandas.DataFrame(f[path][:])` reads it whatever the writer's
// struct padding. The dataset is created when the Table is, even if it stays empty, so a
// reader can open every table of a live run.
//
// Enum columns: integer codes, with the name table stored as an attribute of the dataset
// named `<column>_names`, a 1-D array of variable-length UTF-8 strings where element i is
// the name of code i (e.g. `/train/steps` attribute `action_names`). This is the only
// enum scheme of the run file; analysis/teamsrl_analysis maps codes to categoricals with it.
//
//   struct Row { int64_t id; double x; };
//   TableSchema schema{"/demo/rows", sizeof(Row),
//                      {{"id", offsetof(Row, id), ColumnType::kInt64},
//                       {"x", offsetof(Row, x), ColumnType::kFloat64}}};
//   TEAMSRL_ASSIGN_OR_RETURN(Table table, Table::Create(file.get(), schema));
//   TEAMSRL_RETURN_IF_ERROR(table.Append(std::vector<Row>{{1, 0.5}}));
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/check.h"
#include "core/status.h"
#include "io/hdf5_handle.h"

namespace teamsrl::io {

enum class ColumnType { kInt8, kInt32, kInt64, kUint64, kFloat64 };

struct Column {
  std::string name;   // field name in the file
  size_t offset = 0;  // offsetof(Row, member)
  ColumnType type = ColumnType::kInt64;
  // Non-empty for enum columns: code i means enum_names[i] (stored as `<name>_names`).
  std::vector<std::string> enum_names;
};

struct TableSchema {
  std::string path;     // absolute dataset path, e.g. "/train/steps"; groups are created
  size_t row_size = 0;  // sizeof(Row)
  std::vector<Column> columns;
};

class Table {
 public:
  static constexpr hsize_t kDefaultChunkRows = 1024;
  static constexpr int kDeflateLevel = 4;

  // Creates the empty dataset `schema.path` (and missing parent groups) in `file`.
  static Result<Table> Create(hid_t file, TableSchema schema,
                              hsize_t chunk_rows = kDefaultChunkRows);

  // Opens the existing dataset `schema.path` of `file` for appending after its rows;
  // InvalidArgument naming it when its row type is not the schema's (enum name tables are
  // not checked: they stay as written).
  static Result<Table> Open(hid_t file, TableSchema schema);

  Table() = default;
  Table(Table&&) = default;
  Table& operator=(Table&&) = default;

  // Extends the dataset by rows.size() and writes them at the end.
  template <typename Row>
  Status Append(const std::vector<Row>& rows) {
    CheckRowType<Row>();
    return AppendRaw(rows.data(), rows.size());
  }
  // Replaces the whole contents with `rows` (the extent shrinks or grows to fit).
  template <typename Row>
  Status Replace(const std::vector<Row>& rows) {
    CheckRowType<Row>();
    return ReplaceRaw(rows.data(), rows.size());
  }
  Status AppendRaw(const void* rows, size_t count);
  Status ReplaceRaw(const void* rows, size_t count);
  // Drops the rows from `rows` on (InvalidArgument when there are fewer).
  Status Truncate(int64_t rows);

  int64_t size() const { return static_cast<int64_t>(rows_); }
  const TableSchema& schema() const { return schema_; }
  hid_t dataset() const { return dataset_.get(); }

 private:
  template <typename Row>
  void CheckRowType() const {
    static_assert(std::is_trivially_copyable_v<Row> && std::is_standard_layout_v<Row>,
                  "table rows must be plain structs");
    TEAMSRL_CHECK(sizeof(Row) == schema_.row_size)
        << "row type of size " << sizeof(Row) << " for table " << schema_.path;
  }

  TableSchema schema_;
  DatasetId dataset_;
  TypeId memory_type_;
  hsize_t rows_ = 0;
};

// A 1-D chunked, extendable dataset of variable-length UTF-8 strings (/text/strings).
// Not compressed: the dataset only holds references, the strings live in HDF5's heap.
class TextTable {
 public:
  static Result<TextTable> Create(hid_t file, const std::string& path,
                                  hsize_t chunk_rows = Table::kDefaultChunkRows);
  // Opens the existing string dataset `path` for appending after its strings.
  static Result<TextTable> Open(hid_t file, const std::string& path);
  TextTable() = default;
  TextTable(TextTable&&) = default;
  TextTable& operator=(TextTable&&) = default;

  Status Append(const std::vector<std::string>& texts);
  // Drops the strings from `rows` on. They are first overwritten with empty strings, which
  // frees their objects in HDF5's global heap (a bare H5Dset_extent would leave them
  // there, unreachable, and the file would grow by every truncated string at each
  // resume; test: TableTest.TextTruncateReclaimsTheHeap).
  Status Truncate(int64_t rows);
  int64_t size() const { return static_cast<int64_t>(rows_); }

 private:
  DatasetId dataset_;
  TypeId type_;
  hsize_t rows_ = 0;
};

// Reads strings [first, first + count) of the string dataset `path` (count < 0: to the end).
Result<std::vector<std::string>> ReadStrings(hid_t file, const std::string& path, int64_t first = 0,
                                             int64_t count = -1);

// Opens dataset `path`; NotFound naming the file when it (or a parent group) is missing.
Result<DatasetId> OpenDataset(hid_t file, const std::string& path);
// Number of rows of a 1-D dataset.
Result<int64_t> DatasetRows(hid_t dataset);

// Reads one column of the compound dataset `path` of `file`, converting integers to
// int64 / numbers to float64. NotFound naming the file when the dataset or field is missing.
// `rows` >= 0 reads only the first `rows` rows (a live file's committed rows, run_commit.h);
// DataLoss naming the dataset when it has fewer.
Result<std::vector<int64_t>> ReadInt64Column(hid_t file, const std::string& path,
                                             const std::string& field, int64_t rows = -1);
Result<std::vector<double>> ReadFloat64Column(hid_t file, const std::string& path,
                                              const std::string& field, int64_t rows = -1);

// The builtin (native-endian) memory type and packed little-endian file type of a column.
hid_t NativeType(ColumnType type);
hid_t FileType(ColumnType type);

}  // namespace teamsrl::io
