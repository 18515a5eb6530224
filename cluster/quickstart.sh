#!/usr/bin/env bash
# Installs the packages, builds teamsrl and trains the quickstart policy with 2 MPI
# ranks on the built-in simulator; prints where the run file went.
set -euo pipefail
cd "$(dirname "$0")/.."
./cluster/bootstrap.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cmake --preset default
# Only the binary: the test suite (cluster/test.sh) is not needed to train.
cmake --build --preset default -j "$(nproc)" --target teamsrl
# mpirun hands the ranks a pipe for stderr even on a terminal: ask for the live line
# when ours is one (README, "Progress").
progress=log
if [ -t 2 ]; then progress=live; fi
mpirun -np 2 build/bin/teamsrl train experiments/quickstart.yaml --out runs/quickstart --overwrite \
  --progress "$progress" "$@"
build/bin/teamsrl inspect runs/quickstart/run.h5
