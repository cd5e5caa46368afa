"""The main job's held-out split: the last sentences (or paragraphs) of the corpus are the
validation text, the rest the training text, written as ``train.txt`` and ``valid.txt``."""
from __future__ import annotations

from pathlib import Path

from textprep.errors import InputError
from textprep.fileio import atomic_write

from .config import RunConfig


def split_holdout(all_path: Path, n_units: int, corpus: Path, config: RunConfig, out: Path) -> int:
    """Copy the ``n_units`` lines of ``all_path`` into ``out/train.txt`` and ``out/valid.txt``,
    the last ``valid_fraction`` of them (at least one) held out; returns how many."""
    if n_units < 2:
        raise InputError(f"{corpus}: the corpus has {n_units} non-empty {config.unit}; the pipeline needs "
                         "at least 2 (one to train on, one to hold out)")
    n_valid = max(1, round(n_units * config.valid_fraction))
    with open(all_path, encoding="utf-8") as src, atomic_write(out / "train.txt") as tr, \
            atomic_write(out / "valid.txt") as va:
        for i, line in enumerate(src):
            (tr if i < n_units - n_valid else va).write(line)
    return n_valid
