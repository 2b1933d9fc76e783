"""Benchmark: the Id correlation test (TwoNN on the paired data plus 50 shuffles), the fast
implementation of :mod:`ibbook.intrinsic_dim` versus a loop over dadapy's ``compute_id_2NN``,
measured in the same run on the same points and the same permutations.

Target (issue: intrinsic dimension): at N = 5000 points of dimension 6144 (two paired sets of
3072 = 3 x 32 x 32 coordinates, the size of CIFAR-10 mask pairs) the fast test is >= 15x faster
on 2 CPU cores, and gives every Id within a relative 1e-4 of dadapy's. Each implementation runs
in a fresh process, which also reports its peak resident memory.

Data: ``a`` uniform in [0, 1]^3072, ``b`` a noisy non-linear function of ``a`` (a dependence the
test should detect), both in float64.
Run: .venv/bin/python bench/bench_intrinsic_dim.py [--n 5000] [--dim 3072] [--shuffles 50]
The measured figures are written to ``data/results/bench/intrinsic_dim.json`` (shown by the
intrinsic-dimension chapter) unless ``--no-save`` is given.
"""
import argparse
import json
import subprocess
import sys

RUN = """
import json, resource, sys, time
import numpy as np
from ibbook import intrinsic_dim as I
n, dim, shuffles, which = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
a = rng.random((n, dim))
b = np.tanh(3 * (a - 0.5)) + 0.5 * rng.standard_normal((n, dim))
perms = I.shuffle_permutations(n, shuffles, seed=1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
test = I.id_correlation_test if which == "fast" else I.id_correlation_test_dadapy
t0 = time.perf_counter()
r = test(a, b, permutations=perms)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "id": r.id, "shuffled": r.shuffled.tolist(), "z": r.z,
                  "peak_mib": peak / 1024, "extra_mib": (peak - before) / 1024}))
"""


def run(which: str, n: int, dim: int, shuffles: int) -> dict:
    out = subprocess.run([sys.executable, "-c", RUN, str(n), str(dim), str(shuffles), which],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="points (default 5000)")
    ap.add_argument("--dim", type=int, default=3072, help="dimension of each of the two sets (default 3072)")
    ap.add_argument("--shuffles", type=int, default=50, help="shuffles (default 50)")
    ap.add_argument("--no-save", action="store_true", help="do not write data/results/bench/intrinsic_dim.json")
    args = ap.parse_args()
    import torch
    print(f"Id correlation test, N = {args.n}, dimension {2 * args.dim} ({args.dim} + {args.dim}), "
          f"{args.shuffles} shuffles, {torch.get_num_threads()} torch threads")
    fast = run("fast", args.n, args.dim, args.shuffles)
    ref = run("dadapy", args.n, args.dim, args.shuffles)
    import numpy as np
    ids_fast = np.array([fast["id"], *fast["shuffled"]])
    ids_ref = np.array([ref["id"], *ref["shuffled"]])
    rel = float(np.max(np.abs(ids_fast - ids_ref) / np.abs(ids_ref)))
    speedup = ref["seconds"] / fast["seconds"]
    for name, r in (("ibbook (fast)", fast), ("dadapy loop", ref)):
        print(f"{name:14s} {r['seconds']:8.2f} s   Id {r['id']:.4f}   Z {r['z']:8.2f}   "
              f"peak RSS {r['peak_mib']:7.0f} MiB (+{r['extra_mib']:.0f} MiB during the test)")
    print(f"speed-up dadapy / fast: {speedup:.1f}x  (target >= 15x)")
    print(f"largest relative Id difference over all {len(ids_fast)} estimates: {rel:.1e}  (target <= 1e-4)")
    ok = speedup >= 15 and rel <= 1e-4
    print(f"targets: {'met' if ok else 'NOT met'}")
    if not args.no_save:
        import os
        import platform
        import time

        from ibbook import records
        from ibbook.cache import atomic_write_text
        out = records.PROJECT_ROOT / "data" / "results" / "bench" / "intrinsic_dim.json"
        summary = {"n": args.n, "dim": 2 * args.dim, "shuffles": args.shuffles, "fast_s": fast["seconds"],
                   "dadapy_s": ref["seconds"], "speedup": speedup, "max_rel_id_diff": rel,
                   "fast_peak_mib": fast["peak_mib"], "dadapy_peak_mib": ref["peak_mib"],
                   "fast_extra_mib": fast["extra_mib"], "dadapy_extra_mib": ref["extra_mib"],
                   "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
                   "processor": platform.processor() or platform.machine(), "date": time.strftime("%Y-%m-%d"),
                   "commit": records.git_commit(), "targets_met": ok}
        atomic_write_text(json.dumps(summary, indent=2) + "\n", out)
        print(f"written: {out.relative_to(records.PROJECT_ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
