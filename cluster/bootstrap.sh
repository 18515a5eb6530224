#!/usr/bin/env bash
# Installs every Debian package teamsrl needs to build, test and run (Debian 12 /
# Ubuntu 22.04+). Idempotent: packages already present are skipped by apt.
# Usage: cluster/bootstrap.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ cmake ninja-build git pkg-config ca-certificates
  ccache  # picked up by CMakeLists.txt: fast rebuilds of unchanged sources
  clang-format clang-tidy
  # libraries
  openmpi-bin libopenmpi-dev libhdf5-dev hdf5-tools libeigen3-dev libyaml-cpp-dev
  libcurl4-openssl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev libcli11-dev
  # SLURM for the slurm/ templates and the tests labelled slurm (cluster/slurm-local.sh);
  # srun's pmix plugin dlopens pmix2/lib/libpmix.so, which only libpmix-dev ships
  slurmctld slurmd slurm-client munge libpmix-dev
  # analysis and python tests (Debian's interpreter: /usr/bin/python3)
  python3 python3-h5py python3-pandas python3-numpy python3-matplotlib
  python3-scipy  # the reference computations of analysis/tests (scipy.stats)
  # the notebooks test (analysis_notebooks): executes analysis/notebooks/*.ipynb headless
  # with nbclient on a python3 kernel of Debian's interpreter
  python3-nbclient python3-nbconvert python3-nbformat python3-ipykernel
  # the report's browser test (analysis_report_browser): headless screenshot + DOM checks
  chromium
  # the fake OpenAI server's HTTPS + HTTP/2 mode (tests): h2 framing, a test certificate
  python3-h2 openssl
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi
echo "bootstrap: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
