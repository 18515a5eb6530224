#include "io/table.h"

#include <utility>

#include "io/attributes.h"

namespace teamsrl::io {
namespace {

// Writes `count` elements of `memory_type` at rows [first, first + count) of `dataset`,
// whose extent already covers them.
Status WriteRows(hid_t dataset, hid_t memory_type, hsize_t first, hsize_t count, const void* data) {
  if (count == 0) return OkStatus();
  DataspaceId file_space(H5Dget_space(dataset));
  hsize_t start[1] = {first};
  hsize_t counts[1] = {count};
  DataspaceId memory_space(H5Screate_simple(1, counts, nullptr));
  if (!file_space || !memory_space ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, counts, nullptr) < 0) {
    return Hdf5Error("selecting rows of " + DescribeObject(dataset));
  }
  return CheckHdf5(
      H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data),
      "writing " + std::to_string(count) + " rows to " + DescribeObject(dataset));
}

// Grows `dataset` from `rows` to `rows + count` and writes the new rows; on failure the
// extent is put back (best effort) so the dataset never ends in unwritten rows.
Status ExtendAndWrite(hid_t dataset, hid_t memory_type, hsize_t rows, hsize_t count,
                      const void* data) {
  if (count == 0) return OkStatus();
  hsize_t new_size[1] = {rows + count};
  TEAMSRL_RETURN_IF_ERROR(
      CheckHdf5(H5Dset_extent(dataset, new_size), "extending " + DescribeObject(dataset)));
  Status status = WriteRows(dataset, memory_type, rows, count, data);
  if (!status.ok()) {
    hsize_t old_size[1] = {rows};
    H5Dset_extent(dataset, old_size);
    H5Eclear2(H5E_DEFAULT);
  }
  return status;
}

// An empty 1-D chunked dataset with unlimited maximum size; `compress` adds shuffle +
// deflate. Missing parent groups are created.
Result<DatasetId> CreateExtendable(hid_t file, const std::string& path, hid_t file_type,
                                   hsize_t chunk_rows, bool compress) {
  const std::string where = "dataset " + path + " in " + FileName(file);
  hsize_t dims[1] = {0};
  hsize_t max_dims[1] = {H5S_UNLIMITED};
  DataspaceId space(H5Screate_simple(1, dims, max_dims));
  PlistId create(H5Pcreate(H5P_DATASET_CREATE));
  PlistId links(H5Pcreate(H5P_LINK_CREATE));
  if (!space || !create || !links || H5Pset_chunk(create.get(), 1, &chunk_rows) < 0 ||
      H5Pset_create_intermediate_group(links.get(), 1) < 0) {
    return Hdf5Error("setting up the layout of " + where);
  }
  if (compress && (H5Pset_shuffle(create.get()) < 0 ||
                   H5Pset_deflate(create.get(), Table::kDeflateLevel) < 0)) {
    return Hdf5Error("setting up compression of " + where);
  }
  DatasetId dataset(H5Dcreate2(file, path.c_str(), file_type, space.get(), links.get(),
                               create.get(), H5P_DEFAULT));
  if (!dataset) return Hdf5Error("creating " + where);
  return dataset;
}

// The first `rows` rows of `dataset` (all when rows < 0) as a file-space selection and a
// matching memory space; DataLoss when the dataset has fewer.
Status SelectFirstRows(hid_t dataset, int64_t rows, const std::string& where,
                       DataspaceId& file_space, DataspaceId& memory_space, hsize_t& count) {
  file_space = DataspaceId(H5Dget_space(dataset));
  hssize_t extent = file_space ? H5Sget_simple_extent_npoints(file_space.get()) : -1;
  if (extent < 0) return Hdf5Error("sizing " + where);
  if (rows > extent) {
    return DataLoss(where + " has " + std::to_string(extent) + " rows, fewer than the " +
                    std::to_string(rows) + " committed");
  }
  count = static_cast<hsize_t>(rows < 0 ? extent : rows);
  hsize_t start[1] = {0};
  hsize_t counts[1] = {count};
  memory_space = DataspaceId(H5Screate_simple(1, counts, nullptr));
  if (!memory_space ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, counts, nullptr) < 0) {
    return Hdf5Error("selecting rows of " + where);
  }
  return OkStatus();
}

