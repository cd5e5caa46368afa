"""Streaming, restartable corpus readers.

A corpus is an iterable of documents (one document per line).  Readers never load a
whole file into memory and can be iterated any number of times, because training makes
several passes; standard input (``-``) is the one source that can be read only once.
:class:`TextCorpus` gives the lines as strings, :class:`WhitespaceCorpus` the lines of
text that is already tokenized as token lists.

Every failure is a one-line ``ValueError`` naming the file: a missing path, a directory,
a binary file, or bytes that are not valid in the given encoding (with their byte offset).
"""
from __future__ import annotations

import codecs
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .errors import InputError

_SNIFF = 8192


def check_encoding(encoding: str) -> str:
    """Return the canonical codec name, or raise ``ValueError`` for an unknown one (or one that
    does not decode bytes to text, such as ``base64`` or ``rot13``)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding: {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):   # bytes-to-bytes or str-to-str codecs
        raise InputError(f"{encoding!r} is not a text encoding")
    return info.name


def check_readable(path: str | os.PathLike) -> Path:
    """Raise a one-line ``ValueError`` unless ``path`` is an existing, non-binary file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a text file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        nul = head.index(b"\x00")
        raise InputError(f"{path}: looks like a binary file (NUL byte at offset {nul})")
    return path


def _wide(encoding: str) -> bool:
    return encoding.startswith(("utf_16", "utf_32", "utf-16", "utf-32"))


def _iter_binary_lines(fh, name: str, encoding: str) -> Iterator[str]:
    """Decode a byte stream line by line, keeping track of byte offsets for error messages."""
    decoder_strict = codecs.getdecoder(encoding)
    offset = 0
    first = True
    for raw in fh:
        try:
            text, _ = decoder_strict(raw)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: invalid {encoding} byte 0x{raw[exc.start]:02x} at byte offset {offset + exc.start}"
            ) from None
        if first:
            text = text.lstrip("\ufeff")
            first = False
        offset += len(raw)
        yield text.rstrip("\r\n")


def iter_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[str]:
    """Yield the lines of one text file (or ``-`` for stdin) without their line ends."""
    encoding = check_encoding(encoding)
    if str(path) == "-":
        if _wide(encoding):
            stream = codecs.getreader(encoding)(sys.stdin.buffer)
            try:
                for line in stream:
                    yield line.rstrip("\r\n")
            except UnicodeError as exc:   # UTF-16 without a BOM is a plain UnicodeError
                raise InputError(f"<stdin>: not valid {encoding} ({getattr(exc, 'reason', exc)})") from None
        else:
            yield from _iter_binary_lines(sys.stdin.buffer, "<stdin>", encoding)
        return
    path = check_readable(path)
    if _wide(encoding):
        with open(path, encoding=encoding, newline="") as fh:
            try:
                for line in fh:
                    yield line.rstrip("\r\n")
            except UnicodeError as exc:   # UTF-16 without a BOM is a plain UnicodeError
                raise InputError(f"{path}: not valid {encoding} ({getattr(exc, 'reason', exc)})") from None
        return
    with open(path, "rb") as fh:
        yield from _iter_binary_lines(fh, str(path), encoding)


class TextCorpus:
    """Documents (lines) from files or ``-`` (stdin); ``TextCorpus.from_texts`` for strings.

    >>> docs = TextCorpus(["a.txt", "b.txt"], encoding="cp1251")   # doctest: +SKIP
    >>> for doc in docs: ...                                       # doctest: +SKIP

    Iterating again starts again from the first line of the first file.  File paths
    are checked when the corpus is made, so a typo fails before any work starts.
    """

    def __init__(
        self,
        sources: str | os.PathLike | Sequence[str | os.PathLike],
        encoding: str = "utf-8",
        skip_empty: bool = False,
    ):
        self.encoding = check_encoding(encoding)
        self.skip_empty = skip_empty
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        self._texts: list[str] | None = None
        self.paths: list[str] = [str(s) for s in sources]
        if not self.paths:
            raise InputError("no input files given")
        for p in self.paths:
            if p != "-":
                check_readable(p)
        if self.paths.count("-") and len(self.paths) > 1:
            raise InputError("'-' (stdin) cannot be combined with other inputs")
        self._stdin_used = False

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TextCorpus:
        """A corpus over strings held in memory (never interpreted as paths)."""
        obj = cls.__new__(cls)
        obj.encoding, obj.skip_empty, obj.paths, obj._stdin_used = "utf-8", False, [], False
        obj._texts = [str(t) for t in texts]
        return obj

    @property
    def restartable(self) -> bool:
        return "-" not in self.paths

    def __iter__(self) -> Iterator[str]:
        if self._texts is not None:
            docs: Iterable[str] = self._texts
        else:
            if "-" in self.paths:
                if self._stdin_used:
                    raise InputError("standard input can be read only once; save it to a file for several passes")
                self._stdin_used = True
            docs = (line for p in self.paths for line in iter_lines(p, self.encoding))
        for doc in docs:
            if self.skip_empty and not doc.strip():
                continue
            yield doc

    def __repr__(self) -> str:
        what = self.paths if self._texts is None else f"<{len(self._texts)} texts>"
        return f"TextCorpus({what!r}, encoding={self.encoding!r})"


class WhitespaceCorpus:
    """Token lists from text that is already tokenized: one document per line, tokens
    separated by whitespace (what ``textprep preprocess`` writes).  Restartable like
    :class:`TextCorpus`, whose arguments it takes.

    >>> list(WhitespaceCorpus.from_texts(["a  b", "", "c"]))
    [['a', 'b'], [], ['c']]
    """

    def __init__(self, sources: str | os.PathLike | Sequence[str | os.PathLike], encoding: str = "utf-8"):
        self.lines = TextCorpus(sources, encoding=encoding)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> WhitespaceCorpus:
        """Token lists of lines held in memory."""
        obj = cls.__new__(cls)
        obj.lines = TextCorpus.from_texts(texts)
        return obj

    @property
    def restartable(self) -> bool:
        return self.lines.restartable

    def __iter__(self) -> Iterator[list[str]]:
        for line in self.lines:
            yield line.split()

    def __repr__(self) -> str:
        return f"WhitespaceCorpus({self.lines!r})"


def require_restartable(iterable: Iterable, what: str = "this function") -> None:
    """Raise ``TypeError`` if ``iterable`` is a one-shot iterator (a generator, say):
    code that makes several passes would silently see an empty second pass."""
    if isinstance(iterable, str):
        raise TypeError(f"{what} expects an iterable of documents, not a single string")
    if iter(iterable) is iterable:
        raise TypeError(
            f"{what} makes several passes over its input, but got a one-shot iterator "
            f"({type(iterable).__name__}); pass a list or a TextCorpus instead"
        )
