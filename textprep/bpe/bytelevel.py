"""GPT-2's byte-level pieces: the split of text, and bytes written as printable characters.

Text is cut into GPT-2's pieces (contractions, an optional space followed by letters, digits
or other symbols, runs of spaces); every piece's UTF-8 bytes are then written with GPT-2's
byte-to-character table, so the 256 byte values are 256 printable characters and
``tokenizers``' ``ByteLevel`` decoder reads our files.  Lossless: the pieces concatenate
back to the text.

Reference: Radford et al. 2019 (GPT-2, byte-level BPE); the ``tokenizers`` documentation of
``pre_tokenizers.ByteLevel``.
"""
from __future__ import annotations

import functools
import re
import sys
import unicodedata

from .whitespace import RUST_SPACE


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
# str.translate tables between a latin-1 decoded byte string and the printable byte characters.
_LATIN1_TO_BYTECHARS = dict(BYTE_TO_CHAR.items())
_BYTECHARS_TO_LATIN1 = {ord(c): b for b, c in BYTE_TO_CHAR.items()}


def _char_class(codepoints) -> str:
    """The body of a regex character class holding ``codepoints`` (written as ranges)."""
    cps = sorted(codepoints)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


def _numbers_not_nd(lo: int, hi: int) -> str:
    """A class body of the numbers outside Nd (No, Nl) between two code points."""
    return _char_class(cp for cp in range(lo, hi) if unicodedata.category(chr(cp)) in ("No", "Nl"))


#: GPT-2's split: contractions, letters, digits, other symbols (each with one optional
#: leading space), and spaces.  Every character matches one branch, so nothing is lost.
#: Exact (the same pieces as ``tokenizers``) on text without the odd characters below.
GPT2_SPLIT = re.compile(r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")

# ``tokenizers`` writes the pattern with Rust's \p{L}, \p{N} and \s.  Python's \w also counts
# numbers outside Nd (``²``, ``½``, Roman numerals: No, Nl) as letters, where Rust counts them
# as numbers, and Python's \s holds U+001C..U+001F, which Rust's does not.  Text holding such a
# character (or any character beyond the BMP, checked cheaply as one range) is split by a
# pattern that spells Rust's sets out; it is slower, so it is built on first use.  So is the
# test for those characters: scanning the BMP for them costs every command's start otherwise.
@functools.cache
def _odd() -> re.Pattern:
    return re.compile(f"[{_numbers_not_nd(0, 0x10000)}\x1c-\x1f\U00010000-\U0010ffff]")


@functools.cache
def _exact_split() -> re.Pattern:
    num, sp = _numbers_not_nd(0, sys.maxunicode + 1), _char_class(map(ord, RUST_SPACE))
    return re.compile(
        rf"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_{num}]+| ?[\d{num}]+| ?(?:[^{sp}\w]|_)+|[{sp}]+(?![^{sp}])|[{sp}]+"""
    )


def gpt2_pieces(text: str) -> list[str]:
    """GPT-2's pieces of ``text``, as ``tokenizers``' ``ByteLevel`` cuts them: ``"Hi you"`` -> ``["Hi", " you"]``."""
    if _odd().search(text) is None:
        return GPT2_SPLIT.findall(text)
    return _exact_split().findall(text)


def bytelevel_split(text: str) -> list[str]:
    """GPT-2 pieces of ``text`` written as byte characters: ``"Hi you"`` -> ``["Hi", "Ġyou"]``."""
    return [to_byte_chars(piece) for piece in gpt2_pieces(text)]


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
