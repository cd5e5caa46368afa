"""The BPE model directory on disk: ``vocab.json``, ``merges.txt`` and our ``bpe_config.json``.

::

    vocab.json        {"<pad>": 0, ..., "a": 4, ..., "the": 901}   token -> id
    merges.txt        "#version: 0.2" then one merge per line: "t he"
    bpe_config.json   our settings: pre-tokenizer, special tokens, unknown token

``vocab.json`` and ``merges.txt`` are the files ``tokenizers.models.BPE.from_file`` reads, and
a directory holding only those two (a model from another tool) is read as well.  Every
failure is a ``ValueError`` naming the file and what is wrong with it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import InputError
from ..fileio import atomic_write, read_json, write_json

CONFIG_FILE = "bpe_config.json"


def write_model(model_dir: str | os.PathLike, ids: Mapping[str, int], merges: Sequence[tuple[str, str]],
                config: dict) -> Path:
    """Write the three files into ``model_dir`` (made if missing), each atomically."""
    model_dir = Path(model_dir)
    if model_dir.exists() and not model_dir.is_dir():
        raise InputError(f"{model_dir}: exists and is not a directory")
    model_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(model_dir / "vocab.json") as fh:
        json.dump(dict(ids), fh, ensure_ascii=False)
    with atomic_write(model_dir / "merges.txt") as fh:
        fh.write("#version: 0.2\n")
        for a, b in merges:
            fh.write(f"{a} {b}\n")
    write_json(model_dir / CONFIG_FILE, config)
    return model_dir


def read_model(model_dir: str | os.PathLike) -> tuple[list[str], list[tuple[str, str]], dict]:
    """``(vocab, merges, config)`` of a model directory; ``config`` is ``{}`` without our file."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputError(f"{model_dir}: no such model directory")
    for name in ("vocab.json", "merges.txt"):
        if not (model_dir / name).is_file():
            raise InputError(f"{model_dir}: malformed model directory, {name} is missing")
    cfg = read_json(model_dir / CONFIG_FILE, "BPE config") if (model_dir / CONFIG_FILE).exists() else {}
    if not isinstance(cfg, dict):
        raise InputError(f"{model_dir / CONFIG_FILE}: malformed BPE config (not a JSON object)")
    vocab_map = read_json(model_dir / "vocab.json", "BPE vocabulary")
    if not isinstance(vocab_map, dict) or not all(isinstance(v, int) for v in vocab_map.values()):
        raise InputError(f"{model_dir / 'vocab.json'}: malformed BPE vocabulary (expected token -> integer id)")
    if sorted(vocab_map.values()) != list(range(len(vocab_map))):
        raise InputError(f"{model_dir / 'vocab.json'}: malformed BPE vocabulary (ids are not 0..{len(vocab_map) - 1})")
    vocab = [""] * len(vocab_map)
    for t, i in vocab_map.items():
        vocab[i] = t
    merges = []
    try:
        with open(model_dir / "merges.txt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if (lineno == 1 and line.startswith("#version")) or not line:
                    continue
                parts = line.split(" ")
                if len(parts) != 2 or not all(parts):
                    raise InputError(f"{model_dir / 'merges.txt'}: malformed merge on line {lineno}: {line!r}")
                merges.append((parts[0], parts[1]))
    except UnicodeDecodeError as exc:
        raise InputError(f"{model_dir / 'merges.txt'}: not valid UTF-8 ({exc.reason})") from None
    return vocab, merges, cfg
