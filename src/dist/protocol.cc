#include "dist/protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "core/bytes.h"
#include "core/rng.h"

namespace teamsrl::dist {
namespace {

void PutStatus(ByteWriter& w, const Status& s) {
  w.Put<int32_t>(static_cast<int32_t>(s.code()));
  w.PutString(s.message());
}

Status GetStatus(ByteReader& r) {
  const auto code = static_cast<StatusCode>(r.Get<int32_t>());
  std::string message = r.GetString();
  return code == StatusCode::kOk ? OkStatus() : Status(code, std::move(message));
}

std::string EncodeInputs(const std::vector<InputDigest>& inputs) {
  ByteWriter w;
  w.Put<uint64_t>(inputs.size());
  for (const InputDigest& d : inputs) {
    w.PutString(d.what);
    w.PutString(d.digest);
    w.PutString(d.where);
  }
  return w.Take();
}

std::vector<InputDigest> DecodeInputs(const std::string& bytes) {
  ByteReader r(bytes);
  std::vector<InputDigest> out(r.Get<uint64_t>());
  for (InputDigest& d : out) {
    d.what = r.GetString();
    d.digest = r.GetString();
    d.where = r.GetString();
  }
  return out;
}

std::string JoinRanks(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += fmt::format("{}{}", s.empty() ? "" : ", ", r);
  return s;
}

}  // namespace

Status NameRank(const Status& status, int rank) {
  if (status.ok() || status.message().rfind("rank ", 0) == 0) return status;
  return Status(status.code(), fmt::format("rank {}: {}", rank, status.message()));
}

Status AgreeOnStatus(const Comm& comm, const Status& local) {
  ByteWriter w;
  PutStatus(w, local);
  std::vector<Status> all;
  for (const std::string& bytes : comm.AllGather(w.Take())) {
    ByteReader r(bytes);
    all.push_back(GetStatus(r));
  }
  for (size_t rank = 0; rank < all.size(); ++rank) {
    if (all[rank].ok()) continue;
    // Every rank failing alike (a bad file all of them read) is one error of the job;
    // otherwise it is this rank's (LAMMPS's Error::all vs Error::one).
    const bool everywhere = std::all_of(all.begin(), all.end(), [&](const Status& s) {
      return s.code() == all[rank].code() && s.message() == all[rank].message();
    });
    return everywhere ? all[rank] : NameRank(all[rank], static_cast<int>(rank));
  }
  return OkStatus();
}

Decision Follow(const Comm& comm, const Decision& decision) {
  std::string bytes;
  if (comm.is_root()) {
    ByteWriter w;
    PutStatus(w, decision.status);
    w.Put<int8_t>(decision.stop ? 1 : 0);
    w.PutString(decision.payload);
    bytes = w.Take();
  }
  comm.Broadcast(bytes);
  ByteReader r(bytes);
  Decision out;
  out.status = GetStatus(r);
  out.stop = r.Get<int8_t>() != 0;
  out.payload = r.GetString();
  return out;
}

Status ShareRootStatus(const Comm& comm, const Status& status) {
  Decision d;
  d.status = status;
  return Follow(comm, d).status;
}

Gathered GatherWithStatus(const Comm& comm, const Status& local, const std::string& payload) {
  ByteWriter w;
  PutStatus(w, NameRank(local, comm.rank()));
  w.PutString(payload);
  Gathered out;
  for (const std::string& bytes : comm.Gather(w.Take())) {
    ByteReader r(bytes);
    Status s = GetStatus(r);
    if (!s.ok() && out.status.ok()) out.status = s;
    out.payloads.push_back(r.GetString());
  }
  return out;
}

Status AgreeOnInputs(const Comm& comm, const std::vector<InputDigest>& inputs) {
  const std::vector<std::string> all = comm.AllGather(EncodeInputs(inputs));
  const std::vector<InputDigest> root = DecodeInputs(all[0]);
  std::vector<std::vector<InputDigest>> lists;
  lists.reserve(all.size());
  for (const std::string& bytes : all) lists.push_back(DecodeInputs(bytes));
  std::vector<int> other_shape;
  for (size_t r = 1; r < lists.size(); ++r) {
    bool same = lists[r].size() == root.size();
    for (size_t i = 0; same && i < root.size(); ++i) same = lists[r][i].what == root[i].what;
    if (!same) other_shape.push_back(static_cast<int>(r));
  }
  if (!other_shape.empty()) {
    return FailedPrecondition(fmt::format(
        "ranks {} were started differently from rank 0 (other inputs: a different command "
        "or version); start every rank with the same command line",
        JoinRanks(other_shape)));
  }
  for (size_t i = 0; i < root.size(); ++i) {
    std::vector<int> differ;
    for (size_t r = 1; r < lists.size(); ++r) {
      if (lists[r][i].digest != root[i].digest) differ.push_back(static_cast<int>(r));
    }
    if (differ.empty()) continue;
    return FailedPrecondition(fmt::format(
        "ranks disagree on the {}: rank{} {} differ{} from rank 0 (digest {} vs {}); every "
        "rank must run the same version with the same files (a stale copy on one node?)",
        root[i].what + (root[i].where.empty() ? "" : " " + root[i].where),
        differ.size() > 1 ? "s" : "", JoinRanks(differ), differ.size() > 1 ? "" : "s",
        lists[differ[0]][i].digest, root[i].digest));
  }
  return OkStatus();
}

std::string Digest(std::string_view bytes) { return fmt::format("{:016x}", HashBytes(bytes)); }

void AbortWorld(const Comm& comm, const Status& status) {
  std::fprintf(stderr, "teamsrl: error: %s\n", NameRank(status, comm.rank()).message().c_str());
  comm.Abort(1);
}

}  // namespace teamsrl::dist
