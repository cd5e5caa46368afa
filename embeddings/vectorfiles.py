"""The word2vec file formats: text and binary, written atomically and read back.

::

    text     "count dim" header, then one line per word: "word v1 v2 ... vdim"
    binary   the same header, then per word "word " followed by dim float32 little-endian values
             and, by the C tool's habit, a newline

gensim must be told which format a file is in (``binary=``); reading here can also tell by
itself (``binary=None``), whatever the file is called: a text file is UTF-8 without NUL bytes,
and raw float32 values almost never are.  When they are (a handful of values), the file is
read as text, and as binary only if that fails and its binary records fill it exactly.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textprep.errors import InputError
from textprep.fileio import atomic_write

#: bytes after the header that :func:`looks_binary` inspects
SNIFF_BYTES = 1 << 16


def write_word2vec(path: str | os.PathLike, words: Sequence[str], vectors: np.ndarray, binary: bool = False) -> None:
    """Write ``words`` and their ``(n, dim)`` ``vectors`` in the text (or binary) format, atomically."""
    for w in words:
        if not w or any(c.isspace() for c in w):
            raise InputError(f"word {w!r} cannot be written in word2vec format (empty or has whitespace)")
    header = f"{len(words)} {vectors.shape[1]}\n"
    if binary:
        with atomic_write(path, "wb") as fh:
            fh.write(header.encode("utf-8"))
            for w, v in zip(words, vectors.astype("<f4")):
                fh.write(w.encode("utf-8") + b" " + v.tobytes() + b"\n")
    else:
        with atomic_write(path, "w") as fh:
            fh.write(header)
            for w, v in zip(words, vectors):
                fh.write(w + " " + " ".join(f"{x:.6g}" for x in v.tolist()) + "\n")


def read_word2vec(path: str | os.PathLike, binary: bool | None = None) -> tuple[list[str], np.ndarray]:
    """``(words, (n, dim) float32 vectors)`` of a word2vec file (``binary=None``: told by its bytes)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read vectors file ({exc.strerror or exc})") from None
    if binary is None and not looks_binary(data):
        try:
            return _parse_text(data, path)
        except InputError as text_error:
            # a few float32 values can happen to be valid UTF-8: binary if its records fill the file exactly
            try:
                return _parse_binary(data, path, whole=True)
            except InputError:
                raise text_error from None
    return (_parse_text if binary is False else _parse_binary)(data, path)


def looks_binary(data: bytes) -> bool:
    """Whether the bytes after the header line are the binary format rather than text."""
    start = data.find(b"\n") + 1
    if start == 0:
        return False
    sample = data[start:start + SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a sample cut short may end inside a character: that alone is still text
        return not (exc.reason == "unexpected end of data" and len(data) > start + len(sample))
    return False


def _header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    try:
        count, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2 or count < 0 or dim < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise InputError(f"{path}: not a word2vec file (first line should be 'count dim', got {line[:60]!r})") from None
    return count, dim


def _check_fits(count: int, dim: int, row_bytes: int, data: bytes, path: Path) -> None:
    """Refuse a header whose rows could not fit in the file, before allocating them: a lying
    header (``999999999999 8``) must not ask for terabytes."""
    if count * row_bytes > len(data):
        raise InputError(f"{path}: truncated, or its header lies: it says {count} words of dimension {dim}, "
                         f"more than the file's {len(data)} bytes can hold")


def _parse_text(data: bytes, path: Path) -> tuple[list[str], np.ndarray]:
    lines = data.split(b"\n")
    count, dim = _header(lines[0], path)
    _check_fits(count, dim, 2 * dim + 2, data, path)   # a row is at least "w" and " 0" per value
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    body = [ln for ln in lines[1:] if ln.strip()]
    if len(body) != count:
        raise InputError(f"{path}: header says {count} words, the file has {len(body)} lines of vectors")
    for n, line in enumerate(body):
        parts = line.rstrip(b"\r").rstrip().split(b" ")
        try:
            words.append(parts[0].decode("utf-8"))
            if len(parts) != dim + 1:
                raise InputError(f"expected {dim} values, got {len(parts) - 1}")
            vectors[n] = np.array(parts[1:], dtype=np.float32)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: line {n + 2}: {exc}") from None
    return words, vectors


def _parse_binary(data: bytes, path: Path, whole: bool = False) -> tuple[list[str], np.ndarray]:
    end = data.find(b"\n")
    count, dim = _header(data[: end if end >= 0 else 80], path)
    pos, width = end + 1, 4 * dim
    _check_fits(count, dim, width + 2, data, path)   # a row is at least "w", " " and the floats
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    for n in range(count):
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b"\r"):   # the C tool's separator
            pos += 1
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + width > len(data):
            raise InputError(f"{path}: truncated binary word2vec file at word {n + 1} of {count}")
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: word {n + 1} is not valid UTF-8 (byte offset {pos})") from None
        vectors[n] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
    if whole and data[pos:].strip(b"\r\n"):
        raise InputError(f"{path}: {len(data) - pos} bytes after the last of {count} binary records")
    return words, vectors
