"""Counting the pre-tokens of a corpus, in parallel over byte ranges of large files.

Counting is most of the training time on a large corpus, so it takes a shortcut that
gives exactly the same table: in ``whitespace`` mode no pre-token crosses a space, so we
count the space-separated chunks with ``str.split`` and a ``Counter`` (both in C), and
split only the *unique* chunks into pre-tokens.  A file is cut into blocks at line ends
and the blocks are counted by worker processes; a block is read by its worker, so the
file is never held in memory.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Iterable, Iterator, Sequence

from ..corpus import check_encoding, check_readable, iter_lines
from .pretokenize import _FAST_WS, _GPT2, get_pretokenizer, to_byte_chars, whitespace_split

#: block size for parallel counting of files
BLOCK_BYTES = 4 << 20
# Python's str.split() also splits at U+001C..U+001F, which tokenizers' Whitespace does not.
_PY_ONLY_SPACE = re.compile("[\x1c-\x1f]")


def special_splitter(special_tokens: Sequence[str]) -> re.Pattern | None:
    """A pattern that finds special tokens in text (longest first), or None without any."""
    if not special_tokens:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(special_tokens, key=len, reverse=True)))


def count_text(text: str, pretokenizer: str, specials: re.Pattern | None = None) -> Counter:
    """Pre-token counts of one piece of text (any size; special tokens are left out)."""
    if specials is not None and specials.search(text):
        if pretokenizer == "whitespace":
            text = specials.sub(" ", text)
        else:
            total: Counter = Counter()
            for piece in specials.split(text):
                total.update(count_text(piece, pretokenizer))
            return total
    out: Counter = Counter()
    if pretokenizer == "bytelevel":
        for piece, c in Counter(_GPT2.findall(text)).items():
            out[to_byte_chars(piece)] += c
        return out
    if pretokenizer != "whitespace":
        get_pretokenizer(pretokenizer)  # raises the one-line error
    if _PY_ONLY_SPACE.search(text):
        lines = text.split("\n")
        for line in lines:
            if _PY_ONLY_SPACE.search(line):
                out.update(whitespace_split(line))
        text = "\n".join(line for line in lines if not _PY_ONLY_SPACE.search(line))
    findall = _FAST_WS.findall
    for chunk, c in Counter(text.split()).items():
        if chunk.isascii():
            # ASCII has no character on which Python and Rust disagree (U+001C..U+001F were
            # handled above), and letters/digits alone are one pre-token.
            if chunk.isalnum():
                out[chunk] += c
                continue
            pieces = findall(chunk)
        else:
            pieces = whitespace_split(chunk)
        for piece in pieces:
            out[piece] += c
    return out


def _decode(raw: bytes, path: str, encoding: str, offset: int) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: invalid {encoding} byte 0x{raw[exc.start]:02x} at byte offset {offset + exc.start}"
        ) from None


def _count_block(job: tuple[str, int, int, str, str, tuple[str, ...]]) -> Counter:
    path, start, end, encoding, pretokenizer, special_tokens = job
    with open(path, "rb") as fh:
        fh.seek(start)
        raw = fh.read(end - start)
    text = _decode(raw, path, encoding, start)
    if start == 0:
        text = text.lstrip("\ufeff")
    return count_text(text, pretokenizer, special_splitter(special_tokens))


def file_blocks(path: str, block_bytes: int = BLOCK_BYTES) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges of about ``block_bytes`` that end at a line end."""
    size = os.path.getsize(path)
    blocks, start = [], 0
    with open(path, "rb") as fh:
        while start < size:
            end = min(start + block_bytes, size)
            if end < size:
                fh.seek(end)
                rest = fh.readline()
                end += len(rest)
            blocks.append((start, end))
            start = end
    return blocks


def _wide(encoding: str) -> bool:
    return encoding.startswith(("utf_16", "utf_32"))


def count_corpus(
    sources: Iterable[str] | Sequence[str | os.PathLike],
    pretokenizer: str = "whitespace",
    special_tokens: Sequence[str] = (),
    encoding: str = "utf-8",
    workers: int | None = None,
    from_files: bool = True,
) -> Counter:
    """Pre-token counts over files (``from_files``) or over an iterable of strings."""
    get_pretokenizer(pretokenizer)
    specials = special_splitter(special_tokens)
    if not from_files:
        total: Counter = Counter()
        if pretokenizer == "bytelevel":  # each string on its own: joining would add pre-tokens
            for text in sources:
                total.update(count_text(text, pretokenizer, specials))
            return total
        for batch in _batches(sources, 1 << 22):
            total.update(count_text(batch, pretokenizer, specials))
        return total
    encoding = check_encoding(encoding)
    jobs, streamed = [], []
    for src in sources:
        src = str(src)
        if src == "-" or _wide(encoding):
            if src != "-":
                check_readable(src)
            streamed.append(src)
            continue
        check_readable(src)
        jobs.extend((src, a, b, encoding, pretokenizer, tuple(special_tokens)) for a, b in file_blocks(src))
    total = Counter()
    for src in streamed:
        for batch in _batches(iter_lines(src, encoding), 1 << 22):
            total.update(count_text(batch, pretokenizer, specials))
    import multiprocessing as mp

    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1 and not mp.current_process().daemon:

        with mp.get_context(_start_method()).Pool(min(workers, len(jobs))) as pool:
            for counts in pool.imap_unordered(_count_block, jobs):
                total.update(counts)
    else:
        for job in jobs:
            total.update(_count_block(job))
    return total


def _start_method() -> str:
    import multiprocessing as mp

    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def _batches(texts: Iterable[str], size: int) -> Iterator[str]:
    """Join strings with newlines into pieces of about ``size`` characters."""
    buf: list[str] = []
    n = 0
    for t in texts:
        buf.append(t)
        n += len(t) + 1
        if n >= size:
            yield "\n".join(buf)
            buf, n = [], 0
    if buf:
        yield "\n".join(buf)
