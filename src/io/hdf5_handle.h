// RAII ownership of HDF5 identifiers (hid_t) and HDF5 errors as Status.
//
// Each kind of identifier has its own move-only type whose destructor calls the matching
// H5*close: FileId, GroupId, DatasetId, DataspaceId, TypeId, PlistId, AttributeId. Only
// wrap identifiers the caller owns (from H5*create/open/copy/get_*), never predefined
// ones such as H5T_NATIVE_INT64.
//
//   DatasetId dset(H5Dopen2(file.get(), "/train/steps", H5P_DEFAULT));
//   if (!dset) return Hdf5Error("opening dataset /train/steps in " + path);
//
// HDF5's automatic error printing to stderr is turned off (process-wide) the first time
// any function of this unit runs; Hdf5Error() instead collects the library's error stack
// into the Status message and clears it.
#pragma once

#include <hdf5.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace teamsrl::io {

// Turns off HDF5's default error printer for the calling thread (a thread-safe HDF5 keeps
// one per thread). Idempotent; called by the
// constructors of every wrapper and by Hdf5Error, so callers rarely need it.
void SilenceHdf5Errors();

template <herr_t (*kClose)(hid_t)>
class Hdf5Id {
 public:
  Hdf5Id() = default;
  explicit Hdf5Id(hid_t id) : id_(id) { SilenceHdf5Errors(); }
  ~Hdf5Id() { reset(); }
  Hdf5Id(const Hdf5Id&) = delete;
  Hdf5Id& operator=(const Hdf5Id&) = delete;
  Hdf5Id(Hdf5Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hdf5Id& operator=(Hdf5Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }

  // True when the identifier is valid (the H5* call that produced it succeeded).
  explicit operator bool() const { return id_ >= 0; }
  hid_t get() const { return id_; }
  // Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  // Closes now, ignoring errors (destructor semantics).
  void reset() {
    if (id_ >= 0) kClose(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and reports a failure (for files, where closing writes metadata).
  Status Close(std::string_view context);

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileId = Hdf5Id<H5Fclose>;
using GroupId = Hdf5Id<H5Gclose>;
using DatasetId = Hdf5Id<H5Dclose>;
using DataspaceId = Hdf5Id<H5Sclose>;
using TypeId = Hdf5Id<H5Tclose>;
using PlistId = Hdf5Id<H5Pclose>;
using AttributeId = Hdf5Id<H5Aclose>;

// A Status carrying `context` (what was being done, naming the file and object) followed
// by the messages of HDF5's current error stack, outermost first. Clears the stack.
// The code is NotFound when the innermost error is "file does not exist"-like (ENOENT),
// PermissionDenied for EACCES, otherwise Internal.
Status Hdf5Error(std::string_view context);

// Checks an herr_t / htri_t result: OK when >= 0, else Hdf5Error(context).
Status CheckHdf5(herr_t result, std::string_view context);

// The name of the file `id` (a file or any object in it) belongs to; "?" if unknown.
std::string FileName(hid_t id);
// "dataset /train/steps in /runs/a/run.h5", "file /runs/a/run.h5": for error messages.
std::string DescribeObject(hid_t id);

template <herr_t (*kClose)(hid_t)>
Status Hdf5Id<kClose>::Close(std::string_view context) {
  if (id_ < 0) return OkStatus();
  herr_t result = kClose(std::exchange(id_, H5I_INVALID_HID));
  return CheckHdf5(result, context);
}

}  // namespace teamsrl::io
