"""Stop-word lists: the bundled Russian and English lists, or a user's file, with words
added and removed.

A list file holds one word per line; blank lines and lines starting with ``#`` are
ignored.  Matching is done on lower-cased, ё-folded forms, because the bundled NLTK
(Snowball) Russian list writes «ее» for «её».
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .corpus import iter_lines
from .errors import InputError
from .normalize import fold_yo

#: names accepted besides a file path
BUNDLED = {"ru": "stopwords_ru", "en": "stopwords_en"}
NONE = "none"


def check_spec(spec: str) -> None:
    """Raise ``ValueError`` unless ``spec`` is ``ru``, ``en``, ``none`` or an existing file."""
    if not isinstance(spec, str) or not spec:
        raise InputError(f"stopwords must be 'ru', 'en', 'none' or a file path, got {spec!r}")
    if spec in BUNDLED or spec == NONE:
        return
    path = Path(spec)
    if path.is_dir():
        raise InputError(f"stopwords: {spec} is a directory, expected a word-list file")
    if not path.is_file():
        raise InputError(
            f"unknown stop-word list {spec!r}: use 'ru', 'en', 'none' or the path of a word-list file"
        )


def read_word_list(path: str | os.PathLike, encoding: str = "utf-8") -> list[str]:
    """The words of a one-word-per-line file (``#`` comments and blank lines skipped)."""
    words = []
    for line in iter_lines(path, encoding):
        word = line.strip()
        if word and not word.startswith("#"):
            words.append(word)
    return words


def load_stopwords(spec: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> frozenset[str]:
    """The stop-word set named by ``spec`` (``ru``/``en``/``none``/a file), lower-cased and
    ё-folded, with ``add`` words added and ``remove`` words taken out.

    >>> "и" in load_stopwords("ru") and "и" not in load_stopwords("ru", remove=["и"])
    True
    """
    check_spec(spec)
    if spec == NONE:
        words: list[str] = []
    elif spec in BUNDLED:
        from corpora import corpus_path  # the bundled data package

        words = read_word_list(corpus_path(BUNDLED[spec]))
    else:
        words = read_word_list(spec)
    key = _key
    result = {key(w) for w in words} | {key(w) for w in add}
    result -= {key(w) for w in remove}
    return frozenset(result)


def _key(word: str) -> str:
    return fold_yo(word.strip().lower())
