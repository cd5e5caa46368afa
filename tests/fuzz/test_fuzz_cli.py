"""The fuzzer's fixed-seed sample: 200 invocations of every command on hostile files, none broken.

The driver runs in a subprocess (it forks one child per invocation, which a test process that
has already run torch should not do).  The one-line file is 1 MB here, 50 MB in
``benchmarks/bench_fuzz.py``; flags that start a Dask cluster are left to the benchmark too.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_hundred_fuzzed_invocations_end_in_exit_0_or_one_error_line(tmp_path):
    out = tmp_path / "fuzz.json"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.driver", "--n", "200", "--seed", "0", "--big-line-mb", "1",
         "--timeout", "60", "--skip-flag", "dask_workers", "--scratch", str(tmp_path / "scratch"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["invocations"] >= 200
    problems = "\n".join(f"{d['problems']}: {d['command']}\n{d.get('stderr_tail', '')}" for d in r["details"])
    assert r["tracebacks"] == 0 and r["problems"] == 0, problems
    assert set(r["exit_codes"]) <= {"0", "2", "130"}
    assert r["exit_codes"].get("0", 0) >= 20 and r["exit_codes"].get("2", 0) >= 100   # both ends were reached
    assert {"textprep preprocess", "textprep bpe train", "embeddings train w2v", "embeddings lm train",
            "embeddings pipeline", "embeddings serve"} <= set(r["commands"])
    assert proc.returncode == 0
