// A process that holds an API key writes no core file: the key sits in its memory in plain
// text, and a core on a shared cluster file system is readable by whoever can read the
// working directory (issue 9 item 8). TEAMSRL_CORE_DUMPS=1 keeps the limit as it was, for
// debugging a crash.
#pragma once

namespace teamsrl::llm {

// Sets the soft RLIMIT_CORE to 0 unless TEAMSRL_CORE_DUMPS=1. Not PR_SET_DUMPABLE: that
// would also forbid the ptrace-class access OpenMPI's shared-memory single copy (CMA) needs
// between ranks of one job. systemd-coredump honours the limit too.
void DisableCoreDumpsWhileHoldingAKey();

}  // namespace teamsrl::llm
