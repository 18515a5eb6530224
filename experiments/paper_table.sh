#!/bin/sh
# The paper's query table (docs/method.md s.6: WizardLM's query arithmetic) on the built-in simulator:
#   experiments/paper_table.sh OUTDIR
# 1. trains the paper preset (experiments/paper_train.yaml, 200 TRPO updates)  -> OUTDIR/train/run.h5
# 2. generates 17,878 samples with its update-128 policy: 2,980 seeds x 6 steps, truncated
#    by generate.max_samples (the last seed takes 4 steps, so the 2 cut samples are never
#    queried)                                                                 -> OUTDIR/generate/generate.h5
# 3. runs the Evol-Instruct baseline over 52,002 seeds x 4 rounds            -> OUTDIR/baseline/baseline.h5
# then prints the LLM queries by role of each run and the ratio
#   generation queries / baseline queries = (17,878 x 2) / (52,002 x 4 x 3) = 35,756 / 624,024 = 5.73 %
# with the policy-training queries reported separately. The seeds are the shipped 408
# (experiments/seeds/teamsrl_seeds.jsonl) repeated, written into OUTDIR.
# OUTDIR/generate.h5 and OUTDIR/baseline.h5 link to the two output files.
#
# Environment:
#   TEAMSRL_BIN        the binary (default: build/bin/teamsrl of this checkout)
#   NP                 MPI ranks (default 2); MPIRUN (default mpirun)
#   TABLE_TRAIN_ITERS  training updates (default 200)
#   TABLE_SNAPSHOT     policy update generation uses (default 128; "final", or when the
#                      training is shorter than that, the final policy)
#   TABLE_GEN_SAMPLES  samples to generate (default 17878)
#   TABLE_GEN_STEPS    steps per seed (default 6)
#   TABLE_BASE_SEEDS   baseline seeds (default 52002)
#   TABLE_ROUNDS       baseline rounds (default 4)
#   TABLE_SCALE        multiplies TABLE_GEN_SAMPLES and TABLE_BASE_SEEDS (default 1; e.g. 0.01)
# Exit status: 0 when the measured counts equal the closed form, 1 otherwise or on failure.
set -eu

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BIN=${TEAMSRL_BIN:-$REPO/build/bin/teamsrl}
NP=${NP:-2}
MPIRUN=${MPIRUN:-mpirun}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SCALE=${TABLE_SCALE:-1}
ITERS=${TABLE_TRAIN_ITERS:-200}
SNAPSHOT=${TABLE_SNAPSHOT:-128}
STEPS=${TABLE_GEN_STEPS:-6}
ROUNDS=${TABLE_ROUNDS:-4}
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }
GEN_SAMPLES=$(scaled "${TABLE_GEN_SAMPLES:-17878}")
BASE_SEEDS=$(scaled "${TABLE_BASE_SEEDS:-52002}")
GEN_SEEDS=$(( (GEN_SAMPLES + STEPS - 1) / STEPS ))

if ! "$BIN" --version >/dev/null 2>&1 || [ -z "$("$BIN" --version 2>/dev/null)" ]; then
  echo "$0: $BIN is not a working teamsrl binary (build it, or set TEAMSRL_BIN)" >&2
  exit 1
fi

# As root, Open MPI needs these; loopback transports only on one machine.
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}

mkdir -p "$1"
OUT=$(cd "$1" && pwd)
MEM=$OUT/memory
rm -rf "$MEM"
mkdir -p "$MEM"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# run STAGE teamsrl-args...: mpirun -np NP, each rank under /usr/bin/time (peak RSS per rank).
run() {
  stage=$1
  shift
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    # shellcheck disable=SC2016
    "$MPIRUN" -np "$NP" sh -c 'exec /usr/bin/time -f "%M %e" -o "$0.${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}" "$@"' \
      "$MEM/$stage" "$BIN" "$@" --quiet </dev/null
  else
    "$MPIRUN" -np "$NP" "$BIN" "$@" --quiet </dev/null
  fi
  echo "== $stage: $(since "$t0") s" >&2
}

START=$(now)
echo "== paper table in $OUT: $NP ranks, train $ITERS updates, generate $GEN_SAMPLES samples" \
     "($GEN_SEEDS seeds x $STEPS steps), baseline $BASE_SEEDS seeds x $ROUNDS rounds" >&2

"$PY" "$HERE/paper_table.py" seeds "$REPO/experiments/seeds/teamsrl_seeds.jsonl" "$GEN_SEEDS" "$OUT/seeds_generate.jsonl"
"$PY" "$HERE/paper_table.py" seeds "$REPO/experiments/seeds/teamsrl_seeds.jsonl" "$BASE_SEEDS" "$OUT/seeds_baseline.jsonl"

run train train "$REPO/experiments/paper_train.yaml" --out "$OUT/train" --overwrite \
  --set train.iterations="$ITERS"

if [ "$SNAPSHOT" = final ] || [ "$SNAPSHOT" -gt "$ITERS" ]; then
  POLICY=""
else
  POLICY="--snapshot $SNAPSHOT"
fi
# shellcheck disable=SC2086
run generate generate "$REPO/experiments/generate.yaml" --policy "$OUT/train/run.h5" $POLICY \
  --out "$OUT/generate" --overwrite \
  --set env.seeds.path="$OUT/seeds_generate.jsonl" \
  --set generate.steps="$STEPS" --set generate.max_samples="$GEN_SAMPLES"

run baseline baseline "$REPO/experiments/baseline.yaml" --out "$OUT/baseline" --overwrite \
  --set env.seeds.path="$OUT/seeds_baseline.jsonl" --set baseline.rounds="$ROUNDS"

ln -sf generate/generate.h5 "$OUT/generate.h5"
ln -sf baseline/baseline.h5 "$OUT/baseline.h5"

echo
status=0
"$PY" "$HERE/paper_table.py" table "$OUT" --gen-samples "$GEN_SAMPLES" --gen-steps "$STEPS" \
  --base-seeds "$BASE_SEEDS" --rounds "$ROUNDS" || status=$?

if [ -x /usr/bin/time ]; then
  echo
  echo "peak resident memory per rank (MB; /usr/bin/time %M) and rank wall time (s):"
  for stage in train generate baseline; do
    line="  $(printf '%-9s' "$stage")"
    for f in "$MEM/$stage".*; do
      [ -f "$f" ] || continue
      r=${f##*.}
      line="$line  rank $r: $(awk '{ printf "%.1f MB, %.1f s", $1 / 1024, $2 }' "$f")"
    done
    echo "$line"
  done
fi
echo
echo "wall time: $(since "$START") s (np $NP)"
exit $status
