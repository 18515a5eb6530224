// Reading and writing HDF5 attributes on a file (root group), group or dataset.
//
// Strings are variable-length UTF-8 (what h5py returns as `str`); string arrays are 1-D
// variable-length UTF-8; integers are 64-bit little-endian, floats IEEE float64. Writing
// replaces an existing attribute of the same name, whatever its type. Readers accept any
// integer width for integers and both fixed- and variable-length strings, so files
// written by other tools (h5py) read back too. Errors name the attribute, the object
// and the file.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace teamsrl::io {

Status WriteStringAttribute(hid_t loc, const std::string& name, std::string_view value);
Status WriteStringArrayAttribute(hid_t loc, const std::string& name,
                                 const std::vector<std::string>& values);
Status WriteInt64Attribute(hid_t loc, const std::string& name, int64_t value);
Status WriteUint64Attribute(hid_t loc, const std::string& name, uint64_t value);
Status WriteFloat64Attribute(hid_t loc, const std::string& name, double value);

bool HasAttribute(hid_t loc, const std::string& name);
// NotFound when missing; InvalidArgument when the attribute has another type class.
Result<std::string> ReadStringAttribute(hid_t loc, const std::string& name);
Result<std::vector<std::string>> ReadStringArrayAttribute(hid_t loc, const std::string& name);
Result<int64_t> ReadInt64Attribute(hid_t loc, const std::string& name);
Result<uint64_t> ReadUint64Attribute(hid_t loc, const std::string& name);
Result<double> ReadFloat64Attribute(hid_t loc, const std::string& name);
// All scalar string attributes of `loc`, by name (others are skipped).
Result<std::map<std::string, std::string>> ReadStringAttributes(hid_t loc);

// A variable-length UTF-8 string datatype (owned by the caller).
hid_t MakeVlenStringType();
// Copies the strings an H5Dread/H5Aread of MakeVlenStringType() allocated into `pointers`
// and frees them. Also call it after a failed read: a read that fails part-way (a live
// file changed under the reader) has already allocated some, which would leak.
std::vector<std::string> TakeVlenStrings(std::vector<char*>& pointers);

}  // namespace teamsrl::io
