"""Fuzz every command: thousands of generated invocations on hostile files, and the counts.

    python benchmarks/bench_fuzz.py                          # 2,000 invocations, seed 1, a 50 MB line
    python benchmarks/bench_fuzz.py --n 500 --seed 3 --big-line-mb 5

The driver is ``tests/fuzz/driver.py`` (the test suite runs 200 of the same kind): each
invocation is a forked child under a timeout and an address-space limit; the counts printed are
the invocations tried, the exit codes seen, the tracebacks (must be 0) and every other problem,
with the command that reproduces it.  Exits 1 if there was any problem.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.driver import main  # noqa: E402 - after the path is set


def bench(argv: list[str]) -> int:
    # 300 s: the LM evaluates the 50 MB line (6.5 million words) in about 100 s on a busy machine
    defaults = {"--n": "2000", "--seed": "1", "--big-line-mb": "50", "--timeout": "300", "--memory-mb": "4096"}
    for flag, value in defaults.items():
        if flag not in argv:
            argv = [*argv, flag, value]
    start = time.time()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rc = main(argv)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"wall time {time.time() - start:.0f} s")
    return rc


if __name__ == "__main__":
    sys.exit(bench(sys.argv[1:]))
