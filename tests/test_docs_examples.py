"""Every Python example in docs/*.md and README.md runs as written.

The blocks of one page run in order in one namespace, since later blocks build on earlier
ones (a model saved in the first is read in the third), each page in a fresh folder.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_every_guide_has_python_examples():
    names = {p.name for p in PAGES}
    assert {"preprocessing.md", "bpe.md", "word2vec.md", "language_model.md"} <= names
    for page in PAGES:
        if page.name != "architecture.md":
            assert python_blocks(page), f"{page.name} has no python example"


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_page_examples_run_in_order(page, tmp_path, monkeypatch, one_torch_thread):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpora").symlink_to(ROOT / "corpora")
    scope = {"__name__": "__doc_example__"}
    for i, block in enumerate(python_blocks(page), 1):
        exec(compile(block, f"{page.name}[python block {i}]", "exec"), scope)
