# shellcheck shell=bash
# Site profile: the default (TEAMSRL_SITE unset or `generic`). Copy it to
# cluster/sites/NAME.sh for a cluster and select it with TEAMSRL_SITE=NAME. It is sourced
# twice: by slurm/submit.sh for the submission (site_partition, site_account,
# site_sbatch_flags) and by slurm/lib.sh inside the job (site_modules, site_launcher,
# site_srun_mpi). Plain `sbatch slurm/X.sbatch` uses only the in-job half.
# shellcheck disable=SC2034  # read by the scripts that source this file

site_partition=""     # sbatch --partition; empty: the cluster's default partition
site_account=""       # sbatch --account; empty: the user's default account
site_sbatch_flags=()  # further sbatch flags, e.g. (--qos=normal --constraint=cpu)
site_modules=()       # loaded inside the job before teamsrl runs, e.g. (openmpi/4.1 hdf5)
site_launcher=auto    # auto (srun if --mpi=$site_srun_mpi works, else mpirun), srun, mpirun
site_srun_mpi=pmix    # srun --mpi=...; Debian's OpenMPI 4.1 speaks PMIx, not PMI2
