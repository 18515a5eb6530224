# shellcheck shell=bash
# Sourced by the slurm/*.sbatch templates inside the job: finds the repository, the
# teamsrl binary and the site profile, picks the launcher, runs teamsrl and turns exit
# 75 (preempted: checkpoint written) into a requeue of this job. See README, "Running on
# SLURM".
#
# Variables (all optional; sbatch passes the submitting shell's environment on):
#   TEAMSRL_ROOT         repository (cluster/sites, build/bin); default: the submit directory
#                        if it has slurm/lib.sh, else the submitted template's (the template
#                        sets it before sourcing this file)
#   TEAMSRL_BIN          the teamsrl binary; default ROOT/build/bin/teamsrl, else teamsrl on PATH
#   TEAMSRL_SITE         site profile: a name in ROOT/cluster/sites or a path; default generic
#   TEAMSRL_LAUNCHER     auto | srun | mpirun; default: the profile's, else auto (srun
#                        with --mpi=$TEAMSRL_SRUN_MPI when a one-task probe step works)
#   TEAMSRL_SRUN_MPI     srun's --mpi plugin; default: the profile's, else pmix
#   TEAMSRL_MAX_RESTARTS requeue at most this many times (SLURM_RESTART_COUNT); default 100

teamsrl_say() { echo "teamsrl-slurm: $*"; }
teamsrl_die() { echo "teamsrl-slurm: error: $*" >&2; exit 2; }

