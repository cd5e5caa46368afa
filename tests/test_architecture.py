"""The layout holds: import contracts (layers, no cycles, forbidden imports) and a clean lint.

The contracts live in pyproject.toml under ``[tool.importlinter]``; import-linter checks them
over the whole import graph, imports inside functions included.  A planted cycle and an upward
import in a throw-away package show that the same kinds of contract do fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    proc = _run([str(BIN / "lint-imports"), "--config", str(ROOT / "pyproject.toml")], ROOT, ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and "Contracts: 7 kept, 0 broken" in proc.stdout


def test_the_contracts_catch_a_cycle_and_an_upward_import(tmp_path):
    pkg = tmp_path / "demo"
    for sub in ("low", "high"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "low" / "a.py").write_text("from . import b\n", encoding="utf-8")
    (pkg / "low" / "b.py").write_text("def f():\n    from . import a  # a cycle hidden in a function\n",
                                      encoding="utf-8")
    (pkg / "low" / "c.py").write_text("from demo.high import d  # upward\n", encoding="utf-8")
    (pkg / "high" / "d.py").write_text("from demo.low import a\n", encoding="utf-8")
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_package = demo\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\nlayers =\n    demo.high\n    demo.low\n\n"
        "[importlinter:contract:cycles]\nname = cycles\ntype = acyclic_siblings\nancestors =\n    demo\n",
        encoding="utf-8")
    proc = _run([str(BIN / "lint-imports"), "--config", str(config)], tmp_path, tmp_path)
    assert proc.returncode != 0
    assert "layers BROKEN" in proc.stdout and "cycles BROKEN" in proc.stdout
    assert "demo.low.c -> demo.high.d" in proc.stdout


def test_ruff_finds_nothing_on_the_whole_tree():
    proc = _run([str(BIN / "ruff"), "check", "--no-cache", str(ROOT)], ROOT, ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_textprep_imports_without_torch_or_gensim():
    code = ("import sys, textprep, textprep.pipeline, textprep.filtering, textprep.bpe, textprep.vectorize;"
            "bad = sorted(m for m in ('torch', 'gensim') if m in sys.modules);"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = _run([sys.executable, "-c", code], ROOT, ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
