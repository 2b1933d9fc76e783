"""Benchmark: loading all of CIFAR-10 (train, 50,000 images) from the decoded-array cache versus
decoding it from the archive, measured in the same run.

Target (issue: book skeleton): the second load of the full CIFAR-10 training set takes < 1 s.
Each load runs in a fresh Python process, as it would in a chapter: the first one decodes the
archive into a fresh temporary cache, the next ones read that cache.
Run: .venv/bin/python bench/bench_data.py
"""
import os
import subprocess
import sys
import tempfile

LOAD = """
import time
from ibbook.data import load_cifar10  # importing torch (about 1 s) is not part of the load
t0 = time.perf_counter()
d = load_cifar10("train")
assert tuple(d.x.shape) == (50000, 3, 32, 32)
print(time.perf_counter() - t0, d.describe())
"""


def timed_load(cache: str) -> tuple[float, str]:
    env = {**os.environ, "IBBOOK_CACHE": cache}
    out = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True)
    seconds, description = out.stdout.strip().split(" ", 1)
    return float(seconds), description


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        cold, description = timed_load(cache)
        warm_times = [timed_load(cache)[0] for _ in range(3)]
    warm = sorted(warm_times)[1]
    print(f"data set: {description}")
    print(f"first load (decode archive + write cache): {cold:7.2f} s")
    print(f"second load (read cache), median of 3:     {warm:7.2f} s"
          f"   (all: {', '.join(f'{t:.2f}' for t in warm_times)})")
    print(f"ratio decode / cached: {cold / warm:.1f}x")
    ok = warm < 1.0
    print(f"target second load < 1 s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
