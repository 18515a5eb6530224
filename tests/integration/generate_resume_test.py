"""`teamsrl generate` and `baseline`: the same dataset.jsonl for 1 and 2 ranks, and a
generation killed with SIGKILL part-way then rerun gives a dataset.jsonl byte-identical
to an uninterrupted run's (no gap, no duplicate); the rerun's generate.h5 covers it all.
Generation is checked with both observation filters: `fresh` (issue 14 item 2) carries
state from seed to seed, which a resumed run must rebuild by replanning the committed
seeds, and its saved filter must then be the uninterrupted run's."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import h5py  # noqa: E402  (Debian's python3-h5py)

SEEDS = 240
CHUNK = 20


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write_seeds(path):
    topics = ["rice", "the sea", "photosynthesis", "sorting", "health", "Rome", "taxes",
              "gardening", "chess", "volcanoes", "databases", "jazz"]
    verbs = ["Explain", "Describe", "Give tips about", "Write a poem about", "Summarize"]
    with open(path, "w") as f:
        for i in range(SEEDS):
            rec = {"instruction": "%s %s (%d)." % (verbs[i % len(verbs)], topics[i % len(topics)], i),
                   "input": "" if i % 3 else "context %d" % i}
            f.write(json.dumps(rec) + "\n")


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def run_ok(np_, args, timeout=300):
    rc, out, err, secs = common.mpirun(np_, args, timeout=timeout)
    if rc != 0:
        common.fail("exit %d for %s\n%s\n%s" % (rc, args, out, err))
    return secs


def check_generate(tmp, seeds, policy, obs_filter):
    tmp = os.path.join(tmp, obs_filter)
    base = ["generate", common.config("quickstart.yaml"), "--policy", policy, "--quiet",
            "--set", "env.seeds.path=" + seeds, "--set", "generate.chunk_size=%d" % CHUNK,
            "--set", "generate.obs_filter=" + obs_filter]

    ref = os.path.join(tmp, "ref2")
    secs = run_ok(2, base + ["--out", ref])
    one = os.path.join(tmp, "ref1")
    run_ok(1, base + ["--out", one])
    ref_bytes = read(os.path.join(ref, "dataset.jsonl"))
    if ref_bytes != read(os.path.join(one, "dataset.jsonl")):
        common.fail("dataset.jsonl differs between 1 and 2 ranks")
    lines = ref_bytes.decode().splitlines()
    if len(lines) != SEEDS * 6:
        common.fail("expected %d samples, got %d" % (SEEDS * 6, len(lines)))
    keys = [(json.loads(l)["seed_index"], json.loads(l)["step"]) for l in lines]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        common.fail("samples are not ordered by seed index then step")
    print("uninterrupted 2-rank run: %.2f s" % secs)

    # Killed part-way: simulated latency makes the run last long enough to hit a chunk.
    killed = os.path.join(tmp, "killed")
    args = base + ["--out", killed, "--set", "llm.endpoints.sim.latency_ms=15"]
    cmd = ["mpirun", "-np", "2", common.BIN] + args
    env = dict(os.environ)
    env.update(common.MPI_ENV)
    proc = subprocess.Popen(cmd, cwd=common.SOURCE_DIR, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    progress = os.path.join(killed, "progress.json")
    deadline = time.monotonic() + 120
    committed = 0
    try:
        while time.monotonic() < deadline:
            try:
                with open(progress) as f:
                    state = json.load(f)
                committed = state["chunks"]
                if state["complete"]:
                    common.fail("the run finished before it could be killed")
                if committed >= 1:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
    finally:
        # Open MPI puts each rank in its own process group: kill the ranks (mpirun's
        # children, by PID) first, as a crash of the job would, then mpirun.
        ranks = children(proc.pid)
        for pid in ranks + [proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)
        for pid in ranks:
            while os.path.exists("/proc/%d" % pid) and not zombie(pid):
                time.sleep(0.01)
    if committed < 1:
        common.fail("no chunk committed before the deadline")
    partial = read(os.path.join(killed, "dataset.jsonl"))
    if len(partial) >= len(ref_bytes):
        common.fail("the killed run was not part-way")
    print("killed after %d committed chunk(s), %d bytes on disk" % (committed, len(partial)))
    # The killed run keeps its call journal (the rerun resumes from it) and its lock file
    # (the kernel dropped the lock itself); a completed run leaves neither.
    for name in ("calls.bin", ".lock"):
        if not os.path.exists(os.path.join(killed, name)):
            common.fail("the killed run left no " + name)
    run_ok(2, args, timeout=300)
    if read(os.path.join(killed, "dataset.jsonl")) != ref_bytes:
        common.fail("resumed dataset.jsonl differs from the uninterrupted run's")
    for d in (ref, one, killed):
        for name in ("calls.bin", ".lock"):
            if os.path.exists(os.path.join(d, name)):
                common.fail("%s left after the run completed in %s" % (name, d))

    with h5py.File(os.path.join(killed, "generate.h5"), "r") as f, \
            h5py.File(os.path.join(ref, "generate.h5"), "r") as g:
        for path in ["/dataset/samples", "/llm/calls", "/budget"]:
            if len(f[path]) != len(g[path]):
                common.fail("%s: %d rows after resume, %d uninterrupted" % (path, len(f[path]), len(g[path])))
        if list(f["/budget"]["queries"]) != list(g["/budget"]["queries"]):
            common.fail("/budget differs after resume")
        if list(f["/dataset/samples"]["sample_id"]) != list(g["/dataset/samples"]["sample_id"]):
            common.fail("/dataset/samples differs after resume")
        if f.attrs["status"] != "completed":
            common.fail("status %s" % f.attrs["status"])
        if f.attrs["obs_filter"] != obs_filter:
            common.fail("obs_filter attribute %s" % f.attrs["obs_filter"])
        if obs_filter == "fresh" and (f["/policy/generate_obs_filter"][:].tobytes() !=
                                      g["/policy/generate_obs_filter"][:].tobytes()):
            common.fail("the fresh filter after a resume differs from the uninterrupted run's")
    print("generate.obs_filter=%s: 1 = 2 ranks, kill + resume byte-identical" % obs_filter)


def main():
    tmp = common.tmpdir("teamsrl_gen_resume_")
    seeds = os.path.join(tmp, "seeds.jsonl")
    write_seeds(seeds)
    train_dir = os.path.join(tmp, "train")
    run_ok(1, ["train", common.config("quickstart.yaml"), "--out", train_dir, "--quiet",
               "--set", "train.iterations=2"])
    policy = os.path.join(train_dir, "run.h5")
    for obs_filter in ("snapshot", "fresh"):
        check_generate(tmp, seeds, policy, obs_filter)

    # The baseline: the same dataset for 1 and 2 ranks, 3 queries per instruction per round.
    bargs = ["baseline", common.config("quickstart.yaml"), "--quiet",
             "--set", "env.seeds.path=" + seeds, "--set", "baseline.chunk_size=%d" % CHUNK]
    run_ok(2, bargs + ["--out", os.path.join(tmp, "b2")])
    run_ok(1, bargs + ["--out", os.path.join(tmp, "b1")])
    b2 = read(os.path.join(tmp, "b2", "dataset.jsonl"))
    if b2 != read(os.path.join(tmp, "b1", "dataset.jsonl")):
        common.fail("baseline dataset.jsonl differs between 1 and 2 ranks")
    if len(b2.decode().splitlines()) != SEEDS * 4:
        common.fail("baseline: expected %d samples" % (SEEDS * 4))
    for d in ("b1", "b2", "train"):
        for name in ("calls.bin", ".lock"):
            if os.path.exists(os.path.join(tmp, d, name)):
                common.fail("%s left after the run completed in %s" % (name, d))
    with h5py.File(os.path.join(tmp, "b2", "baseline.h5"), "r") as f:
        q = list(f["/budget"]["queries"])
        if q != [SEEDS * 4] * 3 + [SEEDS * 12]:
            common.fail("baseline queries by role: %s" % q)
    print("OK")


if __name__ == "__main__":
    main()
