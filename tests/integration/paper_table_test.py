"""experiments/paper_table.sh at a small scale: it trains, generates a truncated number of
samples (the last seed takes fewer steps), runs the baseline, and prints query counts and a
ratio that equal the closed form (samples x 2) / (seeds x rounds x 3) for that scale."""
import os
import re
import subprocess
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

TRAIN_ITERS = 12
SNAPSHOT = 10
GEN_SAMPLES = 125   # 21 seeds x 6 steps = 126, truncated: seed 20 takes 5 steps
STEPS = 6
BASE_SEEDS = 433    # not a multiple of the chunk size nor of the 408 shipped seeds
ROUNDS = 3


def num(s):
    return int(s.replace(",", ""))


def main():
    out = common.tmpdir("paper_table_")
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    env.update({
        "TEAMSRL_BIN": common.BIN,
        "NP": "2",
        "TABLE_TRAIN_ITERS": str(TRAIN_ITERS),
        "TABLE_SNAPSHOT": str(SNAPSHOT),
        "TABLE_GEN_SAMPLES": str(GEN_SAMPLES),
        "TABLE_GEN_STEPS": str(STEPS),
        "TABLE_BASE_SEEDS": str(BASE_SEEDS),
        "TABLE_ROUNDS": str(ROUNDS),
    })
    script = os.path.join(common.SOURCE_DIR, "experiments", "paper_table.sh")
    p = subprocess.run([script, out], capture_output=True, text=True, env=env, timeout=500,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        common.fail("paper_table.sh exit %d\n%s\n%s" % (p.returncode, p.stdout, p.stderr))
    text = p.stdout
    print(text)

    exp_gen = GEN_SAMPLES * 2
    exp_base = BASE_SEEDS * ROUNDS * 3
    m = re.search(r"measured:\s+([\d,]+) / ([\d,]+) = ([\d.]+) %", text)
    if not m:
        common.fail("no measured ratio line in\n" + text)
    if (num(m.group(1)), num(m.group(2))) != (exp_gen, exp_base):
        common.fail("measured %s / %s, closed form %d / %d" % (m.group(1), m.group(2), exp_gen, exp_base))
    if m.group(3) != "%.2f" % (100.0 * exp_gen / exp_base):
        common.fail("ratio %s %%, closed form %.2f %%" % (m.group(3), 100.0 * exp_gen / exp_base))
    if "check: measured == closed form" not in text:
        common.fail("no passing check line in\n" + text)

    rows = {}
    for line in text.splitlines():
        f = line.split()
        if f and f[0] in ("policy", "generate", "baseline") and len(f) >= 5 and "(" in line:
            name = "training" if f[0] == "policy" else f[0]
            rows[name] = [num(x) for x in f[-4:]]
    # rewriter, reviewer, responder, total
    if rows.get("generate") != [GEN_SAMPLES, 0, GEN_SAMPLES, exp_gen]:
        common.fail("generate row %s" % rows.get("generate"))
    per_role = BASE_SEEDS * ROUNDS
    if rows.get("baseline") != [per_role, per_role, per_role, exp_base]:
        common.fail("baseline row %s" % rows.get("baseline"))
    train_calls = TRAIN_ITERS * 6 * 2  # 1 actor, 1 episode, 6 steps, rewrite + review
    if rows.get("training") != [TRAIN_ITERS * 6, TRAIN_ITERS * 6, 0, train_calls]:
        common.fail("training row %s" % rows.get("training"))

    # The files are where the issue says, and the truncation is in them, not only printed.
    for name in ("generate.h5", "baseline.h5"):
        if not os.path.exists(os.path.join(out, name)):
            common.fail("missing %s in %s" % (name, out))
    with h5py.File(os.path.join(out, "generate.h5"), "r") as f:
        s = f["/dataset/samples"][()]
        if len(s) != GEN_SAMPLES:
            common.fail("generate.h5 has %d samples" % len(s))
        last = s[s["seed_index"] == s["seed_index"].max()]
        if len(last) != GEN_SAMPLES - (GEN_SAMPLES // STEPS) * STEPS:
            common.fail("the last seed has %d samples" % len(last))
        if f.attrs["policy_name"] not in (b"snapshot_%06d" % SNAPSHOT, "snapshot_%06d" % SNAPSHOT):
            common.fail("policy_name %r" % f.attrs["policy_name"])
    with open(os.path.join(out, "generate", "dataset.jsonl")) as f:
        if sum(1 for _ in f) != GEN_SAMPLES:
            common.fail("dataset.jsonl is not %d lines" % GEN_SAMPLES)
    print("OK")


if __name__ == "__main__":
    main()