template <typename T>
Result<std::vector<T>> ReadColumn(hid_t file, const std::string& path, const std::string& field,
                                  hid_t native, int64_t rows) {
  TEAMSRL_ASSIGN_OR_RETURN(DatasetId dataset, OpenDataset(file, path));
  std::string where = "field '" + field + "' of " + DescribeObject(dataset.get());
  TypeId file_type(H5Dget_type(dataset.get()));
  if (!file_type) return Hdf5Error("reading the type of " + where);
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND ||
      H5Tget_member_index(file_type.get(), field.c_str()) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return NotFound("no " + where);
  }
  DataspaceId file_space, memory_space;
  hsize_t count = 0;
  TEAMSRL_RETURN_IF_ERROR(
      SelectFirstRows(dataset.get(), rows, where, file_space, memory_space, count));
  std::vector<T> values(static_cast<size_t>(count));
  if (count == 0) return values;
  // HDF5 converts compound types member by member, matched by name: a memory type with
  // one member reads one column.
  TypeId memory(H5Tcreate(H5T_COMPOUND, sizeof(T)));
  if (!memory || H5Tinsert(memory.get(), field.c_str(), 0, native) < 0) {
    return Hdf5Error("building the memory type for " + where);
  }
  TEAMSRL_RETURN_IF_ERROR(CheckHdf5(H5Dread(dataset.get(), memory.get(), memory_space.get(),
                                            file_space.get(), H5P_DEFAULT, values.data()),
                                    "reading " + where));
  return values;
}

// The native memory type and packed little-endian file type of `schema`'s rows.
Status BuildRowTypes(const TableSchema& schema, const std::string& where, TypeId& memory_type,
                     TypeId& file_type) {
  memory_type = TypeId(H5Tcreate(H5T_COMPOUND, schema.row_size));
  if (!memory_type) return Hdf5Error("creating the memory type of " + where);
  size_t file_size = 0;
  for (const Column& column : schema.columns) file_size += H5Tget_size(FileType(column.type));
  file_type = TypeId(H5Tcreate(H5T_COMPOUND, file_size));
  if (!file_type) return Hdf5Error("creating the file type of " + where);
  size_t file_offset = 0;
  for (const Column& column : schema.columns) {
    TEAMSRL_CHECK(column.offset + H5Tget_size(NativeType(column.type)) <= schema.row_size)
        << "column " << column.name << " of " << schema.path;
    if (H5Tinsert(memory_type.get(), column.name.c_str(), column.offset, NativeType(column.type)) <
            0 ||
        H5Tinsert(file_type.get(), column.name.c_str(), file_offset, FileType(column.type)) < 0) {
      return Hdf5Error("adding column " + column.name + " to " + where);
    }
    file_offset += H5Tget_size(FileType(column.type));
  }
  return OkStatus();
}

}  // namespace

Result<DatasetId> OpenDataset(hid_t file, const std::string& path) {
  SilenceHdf5Errors();
  // H5Lexists fails (rather than returning false) when an intermediate group is missing,
  // so check each level.
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    prefix = path.substr(0, next);
    if (!prefix.empty() && prefix != "/") {
      htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
      if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return NotFound("no dataset " + path + " in " + FileName(file));
      }
    }
    pos = next;
  }
  DatasetId dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset) return Hdf5Error("opening dataset " + path + " in " + FileName(file));
  return dataset;
}

Result<int64_t> DatasetRows(hid_t dataset) {
  DataspaceId space(H5Dget_space(dataset));
  hssize_t count = space ? H5Sget_simple_extent_npoints(space.get()) : -1;
  if (count < 0) return Hdf5Error("sizing " + DescribeObject(dataset));
  return static_cast<int64_t>(count);
}

hid_t NativeType(ColumnType type) {
  switch (type) {
    case ColumnType::kInt8:
      return H5T_NATIVE_INT8;
    case ColumnType::kInt32:
      return H5T_NATIVE_INT32;
    case ColumnType::kInt64:
      return H5T_NATIVE_INT64;
    case ColumnType::kUint64:
      return H5T_NATIVE_UINT64;
    case ColumnType::kFloat64:
      return H5T_NATIVE_DOUBLE;
  }
  return H5I_INVALID_HID;
}

hid_t FileType(ColumnType type) {
  switch (type) {
    case ColumnType::kInt8:
      return H5T_STD_I8LE;
    case ColumnType::kInt32:
      return H5T_STD_I32LE;
    case ColumnType::kInt64:
      return H5T_STD_I64LE;
    case ColumnType::kUint64:
      return H5T_STD_U64LE;
    case ColumnType::kFloat64:
      return H5T_IEEE_F64LE;
  }
  return H5I_INVALID_HID;
}

