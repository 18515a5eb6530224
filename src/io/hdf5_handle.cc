#include "io/hdf5_handle.h"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

namespace teamsrl::io {
namespace {

struct ErrorStack {
  std::vector<std::string> descriptions;  // outermost (API call) first
  int last_errno = 0;                     // from the innermost "errno = N" in a message
};

herr_t CollectError(unsigned /*n*/, const H5E_error2_t* error, void* data) {
  auto* stack = static_cast<ErrorStack*>(data);
  std::string desc = error->desc != nullptr ? error->desc : "";
  if (desc.empty() && error->func_name != nullptr) desc = error->func_name;
  if (desc.empty()) return 0;
  // The same text often repeats at several levels of the stack.
  for (const std::string& seen : stack->descriptions) {
    if (seen == desc) return 0;
  }
  if (size_t pos = desc.find("errno = "); pos != std::string::npos) {
    stack->last_errno = std::atoi(desc.c_str() + pos + 8);
  }
  stack->descriptions.push_back(std::move(desc));
  return 0;
}

}  // namespace

void SilenceHdf5Errors() {
  // Per thread: a thread-safe HDF5 keeps the error stack and its printer per thread (the
  // run file's background flush runs on its own).
  thread_local bool silenced = false;
  if (!silenced) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  silenced = true;
}

Status Hdf5Error(std::string_view context) {
  SilenceHdf5Errors();
  ErrorStack stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectError, &stack);
  H5Eclear2(H5E_DEFAULT);
  std::string message(context);
  if (!stack.descriptions.empty()) {
    message += " (HDF5: ";
    for (size_t i = 0; i < stack.descriptions.size(); ++i) {
      if (i > 0) message += "; ";
      message += stack.descriptions[i];
    }
    message += ")";
  }
  switch (stack.last_errno) {
    case ENOENT:
      return NotFound(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(StatusCode::kPermissionDenied, std::move(message));
    default:
      return Internal(std::move(message));
  }
}

Status CheckHdf5(herr_t result, std::string_view context) {
  if (result >= 0) return OkStatus();
  return Hdf5Error(context);
}

std::string FileName(hid_t id) {
  SilenceHdf5Errors();
  std::string file_name = "?";
  if (ssize_t n = H5Fget_name(id, nullptr, 0); n > 0) {
    file_name.assign(static_cast<size_t>(n) + 1, '\0');
    H5Fget_name(id, file_name.data(), file_name.size());
    file_name.resize(static_cast<size_t>(n));
  }
  H5Eclear2(H5E_DEFAULT);
  return file_name;
}

std::string DescribeObject(hid_t id) {
  std::string file_name = FileName(id);
  std::string object_name;
  if (ssize_t n = H5Iget_name(id, nullptr, 0); n > 0) {
    object_name.assign(static_cast<size_t>(n) + 1, '\0');
    H5Iget_name(id, object_name.data(), object_name.size());
    object_name.resize(static_cast<size_t>(n));
  }
  H5Eclear2(H5E_DEFAULT);
  const char* kind = "object";
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      return "file " + file_name;
    case H5I_GROUP:
      kind = "group";
      break;
    case H5I_DATASET:
      kind = "dataset";
      break;
    case H5I_DATATYPE:
      kind = "datatype";
      break;
    case H5I_ATTR:
      kind = "attribute of";
      break;
    default:
      break;
  }
  return std::string(kind) + " " + object_name + " in " + file_name;
}

}  // namespace teamsrl::io