teamsrl_setup() {
  [[ -n "${SLURM_JOB_ID:-}" ]] || teamsrl_die "not inside a SLURM job: submit with sbatch"
  TEAMSRL_ROOT="${TEAMSRL_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}"

  # The site profile: the in-job half (modules, launcher); slurm/submit.sh reads the
  # submission half (partition, account, flags) of the same file.
  local site="${TEAMSRL_SITE:-generic}" site_file
  if [[ "$site" == */* ]]; then site_file="$site"; else site_file="$TEAMSRL_ROOT/cluster/sites/$site.sh"; fi
  [[ -r "$site_file" ]] || teamsrl_die "site profile $site_file not found (TEAMSRL_SITE=$site)"
  site_modules=() site_launcher="" site_srun_mpi=""
  # shellcheck source=cluster/sites/generic.sh
  source "$site_file"
  if [[ ${#site_modules[@]} -gt 0 ]]; then
    # Lmod's and Environment Modules' shell code is not written for set -eu.
    set +eu
    # Batch shells are not login shells: the module function may not be defined yet.
    if ! type module > /dev/null 2>&1; then
      local init
      for init in /etc/profile.d/lmod.sh /etc/profile.d/modules.sh; do
        # shellcheck source=/dev/null
        [[ -r "$init" ]] && source "$init"
      done
    fi
    module load "${site_modules[@]}" || teamsrl_die "module load ${site_modules[*]} failed"
    set -eu
  fi

  if [[ -n "${TEAMSRL_BIN:-}" ]]; then
    teamsrl_bin="$TEAMSRL_BIN"
  elif [[ -x "$TEAMSRL_ROOT/build/bin/teamsrl" ]]; then
    teamsrl_bin="$TEAMSRL_ROOT/build/bin/teamsrl"
  else
    teamsrl_bin="$(command -v teamsrl)" || teamsrl_die "no teamsrl: build it or set TEAMSRL_BIN"
  fi
  [[ -x "$teamsrl_bin" ]] || teamsrl_die "$teamsrl_bin is not executable"

  local mpi="${TEAMSRL_SRUN_MPI:-${site_srun_mpi:-pmix}}"
  local launcher="${TEAMSRL_LAUNCHER:-${site_launcher:-auto}}"
  if [[ "$launcher" == auto ]]; then
    # srun --mpi=list names the plugins that are installed, not the ones that load
    # (Debian's mpi_pmix needs libpmix.so from libpmix-dev): a one-task step tells.
    if srun --ntasks=1 --nodes=1 --mpi="$mpi" true > /dev/null 2>&1; then
      launcher=srun
    else
      teamsrl_say "srun --mpi=$mpi does not work here ($(srun --mpi=list 2>&1 | tr -s '\n\t ' ' ')): using mpirun"
      launcher=mpirun
    fi
  fi
  case "$launcher" in
    # Without --kill-on-bad-exit: a rank that exits first (75 or an error) must not take
    # down root while it writes the checkpoint or the error.
    # Since SLURM 22.05 srun no longer reads SLURM_CPUS_PER_TASK (sbatch -c): pass it on.
    srun)
      teamsrl_launch=(srun --mpi="$mpi")
      if [[ -n "${SLURM_CPUS_PER_TASK:-}" ]]; then teamsrl_launch+=(--cpus-per-task="$SLURM_CPUS_PER_TASK"); fi
      ;;
    # mpirun reads the allocation (nodes, tasks per node) from SLURM's variables.
    mpirun) teamsrl_launch=(mpirun -np "$SLURM_NTASKS") ;;
    *) teamsrl_die "TEAMSRL_LAUNCHER=$launcher: expected auto, srun or mpirun" ;;
  esac

  # An array task is requeued on its own, not the whole array.
  if [[ -n "${SLURM_ARRAY_JOB_ID:-}" && -n "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    teamsrl_job="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  else
    teamsrl_job="$SLURM_JOB_ID"
  fi
}

# The batch shell receives the early-warning signal (#SBATCH --signal=B:USR1@...), `scancel
# --batch` and a `kill` of the script; the ranks do not. It sends them on as SIGUSR1, which
# srun and mpirun both pass to every rank (teamsrl treats USR1, TERM and INT alike): mpirun
# would end the job on SIGTERM itself, and a background command ignores SIGINT. A bash
# `wait` returns as soon as a trapped signal arrives, so teamsrl_run waits again until
# the launcher has ended. The traps are set as soon as the template sources this file: a
# signal before teamsrl runs is kept, and teamsrl_run then requeues without starting it.
# SIGTERM or SIGINT means the job is being ended (scancel, the time limit itself, SLURM's
# own preemption): teamsrl still checkpoints, but the job is requeued only when it is
# ending by its time limit (state TIMEOUT), since SLURM would even requeue a job that is
# being cancelled.
teamsrl_child="" teamsrl_pending_signal="" teamsrl_signalled=0 teamsrl_ending=""
teamsrl_forward() {
  teamsrl_signalled=1
  if [[ "$1" != USR1 ]]; then teamsrl_ending="$1"; fi
  if [[ -n "$teamsrl_child" ]]; then
    teamsrl_say "SIG$1 received: sending SIGUSR1 to ${teamsrl_launch[0]} (pid $teamsrl_child)"
    kill -s USR1 "$teamsrl_child" 2> /dev/null || true
  else
    teamsrl_pending_signal="$1"
  fi
}
trap 'teamsrl_forward USR1' USR1
trap 'teamsrl_forward TERM' TERM
trap 'teamsrl_forward INT' INT

# teamsrl_run ARGS...: runs `LAUNCHER teamsrl ARGS`, exits with its status; 75 requeues.
teamsrl_run() {
  local restarts="${SLURM_RESTART_COUNT:-0}" max="${TEAMSRL_MAX_RESTARTS:-100}" status
  teamsrl_say "job $teamsrl_job (${SLURM_JOB_NAME:-}) start $((restarts + 1)) at $(date -Is) on ${SLURM_JOB_NODELIST:-?}: ${SLURM_NTASKS:-1} tasks"
  if [[ -n "$teamsrl_pending_signal" ]]; then
    # SLURM warns only when the end is that near (or --signal's time is not below --time).
    teamsrl_say "SIG$teamsrl_pending_signal received before teamsrl started: not starting it"
    status=75
  else
    teamsrl_say "${teamsrl_launch[*]} $teamsrl_bin $*"
    "${teamsrl_launch[@]}" "$teamsrl_bin" "$@" &
    teamsrl_child=$!
    # A signal between the launch and the line above: pass it on now.
    if [[ -n "$teamsrl_pending_signal" ]]; then teamsrl_forward "$teamsrl_pending_signal"; fi
    while :; do
      teamsrl_signalled=0
      wait "$teamsrl_child" && status=0 || status=$?
      # Above 128 with a trap just run: the wait was interrupted, the launcher still runs.
      [[ $teamsrl_signalled -eq 1 && $status -gt 128 ]] || break
    done
    teamsrl_child=""
    teamsrl_say "teamsrl exited with $status at $(date -Is)"
  fi
  if [[ $status -ne 75 ]]; then
    exit "$status"
  fi
  # 75: stopped by a signal with a checkpoint written; the next start resumes from it.
  if [[ -n "$teamsrl_ending" ]]; then
    # While ending, JobState is CANCELLED or COMPLETING; a time limit shows as the reason.
    local job_state
    job_state="$(scontrol show job "$teamsrl_job" 2> /dev/null |
      sed -n 's/^ *JobState=\([A-Z_]*\) Reason=\([^ ]*\).*/\1, reason \2/p')"
    if [[ "$job_state" != TIMEOUT* && "$job_state" != *"reason TimeLimit" ]]; then
      teamsrl_say "stopped by SIG$teamsrl_ending (job ${job_state:-gone}): the job ends here, not requeueing (submit the same command to resume)"
      exit 75
    fi
    teamsrl_say "stopped by SIG$teamsrl_ending at the time limit (the warning came too late or not at all)"
  fi
  if [[ $restarts -ge $max ]]; then
    teamsrl_say "preempted, but already restarted $restarts times (TEAMSRL_MAX_RESTARTS=$max): not requeueing"
    exit 75
  fi
  # Said before the requeue: SLURM ends this script as soon as the job is requeued.
  teamsrl_say "preempted: requeueing job $teamsrl_job (restart $((restarts + 1)))"
  if scontrol requeue "$teamsrl_job"; then
    exit 0
  fi
  # E.g. the job is already ending (time limit reached, scancel): nothing to requeue.
  teamsrl_say "scontrol requeue $teamsrl_job failed: resubmit the same command to resume"
  exit 75
}

# Adds --resume=auto to train arguments unless they choose already (--resume, --overwrite).
teamsrl_train_args() {
  local a
  teamsrl_args=("$@")
  for a in "$@"; do
    case "$a" in
      --resume | --resume=*) return 0 ;;
      --overwrite)
        teamsrl_say "warning: --overwrite given: every start (also after a requeue) starts over"
        return 0
        ;;
    esac
  done
  teamsrl_args+=(--resume=auto)
}
