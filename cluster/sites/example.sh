# shellcheck shell=bash
# Site profile for a made-up cluster, as a pattern: a CPU partition, a project account,
# the site's OpenMPI and HDF5 modules and srun through PMIx. Select it with
# TEAMSRL_SITE=example (see cluster/sites/generic.sh for what each variable does).
# shellcheck disable=SC2034  # read by the scripts that source this file

site_partition="cpu"
site_account="my-project"
site_sbatch_flags=(--qos=normal --mem-per-cpu=2G)
site_modules=(gcc/12 openmpi/4.1 hdf5/1.10)
site_launcher=srun
site_srun_mpi=pmix
