#!/usr/bin/env bash
# Builds teamsrl and runs the whole test suite (unit, mpi, integration, python).
# On a fresh Debian 12 machine as root this is the only command needed: it installs
# the packages first (cluster/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./cluster/bootstrap.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cmake --preset default
cmake --build --preset default -j "$(nproc)"
ctest --preset default -j "$(nproc)" "$@"
