// A rollback journal under HDF5, so a writer killed in the middle of a change leaves a file
// that can be restored to its last commit (docs/architecture.md s.7, "Killed writers").
//
// HDF5 1.10 without SWMR updates its metadata (object headers, chunk B-trees, heaps,
// superblock) in place, frees and reuses space, and rewrites compressed chunks elsewhere.
// A process killed while H5Dwrite or H5Fflush is issuing those writes leaves a mix of old
// and new structures: the next open, or the next rewrite of a chunk, fails ("inflate()
// failed", "unable to remove chunks"). No ordering of HDF5 calls avoids that.
//
// This file driver is HDF5's sec2 driver (pread/pwrite on a descriptor) plus an undo log,
// `<file>.undo`, the scheme of SQLite's rollback journal: before the first overwrite of a
// byte range the last commit left in the file, its old bytes are appended to the journal
// (one write(2) per record, with a checksum), and only then is the range overwritten. A
// commit (CommitUndoJournal: after H5Fflush, fsync of the file, then the journal emptied)
// makes the file's current bytes the state to return to. A journal that is not empty is
// "hot": its writer died between two commits. Opening the file for writing rolls it back:
// old bytes put back, the file cut to its committed size, the journal emptied. Opening it
// read-only reads the committed state through the journal without changing anything.
//
// What it guarantees: a process killed at any instant (SIGKILL, OOM, a lost SLURM job)
// leaves a file that reads as its last commit. It does not make the journal itself durable
// against power loss (that would cost an fsync per overwrite); the commit's fsync still
// makes every committed state durable on the file server.
#pragma once

#include <hdf5.h>

#include <string>

#include "core/status.h"

namespace teamsrl::io {

// `<path>.undo`.
std::string UndoJournalPath(const std::string& path);

// Makes `fapl` open files through the journaling driver. Files created through it start
// with an empty journal (a stale one at the path is removed).
Status UseUndoJournal(hid_t fapl);

// Commits the current bytes of `file` (opened through UseUndoJournal, and just flushed by
// H5Fflush): fsync, then the journal emptied. A commit of a read-only file only syncs.
Status CommitUndoJournal(hid_t file);

// Rolls back the hot journal of `path`, if it has one, without opening it in HDF5: true
// when bytes were restored. A journal of another file (its inode or committed head does
// not match) is removed and ignored.
Result<bool> RollBackUndoJournal(const std::string& path);

// Test hook: the process kills itself with SIGKILL when it is about to write to a journaled
// file the `count`-th time from now, after writing half of that write's bytes (a torn
// write). 0 turns it off. The environment variable TEAMSRL_CRASH_AT_WRITE=count sets it
// when the driver is first used (fault injection for the integration tests).
void CrashAtUndoWriteForTest(int count);

}  // namespace teamsrl::io
