"""Pre-tokenizers for BPE: where merges may never cross.

``whitespace``
    Runs of word characters, and runs of other non-space characters; spaces are dropped.
    This is the split of HuggingFace ``tokenizers``' ``Whitespace`` pre-tokenizer, whose
    pattern is ``\\w+|[^\\w\\s]+`` in Rust's ``regex`` crate.  Python's ``re`` agrees with
    Rust on ``\\w`` and ``\\s`` for almost every character, but not all: Rust counts
    combining marks, connector punctuation such as U+203F and the joiners U+200C/U+200D
    as word characters and superscript digits or vulgar fractions (category No) not;
    Python counts U+001C..U+001F as spaces.  Text free of such characters (almost all
    text) takes the fast ``re`` path; a line holding one is split by a slower
    character-by-character loop with Rust's definitions, so the split is the same.

``bytelevel``
    GPT-2's split (contractions, an optional space followed by letters, digits or other
    symbols, runs of spaces), then every pre-token's UTF-8 bytes are written with GPT-2's
    byte-to-character table, so the 256 byte values are 256 printable characters and
    ``tokenizers``' ``ByteLevel`` decoder reads our files.  Lossless: the pieces
    concatenate back to the text, so every string round-trips.

References: Radford et al. 2019 (GPT-2, byte-level BPE); the ``tokenizers`` documentation
of ``pre_tokenizers.Whitespace`` and ``pre_tokenizers.ByteLevel``; the ``regex`` crate's
Unicode definitions of ``\\w`` (Alphabetic, M, Nd, Pc, Join_Control) and ``\\s`` (White_Space).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

PRETOKENIZERS = ("whitespace", "bytelevel")

_FAST_WS = re.compile(r"\w+|[^\w\s]+")

# Unicode White_Space (what Rust's \s means).
_RUST_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Other_Alphabetic letters outside categories L and M: circled and squared Latin letters.
_ALPHA_SYMBOL_RANGES = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))


def _rust_word(ch: str) -> bool:
    """Whether Rust's Unicode ``\\w`` matches ``ch``."""
    cat = unicodedata.category(ch)
    if cat[0] in "LM" or cat in ("Nd", "Nl", "Pc") or ch in "\u200c\u200d":
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _ALPHA_SYMBOL_RANGES)


def _odd_bmp_class() -> str:
    """A character class of the BMP characters on which Python's ``re`` and Rust disagree."""
    odd = []
    py_word, py_space = re.compile(r"\w"), re.compile(r"\s")
    for cp in range(0x10000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if bool(py_word.match(ch)) != _rust_word(ch) or bool(py_space.match(ch)) != (ch in _RUST_SPACE):
            odd.append(cp)
    ranges, start, prev = [], None, None
    for cp in odd:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    parts = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    # Characters beyond the BMP are rare; any of them sends the line to the exact slow path.
    return f"[{parts}\U00010000-\U0010ffff]"


_ODD = re.compile(_odd_bmp_class())


def _exact_whitespace_split(text: str) -> list[str]:
    """The Rust split, one character at a time (used only for lines with odd characters)."""
    out: list[str] = []
    cur: list[str] = []
    cur_word = False
    for ch in text:
        if ch in _RUST_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        w = _rust_word(ch)
        if cur and w != cur_word:
            out.append("".join(cur))
            cur = []
        cur.append(ch)
        cur_word = w
    if cur:
        out.append("".join(cur))
    return out


def whitespace_split(text: str) -> list[str]:
    """Split like ``tokenizers``' ``Whitespace``: ``"Hi, you!"`` -> ``["Hi", ",", "you", "!"]``."""
    if _ODD.search(text) is None:
        return _FAST_WS.findall(text)
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_FAST_WS.findall(line) if _ODD.search(line) is None else _exact_whitespace_split(line))
    return out


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable Latin-1 bytes stand for themselves, the other bytes are
    given the characters from U+0100 upwards, in byte order."""
    printable = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    table, shift = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + shift)
            shift += 1
    return table


BYTE_TO_CHAR: dict[int, str] = _bytes_to_unicode()
CHAR_TO_BYTE: dict[str, int] = {c: b for b, c in BYTE_TO_CHAR.items()}
#: the 256 byte characters in byte order: the byte-level alphabet
BYTE_ALPHABET: tuple[str, ...] = tuple(BYTE_TO_CHAR[b] for b in range(256))
# str.translate table from a latin-1 decoded byte string to the printable byte characters.
_LATIN1_TO_BYTECHARS = {b: c for b, c in BYTE_TO_CHAR.items()}
_BYTECHARS_TO_LATIN1 = {ord(c): b for b, c in BYTE_TO_CHAR.items()}

# GPT-2 split: contractions, letters, digits, other symbols (each with one optional
# leading space), and spaces.  Every character matches one branch, so nothing is lost.
_GPT2 = re.compile(r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def bytelevel_split(text: str) -> list[str]:
    """GPT-2 pieces of ``text`` written as byte characters: ``"Hi you"`` -> ``["Hi", "Ġyou"]``."""
    return [to_byte_chars(piece) for piece in _GPT2.findall(text)]


def to_byte_chars(piece: str) -> str:
    """UTF-8 bytes of ``piece`` as GPT-2 byte characters."""
    return piece.encode("utf-8").decode("latin-1").translate(_LATIN1_TO_BYTECHARS)


def from_byte_chars(text: str, errors: str = "replace") -> str:
    """Inverse of :func:`to_byte_chars` (characters outside the table are kept as they are)."""
    try:
        raw = text.translate(_BYTECHARS_TO_LATIN1).encode("latin-1")
    except UnicodeEncodeError:  # a character outside the table: keep its own UTF-8 bytes
        raw = b"".join(bytes([CHAR_TO_BYTE[c]]) if c in CHAR_TO_BYTE else c.encode("utf-8") for c in text)
    return raw.decode("utf-8", errors=errors)


def get_pretokenizer(name: str) -> Callable[[str], list[str]]:
    """The split function for a pre-tokenizer name (``ValueError`` for an unknown one)."""
    if name == "whitespace":
        return whitespace_split
    if name == "bytelevel":
        return bytelevel_split
    raise ValueError(f"unknown pretokenizer {name!r}; choose from {', '.join(PRETOKENIZERS)}")
