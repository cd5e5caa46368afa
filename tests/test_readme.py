"""The README's examples run as written: its shell tour of the commands and its Python blocks."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", README, flags=re.S)
SHELL = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
TOUR = next(block for block in SHELL if "source .venv/bin/activate" in block)


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A folder like the project root: ``corpora/`` beside an empty ``out/``."""
    (tmp_path / "corpora").symlink_to(ROOT / "corpora")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_names_the_two_commands_and_ci_runs_the_test_one():
    first = SHELL[0].splitlines()
    assert first[0].startswith("./run.sh main") and first[1].startswith("./run.sh test")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")][-1].endswith("./run.sh test")


def test_the_command_tour_runs(workdir):
    """Each line of the tour, in order, as a shell would run it, with the commands of this environment."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    commands = [ln for ln in TOUR.splitlines() if ln.strip() and not ln.startswith(("source ", "#"))]
    assert len(commands) >= 10
    for line in commands:
        line = line.split("  #")[0]
        start = time.perf_counter()
        proc = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=600)
        print(f"{time.perf_counter() - start:6.1f} s  {line}")
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
    assert (workdir / "out" / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert (workdir / "out" / "bpe" / "merges.txt").is_file()
    # the exported tokenizer.json, read back, is the trained model
    assert json.loads((workdir / "out" / "tokenizer.json").read_text(encoding="utf-8"))["model"]["type"] == "BPE"
    for name in ("vocab.json", "merges.txt"):
        assert (workdir / "out" / "bpe_back" / name).read_bytes() == (workdir / "out" / "bpe" / name).read_bytes()


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_python_block_runs(index, workdir, one_torch_thread):
    exec(compile(PYTHON[index], f"README.md[python block {index + 1}]", "exec"), {"__name__": "__readme__"})
