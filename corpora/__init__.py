"""Small real corpora shipped with the package, so every command has an offline default.

>>> from corpora import corpus_path
>>> corpus_path("war_and_peace").name
'war_and_peace.txt'

See ``corpora/README.md`` for each file's origin and licence.
"""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent

CORPORA = {
    "war_and_peace": "war_and_peace.txt",
    "russian_names": "russian_names.txt",
    "tinyshakespeare": "tinyshakespeare.txt",
    "stopwords_ru": "stopwords_nltk_russian.txt",
    "stopwords_en": "stopwords_nltk_english.txt",
    "questions_words": "questions-words.txt",
    "wordsim353": "wordsim353.tsv",
}


def corpus_path(name: str) -> Path:
    """The path of a bundled corpus by name (see ``CORPORA`` for the names)."""
    try:
        return _HERE / CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown bundled corpus {name!r}; choose from {', '.join(sorted(CORPORA))}") from None


def names() -> list[str]:
    return sorted(CORPORA)