Result<Table> Table::Create(hid_t file, TableSchema schema, hsize_t chunk_rows) {
  TEAMSRL_CHECK(!schema.columns.empty() && schema.row_size > 0) << schema.path;
  TEAMSRL_CHECK(chunk_rows > 0) << schema.path;
  SilenceHdf5Errors();
  const std::string where = "dataset " + schema.path + " in " + FileName(file);

  Table table;
  TypeId file_type;
  TEAMSRL_RETURN_IF_ERROR(BuildRowTypes(schema, where, table.memory_type_, file_type));

  TEAMSRL_ASSIGN_OR_RETURN(table.dataset_, CreateExtendable(file, schema.path, file_type.get(),
                                                            chunk_rows, /*compress=*/true));
  for (const Column& column : schema.columns) {
    if (column.enum_names.empty()) continue;
    TEAMSRL_RETURN_IF_ERROR(
        WriteStringArrayAttribute(table.dataset_.get(), column.name + "_names", column.enum_names));
  }
  table.schema_ = std::move(schema);
  return table;
}

Result<Table> Table::Open(hid_t file, TableSchema schema) {
  TEAMSRL_CHECK(!schema.columns.empty() && schema.row_size > 0) << schema.path;
  SilenceHdf5Errors();
  const std::string where = "dataset " + schema.path + " in " + FileName(file);
  Table table;
  TypeId file_type;
  TEAMSRL_RETURN_IF_ERROR(BuildRowTypes(schema, where, table.memory_type_, file_type));
  TEAMSRL_ASSIGN_OR_RETURN(table.dataset_, OpenDataset(file, schema.path));
  TypeId stored(H5Dget_type(table.dataset_.get()));
  if (!stored) return Hdf5Error("reading the type of " + where);
  if (H5Tequal(stored.get(), file_type.get()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return InvalidArgument(where + " does not have the row type this teamsrl writes");
  }
  TEAMSRL_ASSIGN_OR_RETURN(int64_t rows, DatasetRows(table.dataset_.get()));
  table.rows_ = static_cast<hsize_t>(rows);
  table.schema_ = std::move(schema);
  return table;
}

Status Table::Truncate(int64_t rows) {
  TEAMSRL_CHECK(dataset_) << "Truncate on a moved-from or unopened table";
  if (rows < 0 || rows > size()) {
    return InvalidArgument("cannot truncate " + DescribeObject(dataset_.get()) + " to " +
                           std::to_string(rows) + " rows: it has " + std::to_string(size()));
  }
  hsize_t new_size[1] = {static_cast<hsize_t>(rows)};
  TEAMSRL_RETURN_IF_ERROR(CheckHdf5(H5Dset_extent(dataset_.get(), new_size),
                                    "truncating " + DescribeObject(dataset_.get())));
  rows_ = new_size[0];
  return OkStatus();
}

Status Table::AppendRaw(const void* rows, size_t count) {
  TEAMSRL_CHECK(dataset_) << "Append on a moved-from or unopened table";
  TEAMSRL_RETURN_IF_ERROR(ExtendAndWrite(dataset_.get(), memory_type_.get(), rows_, count, rows));
  rows_ += count;
  return OkStatus();
}

Status Table::ReplaceRaw(const void* rows, size_t count) {
  TEAMSRL_CHECK(dataset_) << "Replace on a moved-from or unopened table";
  hsize_t new_size[1] = {count};
  TEAMSRL_RETURN_IF_ERROR(CheckHdf5(H5Dset_extent(dataset_.get(), new_size),
                                    "resizing " + DescribeObject(dataset_.get())));
  rows_ = count;
  return WriteRows(dataset_.get(), memory_type_.get(), 0, count, rows);
}

Result<TextTable> TextTable::Create(hid_t file, const std::string& path, hsize_t chunk_rows) {
  SilenceHdf5Errors();
  TextTable table;
  table.type_ = TypeId(MakeVlenStringType());
  if (!table.type_) return Hdf5Error("creating the string type of " + path);
  TEAMSRL_ASSIGN_OR_RETURN(table.dataset_, CreateExtendable(file, path, table.type_.get(),
                                                            chunk_rows, /*compress=*/false));
  return table;
}

Result<TextTable> TextTable::Open(hid_t file, const std::string& path) {
  SilenceHdf5Errors();
  TextTable table;
  table.type_ = TypeId(MakeVlenStringType());
  if (!table.type_) return Hdf5Error("creating the string type of " + path);
  TEAMSRL_ASSIGN_OR_RETURN(table.dataset_, OpenDataset(file, path));
  TypeId stored(H5Dget_type(table.dataset_.get()));
  if (!stored || H5Tget_class(stored.get()) != H5T_STRING ||
      H5Tis_variable_str(stored.get()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return InvalidArgument(DescribeObject(table.dataset_.get()) +
                           " is not a variable-length string dataset");
  }
  TEAMSRL_ASSIGN_OR_RETURN(int64_t rows, DatasetRows(table.dataset_.get()));
  table.rows_ = static_cast<hsize_t>(rows);
  return table;
}

Status TextTable::Truncate(int64_t rows) {
  TEAMSRL_CHECK(dataset_) << "Truncate on a moved-from or unopened text table";
  if (rows < 0 || rows > size()) {
    return InvalidArgument("cannot truncate " + DescribeObject(dataset_.get()) + " to " +
                           std::to_string(rows) + " strings: it has " + std::to_string(size()));
  }
  const hsize_t dropped = rows_ - static_cast<hsize_t>(rows);
  if (dropped > 0) {
    std::vector<const char*> empty(dropped, "");
    TEAMSRL_RETURN_IF_ERROR(
        WriteRows(dataset_.get(), type_.get(), static_cast<hsize_t>(rows), dropped, empty.data()));
  }
  hsize_t new_size[1] = {static_cast<hsize_t>(rows)};
  TEAMSRL_RETURN_IF_ERROR(CheckHdf5(H5Dset_extent(dataset_.get(), new_size),
                                    "truncating " + DescribeObject(dataset_.get())));
  rows_ = new_size[0];
  return OkStatus();
}

Status TextTable::Append(const std::vector<std::string>& texts) {
  TEAMSRL_CHECK(dataset_) << "Append on a moved-from or unopened text table";
  std::vector<const char*> pointers;
  pointers.reserve(texts.size());
  for (const std::string& text : texts) pointers.push_back(text.c_str());
  TEAMSRL_RETURN_IF_ERROR(
      ExtendAndWrite(dataset_.get(), type_.get(), rows_, texts.size(), pointers.data()));
  rows_ += texts.size();
  return OkStatus();
}

Result<std::vector<std::string>> ReadStrings(hid_t file, const std::string& path, int64_t first,
                                             int64_t count) {
  TEAMSRL_ASSIGN_OR_RETURN(DatasetId dataset, OpenDataset(file, path));
  TEAMSRL_ASSIGN_OR_RETURN(int64_t rows, DatasetRows(dataset.get()));
  if (count < 0) count = rows - first;
  if (first < 0 || count < 0 || first + count > rows) {
    return InvalidArgument("strings [" + std::to_string(first) + ", " +
                           std::to_string(first + count) + ") out of range of " +
                           DescribeObject(dataset.get()) + " (" + std::to_string(rows) +
                           " strings)");
  }
  std::vector<std::string> texts;
  if (count == 0) return texts;
  TypeId type(MakeVlenStringType());
  DataspaceId file_space(H5Dget_space(dataset.get()));
  hsize_t start[1] = {static_cast<hsize_t>(first)};
  hsize_t counts[1] = {static_cast<hsize_t>(count)};
  DataspaceId memory_space(H5Screate_simple(1, counts, nullptr));
  if (!type || !file_space || !memory_space ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, counts, nullptr) < 0) {
    return Hdf5Error("selecting strings of " + DescribeObject(dataset.get()));
  }
  std::vector<char*> pointers(static_cast<size_t>(count), nullptr);
  // The status first: H5free_memory, like every HDF5 call, clears the error stack.
  Status read = CheckHdf5(H5Dread(dataset.get(), type.get(), memory_space.get(), file_space.get(),
                                  H5P_DEFAULT, pointers.data()),
                          "reading strings of " + DescribeObject(dataset.get()));
  texts = TakeVlenStrings(pointers);
  TEAMSRL_RETURN_IF_ERROR(read);
  return texts;
}

Result<std::vector<int64_t>> ReadInt64Column(hid_t file, const std::string& path,
                                             const std::string& field, int64_t rows) {
  return ReadColumn<int64_t>(file, path, field, H5T_NATIVE_INT64, rows);
}

Result<std::vector<double>> ReadFloat64Column(hid_t file, const std::string& path,
                                              const std::string& field, int64_t rows) {
  return ReadColumn<double>(file, path, field, H5T_NATIVE_DOUBLE, rows);
}

}  // namespace teamsrl::io
