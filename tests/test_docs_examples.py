"""The documentation runs as written: every Python block of docs/*.md, the results it shows,
and the ``>>>`` examples in the modules' docstrings.

The blocks of one page run in order in one namespace, since later blocks build on earlier
ones (a model saved in the first is read in the third), each page in a fresh folder.  A line
``print(x)  # shown`` promises that ``shown`` is what it prints, and is checked.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import embeddings
import textprep

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
SHOWN = re.compile(r"^print\(.*\)\s+# (.+)$", flags=re.M)


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_every_guide_has_python_examples():
    names = {p.name for p in PAGES}
    assert {"preprocessing.md", "bpe.md", "word2vec.md", "language_model.md"} <= names
    for page in PAGES:
        if page.name != "architecture.md":
            assert python_blocks(page), f"{page.name} has no python example"


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_page_examples_run_in_order_and_print_what_they_show(page, tmp_path, monkeypatch, capsys,
                                                              one_torch_thread):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpora").symlink_to(ROOT / "corpora")
    scope = {"__name__": "__doc_example__"}
    blocks = python_blocks(page)
    for i, block in enumerate(blocks, 1):
        exec(compile(block, f"{page.name}[python block {i}]", "exec"), scope)
    shown = [m.group(1).strip() for b in blocks for m in SHOWN.finditer(b)]
    if shown:
        printed = capsys.readouterr().out.splitlines()
        assert printed == shown


def _modules_with_examples() -> list[str]:
    names = []
    for package in (textprep, embeddings):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            source = Path(importlib.util.find_spec(info.name).origin).read_text(encoding="utf-8")
            if ">>> " in source:
                names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_the_modules_people_read_first_have_examples():
    assert {"textprep.pipeline", "textprep.tokenize", "textprep.vocab", "textprep.vectorize",
            "textprep.bpe.core", "textprep.bpe.tokenizer"} <= set(MODULES)


@pytest.mark.parametrize("module", [m for m in MODULES if not m.startswith("embeddings")])
def test_docstring_examples_pass(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
