// The collective protocol every driver uses: "root decides, everybody follows"
// (docs/architecture.md s.6). Three shapes cover every
// point at which ranks must share a decision:
//  - AgreeOnStatus: each rank has a local verdict (setup, a file); every rank returns the
//    same Status, the first failure in rank order (named by its rank unless all failed
//    alike). ShareRootStatus: root alone has the verdict (the run file).
//  - GatherWithStatus + Follow: ranks send root their part and their local error; root
//    decides (continue, stop cleanly, fail) and broadcasts the Decision with the payload
//    every rank needs (policy parameters, ...).
//  - AgreeOnInputs: at start, the ranks compare digests of what they run (version,
//    resolved config, input files), so ranks started differently fail with one message
//    naming what differs instead of hanging or mixing results.
// A local error that cannot wait for the next exchange aborts the world (AbortWorld),
// naming the rank (LAMMPS's Error::one).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "dist/comm.h"

namespace teamsrl::dist {

// `status` prefixed with "rank R: " (once: a message that already names a rank is kept).
Status NameRank(const Status& status, int rank);

// Collective. OK on every rank, or on every rank the first failure in rank order: as it
// is when every rank failed alike, else with its message naming the rank it happened on.
Status AgreeOnStatus(const Comm& comm, const Status& local);

// Collective. Root's `status` on every rank (the argument is ignored elsewhere).
Status ShareRootStatus(const Comm& comm, const Status& status);

// What root decided at a step boundary.
struct Decision {
  Status status;        // non-OK: the run failed; every rank returns it
  bool stop = false;    // a clean stop (every seed done, a budget cap reached)
  std::string payload;  // the driver's bytes every rank needs (policy parameters, ...)
};

// Collective. Root's `decision` on every rank (the argument is ignored elsewhere).
Decision Follow(const Comm& comm, const Decision& decision);

// What root received: every rank's payload in rank order, and the first local failure in
// rank order (named by its rank), or OK. Other ranks get an OK status and no payloads.
struct Gathered {
  Status status;
  std::vector<std::string> payloads;
};

// Collective. A rank that failed sends its error and what it has (root may record it).
Gathered GatherWithStatus(const Comm& comm, const Status& local, const std::string& payload);

// One thing every rank must run identically: what it is ("resolved configuration",
// "seed file"), root's `where` shown in the message (a path, may be empty), and a digest
// of its content.
struct InputDigest {
  std::string what;
  std::string digest;
  std::string where;
};

// Collective. OK when every rank passed the same list as root; otherwise, on every rank,
// FailedPrecondition naming the first item that differs and the ranks that differ from
// root (or the ranks whose list has other items).
Status AgreeOnInputs(const Comm& comm, const std::vector<InputDigest>& inputs);

// The digest AgreeOnInputs compares: a hex hash of `bytes`.
std::string Digest(std::string_view bytes);

// Ends every rank of the job at once with exit code 1 after printing
// "teamsrl: error: rank R: <message>"; for errors only this rank has seen and that
// cannot wait for the next exchange.
[[noreturn]] void AbortWorld(const Comm& comm, const Status& status);

}  // namespace teamsrl::dist
