"""The split of HuggingFace ``tokenizers``' ``Whitespace`` pre-tokenizer, character for character.

Runs of word characters, and runs of other non-space characters; spaces are dropped.
``tokenizers`` writes this as ``\\w+|[^\\w\\s]+`` in Rust's ``regex`` crate.  Python's ``re``
agrees with Rust on ``\\w`` and ``\\s`` for almost every character, but not all: Rust counts
combining marks, connector punctuation such as U+203F and the joiners U+200C/U+200D as word
characters and superscript digits or vulgar fractions (category No) not; Python counts
U+001C..U+001F as spaces.  Text free of such characters (almost all text) takes the fast
``re`` path; a line holding one is split by a slower character-by-character loop with Rust's
definitions, so the split is the same.

Reference: the ``regex`` crate's Unicode definitions of ``\\w`` (Alphabetic, M, Nd, Pc,
Join_Control) and ``\\s`` (White_Space).
"""
from __future__ import annotations

import functools
import re
import unicodedata

#: the pattern, as Python's ``re`` reads it (exact on text without odd characters)
FAST_WS = re.compile(r"\w+|[^\w\s]+")
#: Python's ``str.split()`` also splits at U+001C..U+001F, which ``Whitespace`` does not
PY_ONLY_SPACE = re.compile("[\x1c-\x1f]")

#: Unicode White_Space (what Rust's \s means)
RUST_SPACE = frozenset(
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
        if bool(py_word.match(ch)) != _rust_word(ch) or bool(py_space.match(ch)) != (ch in RUST_SPACE):
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


@functools.cache
def _odd() -> re.Pattern:
    # built on first use: the scan of the BMP costs tens of ms, which every command's start would pay
    return re.compile(_odd_bmp_class())


def _exact_whitespace_split(text: str) -> list[str]:
    """The Rust split, one character at a time (used only for lines with odd characters)."""
    out: list[str] = []
    cur: list[str] = []
    cur_word = False
    for ch in text:
        if ch in RUST_SPACE:
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
    odd = _odd()
    if odd.search(text) is None:
        return FAST_WS.findall(text)
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(FAST_WS.findall(line) if odd.search(line) is None else _exact_whitespace_split(line))
    return out
