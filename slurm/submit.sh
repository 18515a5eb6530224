#!/usr/bin/env bash
# Submits a template with a site profile's partition, account and extra flags:
#   TEAMSRL_SITE=NAME slurm/submit.sh [SBATCH FLAGS...] slurm/X.sbatch ARGS...
# e.g. TEAMSRL_SITE=example slurm/submit.sh -n 8 --time=4:00:00 slurm/train.sbatch \
#        experiments/paper_train.yaml --out runs/paper
# Flags given here come after the profile's, so they win. NAME is a file in
# cluster/sites (default generic) or a path. The job runs in the current directory and
# finds this repository through TEAMSRL_ROOT, so this works from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
site="${TEAMSRL_SITE:-generic}"
if [[ "$site" == */* ]]; then site_file="$(cd "$(dirname "$site")" && pwd)/$(basename "$site")"; else site_file="$root/cluster/sites/$site.sh"; fi
[[ -r "$site_file" ]] || { echo "submit: site profile $site_file not found" >&2; exit 2; }
site_partition="" site_account="" site_sbatch_flags=()
# shellcheck source=cluster/sites/generic.sh
source "$site_file"

flags=()
[[ -n "$site_partition" ]] && flags+=(--partition="$site_partition")
[[ -n "$site_account" ]] && flags+=(--account="$site_account")
flags+=("${site_sbatch_flags[@]}")
while [[ $# -gt 0 && "$1" != *.sbatch ]]; do
  flags+=("$1")
  shift
done
[[ $# -ge 1 ]] || { echo "usage: TEAMSRL_SITE=NAME $0 [sbatch flags...] slurm/X.sbatch ARGS..." >&2; exit 2; }
# sbatch hands the environment to the job (--export=ALL): the job sources the same profile.
export TEAMSRL_SITE="$site_file" TEAMSRL_ROOT="${TEAMSRL_ROOT:-$root}"
exec sbatch "${flags[@]}" "$@"
