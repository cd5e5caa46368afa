"""Byte-range partitions of text files, cut at line ends; read by whichever process gets one.

::

    file ─▶ [0, 4 MiB + rest of that line) [.., 8 MiB + rest) ... [.., size)
             partition 0                      partition 1            last

A partition is a plain value (path, start, end, index), so it travels to a Dask worker for a
few bytes and the worker reads the bytes itself: the client never holds the corpus.  Files are
opened through fsspec, so a path may be local (it must then be the same path on every worker:
a shared file system) or a URL that every worker can read (``s3://``, ``gs://``, ``http://``...).

The cut rule is the one :func:`textprep.bpe.counting.file_blocks` uses (seek to ``start + size``,
then to the end of that line), so BPE counting sees exactly the blocks of the process pool.  A
stage whose units run over several lines (paragraphs, chapters) passes ``safe``: a cut then moves
on, line by line, to the first line where a unit starts.

Lines are decoded as :func:`textprep.corpus.iter_lines` does (a byte-order mark dropped from the
first line of a file, ``\\r\\n`` and ``\\n`` stripped, a bad byte reported with its offset in the
file).  UTF-16 and UTF-32 cannot be cut at an arbitrary byte: such a file is one partition.
"""
from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..corpus import check_encoding, check_readable
from ..errors import InputError

#: bytes per partition: a few seconds of lemmatizing on one core (far above Dask's ~1 ms cost per
#: task), small enough that many partitions keep every worker busy and a rerun after a lost
#: worker is cheap; equal to the BPE counting block, so BPE counts are identical to the pool's
PARTITION_BYTES = 4 << 20

#: how a cut point is judged when units span lines: ``safe(previous line, line) -> bool``
SafeCut = Callable[[str, str], bool]


@dataclass(frozen=True)
class Partition:
    """Bytes ``[start, end)`` of ``path``; ``index`` is its place in the job's output order."""

    path: str
    start: int
    end: int
    index: int
    encoding: str = "utf-8"

    @property
    def size(self) -> int:
        return self.end - self.start


def is_url(path: str) -> bool:
    return "://" in path


def _fs(path: str):
    import fsspec

    return fsspec.core.url_to_fs(path)


def check_source(path: str) -> str:
    """The path as every worker must see it (local paths made absolute), or a one-line ``InputError``."""
    if path == "-":
        raise InputError("standard input cannot be cut into partitions for the cluster; "
                         "give a file path (or URL) that every worker can read")
    if not is_url(path):
        return str(check_readable(path).resolve())
    fs, inner = _fs(path)
    try:
        if fs.isdir(inner):
            raise InputError(f"{path}: is a directory, expected a text file")
        if not fs.exists(inner):
            raise InputError(f"{path}: no such file")
    except (OSError, ImportError) as exc:
        raise InputError(f"{path}: cannot read ({' '.join(str(exc).split())})") from None
    return path


def _wide(encoding: str) -> bool:
    return encoding.startswith(("utf_16", "utf_32"))


def _decode_line(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace").rstrip("\r\n")


def _line_before(fh, pos: int) -> tuple[int, bytes]:
    """``(where it starts, bytes)`` of the line that ends at byte ``pos`` (its ``\\n`` included)."""
    step, lo, tail = 1 << 16, pos, b""
    while lo > 0:
        lo = max(0, lo - step)
        fh.seek(lo)
        block = fh.read(pos - lo - len(tail)) + tail
        nl = block.rfind(b"\n", 0, len(block) - 1)
        if nl >= 0:
            return lo + nl + 1, block[nl + 1:]
        tail = block
    return 0, tail


def plan_partitions(paths: Sequence[str], encoding: str = "utf-8", size: int = PARTITION_BYTES,
                    safe: SafeCut | None = None) -> list[Partition]:
    """Partitions of ``paths`` in order (an empty file has none); the client reads only a line
    or so around each cut."""
    if size < 1:
        raise ValueError(f"partition size must be >= 1 byte, got {size}")
    encoding = check_encoding(encoding)
    parts: list[Partition] = []
    for path in (check_source(str(p)) for p in paths):
        fs, inner = _fs(path)
        total = fs.size(inner)
        if total and _wide(encoding):
            parts.append(Partition(path, 0, total, len(parts), encoding))
            continue
        with fs.open(inner, "rb") as fh:
            start = 0
            while start < total:
                end = min(start + size, total)
                if end < total:
                    fh.seek(end)
                    end += len(fh.readline())
                if safe is not None and end < total:
                    end = _next_safe(fh, end, total, encoding, safe)
                parts.append(Partition(path, start, end, len(parts), encoding))
                start = end
    return parts


def _next_safe(fh, end: int, total: int, encoding: str, safe: SafeCut) -> int:
    """The first line start at or after ``end`` where ``safe`` allows a cut (else ``total``)."""
    where, raw = _line_before(fh, end)
    prev = _decode_line(raw, encoding)
    if where == 0:
        prev = prev.lstrip("\ufeff")   # as the workers read the first line of a file
    fh.seek(end)
    while end < total:
        raw = fh.readline()
        line = _decode_line(raw, encoding)
        if safe(prev, line):
            return end
        end += len(raw)
        prev = line
    return total


def read_bytes(part: Partition) -> bytes:
    fs, inner = _fs(part.path)
    with fs.open(inner, "rb") as fh:
        fh.seek(part.start)
        raw = fh.read(part.size)
    if len(raw) != part.size:
        raise InputError(f"{part.path}: changed while it was read (expected {part.size} bytes at "
                         f"offset {part.start}, got {len(raw)})")
    return raw


def bad_byte(part: Partition, raw: bytes, exc: UnicodeDecodeError, offset: int) -> InputError:
    """The one-line error :func:`textprep.corpus.iter_lines` gives, with the offset in the file."""
    return InputError(f"{part.path}: invalid {part.encoding} byte 0x{raw[exc.start]:02x} "
                      f"at byte offset {part.start + offset + exc.start}")


def iter_partition_lines(part: Partition) -> Iterator[str]:
    """The lines of one partition, decoded exactly as :func:`textprep.corpus.iter_lines` would."""
    if _wide(part.encoding):
        fs, inner = _fs(part.path)
        with fs.open(inner, "rb") as fh, io.TextIOWrapper(fh, encoding=part.encoding, newline="") as text:
            try:
                for line in text:
                    yield line.rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise InputError(f"{part.path}: not valid {part.encoding} ({exc.reason})") from None
        return
    raw = read_bytes(part)
    decode = codecs.getdecoder(part.encoding)
    offset = 0
    for line in io.BytesIO(raw):
        try:
            text, _ = decode(line)
        except UnicodeDecodeError as exc:
            raise bad_byte(part, line, exc, offset) from None
        if offset == 0 and part.start == 0:
            text = text.lstrip("\ufeff")
        offset += len(line)
        yield text.rstrip("\r\n")


def describe(parts: Sequence[Partition], size: int = PARTITION_BYTES) -> str:
    """``"12 partitions of about 4 MiB from 3 files"``, for the log."""
    files = len({p.path for p in parts})
    return f"{len(parts)} partitions of about {size / (1 << 20):g} MiB from {files} file{'s' * (files != 1)}"
