"""The Python examples of docs/bpe.md run as written, and the module docstring examples pass."""
from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "bpe.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_document_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_example_runs(index, tmp_path, monkeypatch):
    # The blocks build on each other (the model saved in the first is read by the third).
    monkeypatch.chdir(tmp_path)
    scope = {"__name__": "__doc_example__"}
    for i in range(index + 1):
        exec(compile(BLOCKS[i], f"{DOC.name}[python block {i + 1}]", "exec"), scope)


def test_printed_results_are_the_ones_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for block in BLOCKS[:2]:
        exec(compile(block, f"{DOC.name}[python block]", "exec"), {"__name__": "__doc_example__"})
    printed = capsys.readouterr().out.splitlines()
    shown = [m.group(1) for b in BLOCKS[:2] for m in re.finditer(r"print\(.*?\)\s+# (\[.*?\])", b)]
    assert len(shown) == 3 and printed == shown


@pytest.mark.parametrize("module", ["textprep.bpe", "textprep.bpe.core", "textprep.bpe.tokenizer"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
