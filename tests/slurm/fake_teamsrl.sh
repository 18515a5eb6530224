#!/usr/bin/env bash
# Stands in for teamsrl under the slurm/ templates, following the contract the templates
# rely on: on SIGUSR1, SIGTERM or SIGINT it "writes a checkpoint" (root takes a second)
# and every rank exits 75 once root has written it (as teamsrl's ranks do after
# MPI_Finalize: mpirun ends the other ranks as soon as one exits non-zero); a start after
# a requeue (SLURM_RESTART_COUNT >= 1) "resumes" and exits 0.
# Its arguments choose: one containing `mode=quick` exits 0 at once, `mode=fail` exits 3,
# anything else waits ($FAKE_SECONDS, default 60 s, at most) for the signal. Each rank appends one line per
# event to $FAKE_RECORD: `EVENT restart=N rank=R ntasks=T task=ARRAY_TASK argc=N args=ARGS`.
set -euo pipefail
rank="${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${SLURM_PROCID:-0}}}"
restart="${SLURM_RESTART_COUNT:-0}"
ARGS="$*" ARGC=$#
note() {
  echo "$1 restart=$restart rank=$rank ntasks=${SLURM_NTASKS:-} task=${SLURM_ARRAY_TASK_ID:-}" \
    "argc=$ARGC args=$ARGS" >> "$FAKE_RECORD"
}
case "$ARGS" in
  *mode=quick*) note "done"; exit 0 ;;
  *mode=fail*) note failed; exit 3 ;;
esac
if [[ "$restart" -ge 1 ]]; then
  note resumed
  exit 0
fi
# shellcheck disable=SC2317  # called by the traps
preempt() {
  note "signal-$1"
  local ckpt="$FAKE_RECORD.checkpoint.${SLURM_JOB_ID:-}.${SLURM_ARRAY_TASK_ID:-}" i
  if [[ "$rank" == 0 ]]; then
    sleep 1 || true
    touch "$ckpt"
  else
    for ((i = 0; i < 100; i++)); do
      [[ -e "$ckpt" ]] && break
      sleep 0.1 || true
    done
  fi
  note preempted
  exit 75
}
trap 'preempt USR1' USR1
trap 'preempt TERM' TERM
trap 'preempt INT' INT
note ready
# Short sleeps: bash runs a trap only between commands. `|| true`: the signal also hits
# sleep itself (SLURM signals every process of the step), and set -e would end the
# script with sleep's status before the trap runs.
for ((i = 0; i < ${FAKE_SECONDS:-60} * 10; i++)); do sleep 0.1 || true; done
note unsignalled
exit 0
