#include "io/attributes.h"

#include <utility>

#include "io/hdf5_handle.h"

namespace teamsrl::io {
namespace {

std::string Where(hid_t loc, const std::string& name) {
  return "attribute '" + name + "' of " + DescribeObject(loc);
}

// Creates attribute `name` on `loc` (deleting any previous one) and writes `data`.
Status WriteAttribute(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                      hid_t space, const void* data) {
  SilenceHdf5Errors();
  htri_t exists = H5Aexists(loc, name.c_str());
  if (exists < 0) return Hdf5Error("checking " + Where(loc, name));
  if (exists > 0) {
    TEAMSRL_RETURN_IF_ERROR(
        CheckHdf5(H5Adelete(loc, name.c_str()), "replacing " + Where(loc, name)));
  }
  AttributeId attr(H5Acreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr) return Hdf5Error("creating " + Where(loc, name));
  if (H5Sget_simple_extent_npoints(space) > 0) {  // H5Awrite rejects the null buffer of []
    TEAMSRL_RETURN_IF_ERROR(
        CheckHdf5(H5Awrite(attr.get(), mem_type, data), "writing " + Where(loc, name)));
  }
  return attr.Close("closing " + Where(loc, name));
}

Status WriteScalar(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                   const void* data) {
  DataspaceId space(H5Screate(H5S_SCALAR));
  if (!space) return Hdf5Error("creating dataspace for " + Where(loc, name));
  return WriteAttribute(loc, name, file_type, mem_type, space.get(), data);
}

Result<AttributeId> OpenAttribute(hid_t loc, const std::string& name) {
  SilenceHdf5Errors();
  htri_t exists = H5Aexists(loc, name.c_str());
  if (exists < 0) return Hdf5Error("checking " + Where(loc, name));
  if (exists == 0) return NotFound("no " + Where(loc, name));
  AttributeId attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT));
  if (!attr) return Hdf5Error("opening " + Where(loc, name));
  return attr;
}

// Reads every element of a string attribute (fixed or variable length).
Result<std::vector<std::string>> ReadStrings(hid_t loc, const std::string& name) {
  TEAMSRL_ASSIGN_OR_RETURN(AttributeId attr, OpenAttribute(loc, name));
  TypeId type(H5Aget_type(attr.get()));
  DataspaceId space(H5Aget_space(attr.get()));
  if (!type || !space) return Hdf5Error("inspecting " + Where(loc, name));
  if (H5Tget_class(type.get()) != H5T_STRING) {
    return InvalidArgument(Where(loc, name) + " is not a string");
  }
  hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) return Hdf5Error("sizing " + Where(loc, name));
  std::vector<std::string> values;
  if (count == 0) return values;
  if (H5Tis_variable_str(type.get()) > 0) {
    TypeId mem(MakeVlenStringType());
    std::vector<char*> ptrs(static_cast<size_t>(count), nullptr);
    // The status first: H5free_memory, like every HDF5 call, clears the error stack.
    Status read =
        CheckHdf5(H5Aread(attr.get(), mem.get(), ptrs.data()), "reading " + Where(loc, name));
    values = TakeVlenStrings(ptrs);
    TEAMSRL_RETURN_IF_ERROR(read);
  } else {
    size_t size = H5Tget_size(type.get());
    TypeId mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), size);
    std::string buffer(size * static_cast<size_t>(count), '\0');
    TEAMSRL_RETURN_IF_ERROR(
        CheckHdf5(H5Aread(attr.get(), mem.get(), buffer.data()), "reading " + Where(loc, name)));
    for (hssize_t i = 0; i < count; ++i) {
      std::string s = buffer.substr(static_cast<size_t>(i) * size, size);
      s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
      values.push_back(std::move(s));
    }
  }
  return values;
}

template <typename T>
Result<T> ReadNumber(hid_t loc, const std::string& name, hid_t mem_type, H5T_class_t want) {
  TEAMSRL_ASSIGN_OR_RETURN(AttributeId attr, OpenAttribute(loc, name));
  TypeId type(H5Aget_type(attr.get()));
  if (!type) return Hdf5Error("inspecting " + Where(loc, name));
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls != want && !(want == H5T_FLOAT && cls == H5T_INTEGER)) {
    return InvalidArgument(Where(loc, name) + " has the wrong type");
  }
  T value{};
  TEAMSRL_RETURN_IF_ERROR(
      CheckHdf5(H5Aread(attr.get(), mem_type, &value), "reading " + Where(loc, name)));
  return value;
}

