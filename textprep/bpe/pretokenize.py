"""Pre-tokenizers for BPE: where merges may never cross, one small class per mode.

A pre-tokenizer cuts text into pre-tokens, and merges happen only inside one.  Each mode is
a class with the same few methods, found by its name with :func:`get_pretokenizer`:

``whitespace`` (:class:`Whitespace`)
    Word runs and punctuation runs, spaces dropped: the split of ``tokenizers``'
    ``Whitespace`` (:mod:`.whitespace`).  Lossy for spaces: decoding joins tokens by one space.
``bytelevel`` (:class:`ByteLevel`)
    GPT-2's pieces written as byte characters (:mod:`.bytelevel`); the alphabet is all 256
    bytes from the start, and every string round-trips.

What the trainer and the encoder ask of a mode::

    count(text)       pre-token counts of a text        training (.counting)
    count_texts(ts)   the same over many strings        training from strings
    chunks(text)      the units the encoder caches      encoding
    pieces(chunk)     pre-tokens of one unit            encoding (cache misses only)
    decode(tokens)    text from token strings           decoding
    alphabet          symbols every model starts with   training
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from ..errors import InputError
from .bytelevel import BYTE_ALPHABET, bytelevel_split, from_byte_chars, gpt2_pieces, to_byte_chars
from .whitespace import FAST_WS, PY_ONLY_SPACE, whitespace_split

#: strings are joined into pieces of about this many characters before counting
JOIN_CHARS = 1 << 22


class Pretokenizer:
    """The interface every mode implements (see the module docstring)."""

    name: str = ""
    #: symbols in the vocabulary whatever the corpus (empty: the corpus' own characters)
    alphabet: tuple[str, ...] = ()

    def split(self, text: str) -> list[str]:
        """The pre-tokens of ``text``, in the model's alphabet."""
        raise NotImplementedError

    def count(self, text: str, specials: re.Pattern | None = None) -> Counter:
        """Pre-token counts of one piece of text of any size; special tokens are left out."""
        raise NotImplementedError

    def count_texts(self, texts: Iterable[str], specials: re.Pattern | None = None) -> Counter:
        """Pre-token counts over many strings, each counted on its own."""
        total: Counter = Counter()
        for text in texts:
            total.update(self.count(text, specials))
        return total

    def chunks(self, text: str) -> list[str]:
        """``text`` cut into the units whose ids the encoder caches."""
        raise NotImplementedError

    def pieces(self, chunk: str) -> list[str]:
        """The pre-tokens of one unit from :meth:`chunks`, in the model's alphabet."""
        raise NotImplementedError

    def decode(self, tokens: list[str], specials: frozenset[str] | set[str]) -> str:
        """Text from token strings (``specials`` are written as they are)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Whitespace(Pretokenizer):
    """Word and punctuation runs; counting takes a shortcut with the same result.

    No pre-token crosses a space, so the space-separated chunks are counted with
    ``str.split`` and a ``Counter`` (both in C) and only the *unique* chunks are split further.
    """

    name = "whitespace"

    def split(self, text: str) -> list[str]:
        return whitespace_split(text)

    def count(self, text: str, specials: re.Pattern | None = None) -> Counter:
        if specials is not None and specials.search(text):
            text = specials.sub(" ", text)  # a special token separates pre-tokens like a space
        out: Counter = Counter()
        if PY_ONLY_SPACE.search(text):
            lines = text.split("\n")
            for line in lines:
                if PY_ONLY_SPACE.search(line):
                    out.update(whitespace_split(line))
            text = "\n".join(line for line in lines if not PY_ONLY_SPACE.search(line))
        findall = FAST_WS.findall
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

    def count_texts(self, texts: Iterable[str], specials: re.Pattern | None = None) -> Counter:
        # A newline separates like any space, so strings are joined into large pieces and
        # counted by the fast path a few megabytes at a time.
        total: Counter = Counter()
        for piece in join_lines(texts, JOIN_CHARS):
            total.update(self.count(piece, specials))
        return total

    def chunks(self, text: str) -> list[str]:
        # str.split() is exact unless the text holds a character it splits at and Whitespace does not
        return whitespace_split(text) if PY_ONLY_SPACE.search(text) else text.split()

    def pieces(self, chunk: str) -> list[str]:
        return whitespace_split(chunk)

    def decode(self, tokens: list[str], specials: frozenset[str] | set[str]) -> str:
        # spaces were not kept: tokens are joined by one space, as tokenizers does without a decoder
        return " ".join(tokens)


class ByteLevel(Pretokenizer):
    """GPT-2 pieces as byte characters; lossless."""

    name = "bytelevel"
    alphabet = BYTE_ALPHABET

    def split(self, text: str) -> list[str]:
        return bytelevel_split(text)

    def count(self, text: str, specials: re.Pattern | None = None) -> Counter:
        if specials is not None and specials.search(text):
            # cut the special tokens out: a space in their place would be a pre-token of its own
            total: Counter = Counter()
            for piece in specials.split(text):
                total.update(self.count(piece))
            return total
        out: Counter = Counter()
        for piece, c in Counter(gpt2_pieces(text)).items():
            out[to_byte_chars(piece)] += c
        return out

    # count_texts: each string on its own, since joining strings would add pre-tokens

    def chunks(self, text: str) -> list[str]:
        return gpt2_pieces(text)

    def pieces(self, chunk: str) -> list[str]:
        return [to_byte_chars(chunk)]

    def decode(self, tokens: list[str], specials: frozenset[str] | set[str]) -> str:
        out, run = [], []
        for t in tokens:
            if t in specials:
                out.append(from_byte_chars("".join(run)))
                out.append(t)
                run = []
            else:
                run.append(t)
        out.append(from_byte_chars("".join(run)))
        return "".join(out)


_BY_NAME: dict[str, Pretokenizer] = {p.name: p for p in (Whitespace(), ByteLevel())}
#: the names of the pre-tokenizers, the default first
PRETOKENIZERS: tuple[str, ...] = tuple(_BY_NAME)


def get_pretokenizer(name: str) -> Pretokenizer:
    """The pre-tokenizer called ``name`` (``ValueError`` for an unknown one)."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise InputError(f"pretokenizer must be one of {', '.join(PRETOKENIZERS)}, got {name!r}") from None


def join_lines(texts: Iterable[str], size: int) -> Iterator[str]:
    """Strings joined by newlines into pieces of about ``size`` characters."""
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
