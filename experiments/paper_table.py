#!/usr/bin/python3
"""Helper of experiments/paper_table.sh (Debian's python3 with h5py).

  paper_table.py seeds SRC.jsonl N OUT.jsonl
      writes N seed records: the records of SRC repeated in order, cut at N
  paper_table.py table OUTDIR --gen-samples S --gen-steps T --base-seeds B --rounds M
      prints the queries by role of OUTDIR/train/run.h5, OUTDIR/generate/generate.h5 and
      OUTDIR/baseline/baseline.h5 (from /budget, checked against /llm/calls) and the ratio
      counted as in docs/method.md s.6: generation queries / baseline queries, with
      the policy-training queries reported separately. Exit 1 when a count disagrees with
      the closed form 2*S / (3*B*M).
"""
import argparse
import json
import os
import sys

ROLES = ["rewriter", "reviewer", "responder"]


def write_seeds(src, n, out):
    records = []
    with open(src) as f:
        for line in f:
            line = line.strip()
            if line:
                rec = json.loads(line)
                records.append({"instruction": rec["instruction"], "input": rec.get("input", "")})
    if not records:
        sys.exit("paper_table.py: %s has no seed records" % src)
    with open(out, "w") as f:
        for i in range(n):
            f.write(json.dumps(records[i % len(records)]) + "\n")


def names_of(dset, column):
    """An enum column's names (table.h: attribute `<column>_names`)."""
    raw = dset.attrs.get(column + "_names")
    if raw is None:
        return None
    return [x.decode() if isinstance(x, bytes) else str(x) for x in raw]


def read_queries(path):
    """{role: queries} from /budget, plus the row count of /llm/calls by role and the
    status/sample figures."""
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        budget = f["/budget"][()]
        role_names = names_of(f["/budget"], "role") or ROLES + ["total"]
        by_role = {role_names[int(r["role"])]: int(r["queries"]) for r in budget}
        calls = f["/llm/calls"]
        call_roles = names_of(calls, "role") or ROLES
        col = calls["role"] if len(calls) else np.zeros(0, dtype=np.int32)
        counts = np.bincount(col, minlength=len(call_roles)) if len(col) else [0] * len(call_roles)
        from_calls = {call_roles[i]: int(counts[i]) for i in range(len(call_roles))}
        info = {"status": f.attrs.get("status", b"?")}
        if isinstance(info["status"], bytes):
            info["status"] = info["status"].decode()
        if "/dataset/samples" in f:
            samples = f["/dataset/samples"]
            info["samples"] = len(samples)
            info["seeds"] = int(len(np.unique(samples["seed_index"]))) if len(samples) else 0
            info["eliminated"] = int(samples["eliminated"].sum()) if len(samples) else 0
        if "/train/iterations" in f:
            info["iterations"] = len(f["/train/iterations"])
            info["episodes"] = len(f["/train/episodes"])
    row = {r: by_role.get(r, 0) for r in ROLES}
    row["total"] = by_role.get("total", sum(row.values()))
    for r in ROLES:
        if from_calls.get(r, 0) != row[r]:
            sys.exit("paper_table.py: %s: /budget says %d %s queries, /llm/calls has %d rows"
                     % (path, row[r], r, from_calls.get(r, 0)))
    return row, info


def fmt(n):
    return "{:,}".format(n)


def table(args):
    out = args.outdir
    runs = [
        ("policy training", os.path.join(out, "train", "run.h5")),
        ("generate", os.path.join(out, "generate", "generate.h5")),
        ("baseline", os.path.join(out, "baseline", "baseline.h5")),
    ]
    rows = {}
    infos = {}
    for name, path in runs:
        rows[name], infos[name] = read_queries(path)

    print("LLM queries by role (simulator; counted from /budget, checked against /llm/calls)")
    print()
    head = "%-36s %10s %10s %10s %10s" % ("run (file)", *ROLES, "total")
    print(head)
    print("-" * len(head))
    for name, path in runs:
        r = rows[name]
        label = "%s (%s)" % (name, os.path.relpath(path, out))
        print("%-36s %10s %10s %10s %10s" % (label, *(fmt(r[x]) for x in ROLES), fmt(r["total"])))
    print()

    ti, gi, bi = infos["policy training"], infos["generate"], infos["baseline"]
    print("policy training: %s updates, %s episodes, status %s"
          % (fmt(ti.get("iterations", 0)), fmt(ti.get("episodes", 0)), ti["status"]))
    print("generate: %s samples from %s seeds (%s x %d steps, truncated to %s), status %s"
          % (fmt(gi["samples"]), fmt(gi["seeds"]), fmt(gi["seeds"]), args.gen_steps,
             fmt(args.gen_samples), gi["status"]))
    print("baseline: %s evolutions from %s seeds x %d rounds (%s eliminated, parent kept), status %s"
          % (fmt(bi["samples"]), fmt(bi["seeds"]), args.rounds, fmt(bi["eliminated"]), bi["status"]))
    print()

    gen = rows["generate"]["total"]
    base = rows["baseline"]["total"]
    train = rows["policy training"]["total"]
    exp_gen = 2 * args.gen_samples
    exp_base = 3 * args.base_seeds * args.rounds
    ratio = 100.0 * gen / base if base else float("nan")
    exp_ratio = 100.0 * exp_gen / exp_base if exp_base else float("nan")
    print("ratio (as in the TeaMs-RL paper: expert queries of generate / baseline queries):")
    print("  measured:    %s / %s = %.2f %%" % (fmt(gen), fmt(base), ratio))
    print("  closed form: (%s x 2) / (%s x %d x 3) = %s / %s = %.2f %%"
          % (fmt(args.gen_samples), fmt(args.base_seeds), args.rounds, fmt(exp_gen),
             fmt(exp_base), exp_ratio))
    print("policy-training queries (local model, not in the ratio): %s" % fmt(train))
    if base:
        print("  counting them too: (%s + %s) / %s = %.2f %%"
              % (fmt(gen), fmt(train), fmt(base), 100.0 * (gen + train) / base))
    ok = gen == exp_gen and base == exp_base and gi["samples"] == args.gen_samples
    print("check: %s" % ("measured == closed form" if ok else "MISMATCH with the closed form"))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seeds")
    s.add_argument("src")
    s.add_argument("n", type=int)
    s.add_argument("out")
    t = sub.add_parser("table")
    t.add_argument("outdir")
    t.add_argument("--gen-samples", type=int, required=True)
    t.add_argument("--gen-steps", type=int, required=True)
    t.add_argument("--base-seeds", type=int, required=True)
    t.add_argument("--rounds", type=int, required=True)
    args = p.parse_args()
    if args.cmd == "seeds":
        write_seeds(args.src, args.n, args.out)
        return 0
    return table(args)


if __name__ == "__main__":
    sys.exit(main())