struct StringAttributeScan {
  std::vector<std::string> names;
};

herr_t CollectStringAttribute(hid_t loc, const char* name, const H5A_info_t* /*info*/, void* data) {
  AttributeId attr(H5Aopen(loc, name, H5P_DEFAULT));
  if (!attr) return -1;
  TypeId type(H5Aget_type(attr.get()));
  DataspaceId space(H5Aget_space(attr.get()));
  if (type && space && H5Tget_class(type.get()) == H5T_STRING &&
      H5Sget_simple_extent_type(space.get()) == H5S_SCALAR) {
    static_cast<StringAttributeScan*>(data)->names.emplace_back(name);
  }
  return 0;
}

}  // namespace

hid_t MakeVlenStringType() {
  hid_t type = H5Tcopy(H5T_C_S1);
  if (type < 0) return type;
  if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
    H5Tclose(type);
    return H5I_INVALID_HID;
  }
  return type;
}

std::vector<std::string> TakeVlenStrings(std::vector<char*>& pointers) {
  std::vector<std::string> texts;
  texts.reserve(pointers.size());
  for (char*& p : pointers) {
    texts.emplace_back(p != nullptr ? p : "");
    // Allocated by HDF5's allocator: freed by it (H5Dvlen_reclaim does the same per string).
    if (p != nullptr) H5free_memory(p);
    p = nullptr;
  }
  return texts;
}

Status WriteStringAttribute(hid_t loc, const std::string& name, std::string_view value) {
  TypeId type(MakeVlenStringType());
  if (!type) return Hdf5Error("creating string type for " + Where(loc, name));
  std::string copy(value);  // NUL-terminated
  const char* ptr = copy.c_str();
  return WriteScalar(loc, name, type.get(), type.get(), &ptr);
}

Status WriteStringArrayAttribute(hid_t loc, const std::string& name,
                                 const std::vector<std::string>& values) {
  TypeId type(MakeVlenStringType());
  hsize_t dims[1] = {values.size()};
  DataspaceId space(H5Screate_simple(1, dims, nullptr));
  if (!type || !space) return Hdf5Error("creating type for " + Where(loc, name));
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  return WriteAttribute(loc, name, type.get(), type.get(), space.get(), ptrs.data());
}

Status WriteInt64Attribute(hid_t loc, const std::string& name, int64_t value) {
  return WriteScalar(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

Status WriteUint64Attribute(hid_t loc, const std::string& name, uint64_t value) {
  return WriteScalar(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

Status WriteFloat64Attribute(hid_t loc, const std::string& name, double value) {
  return WriteScalar(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool HasAttribute(hid_t loc, const std::string& name) {
  SilenceHdf5Errors();
  htri_t exists = H5Aexists(loc, name.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

Result<std::string> ReadStringAttribute(hid_t loc, const std::string& name) {
  TEAMSRL_ASSIGN_OR_RETURN(std::vector<std::string> values, ReadStrings(loc, name));
  if (values.size() != 1) return InvalidArgument(Where(loc, name) + " is not a single string");
  return std::move(values[0]);
}

Result<std::vector<std::string>> ReadStringArrayAttribute(hid_t loc, const std::string& name) {
  return ReadStrings(loc, name);
}

Result<int64_t> ReadInt64Attribute(hid_t loc, const std::string& name) {
  return ReadNumber<int64_t>(loc, name, H5T_NATIVE_INT64, H5T_INTEGER);
}

Result<uint64_t> ReadUint64Attribute(hid_t loc, const std::string& name) {
  return ReadNumber<uint64_t>(loc, name, H5T_NATIVE_UINT64, H5T_INTEGER);
}

Result<double> ReadFloat64Attribute(hid_t loc, const std::string& name) {
  return ReadNumber<double>(loc, name, H5T_NATIVE_DOUBLE, H5T_FLOAT);
}

Result<std::map<std::string, std::string>> ReadStringAttributes(hid_t loc) {
  SilenceHdf5Errors();
  StringAttributeScan scan;
  hsize_t index = 0;
  if (H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &index, CollectStringAttribute, &scan) < 0) {
    return Hdf5Error("listing attributes of " + DescribeObject(loc));
  }
  std::map<std::string, std::string> values;
  for (const std::string& name : scan.names) {
    TEAMSRL_ASSIGN_OR_RETURN(values[name], ReadStringAttribute(loc, name));
  }
  return values;
}

}  // namespace teamsrl::io
