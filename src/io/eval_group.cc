#include "io/eval_group.h"

#include <hdf5.h>

#include "io/attributes.h"
#include "io/hdf5_handle.h"
#include "io/run_commit.h"
#include "io/undo_journal.h"

namespace teamsrl::io {
namespace {

Status WriteFlat(hid_t group, const std::string& prefix, const nlohmann::json& value) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      TEAMSRL_RETURN_IF_ERROR(WriteFlat(group, prefix.empty() ? key : prefix + "." + key, child));
    }
    return OkStatus();
  }
  if (value.is_null()) return OkStatus();  // n/a
  if (value.is_boolean()) return WriteInt64Attribute(group, prefix, value.get<bool>() ? 1 : 0);
  if (value.is_number_integer()) return WriteInt64Attribute(group, prefix, value.get<int64_t>());
  if (value.is_number()) return WriteFloat64Attribute(group, prefix, value.get<double>());
  if (value.is_string()) return WriteStringAttribute(group, prefix, value.get<std::string>());
  return WriteStringAttribute(group, prefix, value.dump());  // arrays: as JSON text
}

Status WriteEvalGroupNow(const std::string& run_path, const std::string& name,
                         const nlohmann::json& metrics) {
  if (name.empty() || name.find('/') != std::string::npos) {
    return InvalidArgument("eval group name must be one path component, got '" + name + "'");
  }
  SilenceHdf5Errors();
  if (H5Fis_hdf5(run_path.c_str()) <= 0) {
    return NotFound(run_path + " is not an existing HDF5 run file");
  }
  // The writer of a run takes no HDF5 file lock (run_file.h) and writes through the undo
  // journal (undo_journal.h); do the same here.
  PlistId fapl(H5Pcreate(H5P_FILE_ACCESS));
#if H5_VERSION_GE(1, 10, 7)
  if (!fapl || H5Pset_file_locking(fapl.get(), false, true) < 0) {
    return Hdf5Error("setting up file access for " + run_path);
  }
#endif
  TEAMSRL_RETURN_IF_ERROR(UseUndoJournal(fapl.get()));
  FileId file(H5Fopen(run_path.c_str(), H5F_ACC_RDWR, fapl.get()));
  if (!file) return Hdf5Error("cannot open " + run_path + " for writing");
  if (!HasAttribute(file.get(), "schema_version")) {
    return InvalidArgument(run_path + " is not a teamsrl run file (no schema_version)");
  }
  const std::string parent = "/eval";
  if (H5Lexists(file.get(), parent.c_str(), H5P_DEFAULT) <= 0) {
    GroupId g(H5Gcreate2(file.get(), parent.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!g) return Hdf5Error("creating " + parent + " in " + run_path);
  }
  const std::string path = parent + "/" + name;
  if (H5Lexists(file.get(), path.c_str(), H5P_DEFAULT) > 0 &&
      H5Ldelete(file.get(), path.c_str(), H5P_DEFAULT) < 0) {
    return Hdf5Error("replacing " + path + " in " + run_path);
  }
  GroupId group(H5Gcreate2(file.get(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!group) return Hdf5Error("creating " + path + " in " + run_path);
  TEAMSRL_RETURN_IF_ERROR(WriteFlat(group.get(), "", metrics));
  TEAMSRL_RETURN_IF_ERROR(WriteStringAttribute(group.get(), "json", metrics.dump()));
  group.reset();
  return file.Close("closing " + run_path);
}

}  // namespace

Status WriteEvalGroup(const std::string& run_path, const std::string& name,
                      const nlohmann::json& metrics) {
  // A file with a commit record is changed like its writer changes it (run_commit.h), so
  // a reader polling it does not read the group half-written.
  std::optional<CommitRecord> record = ReadCommit(run_path);
  if (!record) return WriteEvalGroupNow(run_path, name, metrics);
  const WriterState after =
      record->state == WriterState::kWriting ? WriterState::kClosed : record->state;
  record->host = ThisHost();
  record->pid = ThisPid();
  record->state = WriterState::kWriting;
  ++record->seq;
  TEAMSRL_RETURN_IF_ERROR(PublishCommit(run_path, *record));
  TEAMSRL_RETURN_IF_ERROR(WriteEvalGroupNow(run_path, name, metrics));
  record->state = after;
  ++record->seq;
  return PublishCommit(run_path, *record);
}

}  // namespace teamsrl::io
