"""The Python examples of docs/preprocessing.md run as written."""
from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "preprocessing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_document_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"{DOC.name}[python block {index + 1}]", "exec"), {"__name__": "__doc_example__"})


@pytest.mark.parametrize("module", ["corpus", "normalize", "tokenize", "stopwords", "stem", "lemma", "pipeline",
                                    "filtering", "vectorize", "vocab"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"textprep.{module}"))
    assert result.attempted > 0 and result.failed == 0
