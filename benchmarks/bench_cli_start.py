"""How long ``--help`` takes: every level of both commands, against bare Python, numpy and torch.

    python benchmarks/bench_cli_start.py [--reps 15] [--compare OTHER_CHECKOUT]

Each case runs ``--reps`` times as a fresh process, the cases interleaved so that a change of
load hits all of them alike.  Printed per case: the fastest and the median wall time, and the
median CPU time (user + system) of the child, which moves less than wall time on a busy machine.
``--compare`` also runs the ``--help`` cases from another checkout (an older commit, say, from
``git archive``), in the same interleaved loop.  ``tests/test_cli_conventions.py`` checks what
the parsers import; this shows what it costs.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ["-c", "pass"],
    ["-c", "import numpy"],
    ["-c", "import torch"],
    ["-m", "cli.embeddings", "--help"],
    ["-m", "cli.embeddings", "similar", "--help"],
    ["-m", "cli.embeddings", "train", "w2v", "--help"],
    ["-m", "cli.embeddings", "lm", "train", "--help"],
    ["-m", "cli.embeddings", "pipeline", "--help"],
    ["-m", "cli.textprep", "--help"],
    ["-m", "cli.textprep", "preprocess", "--help"],
    ["-m", "cli.textprep", "bpe", "train", "--help"],
]


def run_once(args: list[str], tree: Path = ROOT) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``args`` in the checkout ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=tree, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15, help="runs of each case")
    p.add_argument("--compare", type=Path, help="another checkout whose --help cases run too")
    args = p.parse_args()
    cases = [(" ".join(c), c, ROOT) for c in CASES]
    if args.compare:
        cases += [(f"{' '.join(c)}  [{args.compare.name}]", c, args.compare.resolve()) for c in CASES if "--help" in c]
    wall: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    load = os.getloadavg()[0]
    for _ in range(args.reps):
        for name, case, tree in cases:
            w, c = run_once(case, tree)
            wall[name].append(w)
            cpu[name].append(c)
    print(f"{'python ...':54s} {'wall min':>9s} {'wall median':>12s} {'CPU median':>11s}")
    for name in wall:
        print(f"{name:54s} {min(wall[name]):8.3f}s {statistics.median(wall[name]):11.3f}s "
              f"{statistics.median(cpu[name]):10.3f}s")
    print(f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
