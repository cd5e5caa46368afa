"""benchmarks/gpu_check.py runs end to end: its --smoke mode is the same code on the CPU."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def test_the_gpu_check_smoke_mode_runs_and_reports_every_ratio(tmp_path):
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["device"] == "cpu"
    assert [r["mode"] for r in result["word2vec"]] == ["sg", "cbow"]
    for row in result["word2vec"]:
        assert row["ours"]["words_per_s"] > 0 and row["gensim"]["words_per_s"] > 0
        assert {"speed_ratio", "analogy_diff", "spearman_diff"} <= set(row)
        assert 0.0 < row["ours"]["spearman"] <= 1.0        # the vectors carry some similarity signal
    assert result["lstm"]["fp32"]["tokens_per_s"] > 0 and result["lstm"]["amp_speedup"] > 0
    assert "speed x" in proc.stdout and "lstm 2x32" in proc.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present: the full check would run")
def test_without_a_gpu_the_full_check_says_so_in_one_line():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "gpu_check: error: no CUDA device here (use --smoke to run the same code on the CPU)"]


def test_the_lstm_precision_sweep_runs_every_precision_on_the_cpu():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_lm_precision.py"), "--device", "cpu",
                           "--hidden", "16", "--batch", "4", "8", "--vocab", "50", "--steps", "2"],
                          capture_output=True, text=True, timeout=300, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("hidden")]
    assert len(rows) == 2
    # a CPU without AVX-512 has no bfloat16 LSTM in oneDNN: the sweep says so and goes on
    bf16 = "bf16 unsupported here" if not _cpu_runs_a_bfloat16_lstm() else "bf16"
    for row in rows:
        assert "fp32" in row and "fp16 " in row and bf16 in row and row.count("(x") == (2 if bf16 == "bf16" else 1)


def _cpu_runs_a_bfloat16_lstm() -> bool:
    import torch

    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.nn.LSTM(4, 4)(torch.zeros(2, 1, 4))
    except RuntimeError:
        return False
    return True
