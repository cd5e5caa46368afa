"""Counting the pre-tokens of a corpus, in parallel over byte ranges of large files.

Counting is most of the training time on a large corpus.  A file is cut into blocks of a
few megabytes at line ends and the blocks are counted by worker processes; each block is
read by its worker, so the file is never held in memory, and the counts are added up as
they come back (their order does not matter).  How a block of text is counted is the
pre-tokenizer's business (:meth:`textprep.bpe.pretokenize.Pretokenizer.count`).
"""
from __future__ import annotations

import concurrent.futures
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from ..corpus import check_encoding, check_readable, iter_lines
from ..errors import InputError
from ..parallel import can_start_pool, process_pool, resolve_workers
from .pretokenize import JOIN_CHARS, get_pretokenizer, join_lines

#: block size for parallel counting of files
BLOCK_BYTES = 4 << 20


def special_splitter(special_tokens: Sequence[str]) -> re.Pattern | None:
    """A pattern that finds special tokens in text (longest first), or None without any."""
    if not special_tokens:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(special_tokens, key=len, reverse=True)))


def count_text(text: str, pretokenizer: str, specials: re.Pattern | None = None) -> Counter:
    """Pre-token counts of one piece of text (any size; special tokens are left out)."""
    return get_pretokenizer(pretokenizer).count(text, specials)


def _decode(raw: bytes, path: str, encoding: str, offset: int) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
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
    """Pre-token counts over files (``from_files``) or over an iterable of strings.

    ``workers``: processes counting file blocks (``None`` or 0: one per available CPU).
    """
    pretok = get_pretokenizer(pretokenizer)
    specials = special_splitter(special_tokens)
    if not from_files:
        return pretok.count_texts(sources, specials)
    encoding = check_encoding(encoding)
    jobs, streamed = [], []
    for src in sources:
        src = str(src)
        if src == "-" or _wide(encoding):
            # standard input cannot be cut into byte ranges, nor can UTF-16/32 text at any byte
            if src != "-":
                check_readable(src)
            streamed.append(src)
            continue
        check_readable(src)
        blocks = file_blocks(src, BLOCK_BYTES)
        jobs.extend((src, a, b, encoding, pretokenizer, tuple(special_tokens)) for a, b in blocks)
    total: Counter = Counter()
    for src in streamed:
        for piece in join_lines(iter_lines(src, encoding), JOIN_CHARS):
            total.update(pretok.count(piece, specials))
    workers = min(resolve_workers(workers), len(jobs))
    if workers > 1 and can_start_pool():
        pool = process_pool(workers)
        try:
            for done in concurrent.futures.as_completed([pool.submit(_count_block, job) for job in jobs]):
                total.update(done.result())
        finally:  # after an error (a bad byte, say) the blocks not yet started are dropped
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for job in jobs:
            total.update(_count_block(job))
    return total
