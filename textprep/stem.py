"""Snowball stemming for Russian and English through PyStemmer (the C Snowball library).

Stemming cuts endings by rule («картошки» → «картошк», «копали» → «копа»): it is fast and
needs no dictionary, but different words can share a stem and stems are not words.
Reference: M. Porter, *Snowball: A language for stemming algorithms* (2001),
https://snowballstem.org/algorithms/russian/stemmer.html
"""
from __future__ import annotations

from collections.abc import Sequence

from .errors import InputError

ALGORITHMS = {"ru": "russian", "en": "english"}


class SnowballStemmer:
    """``stem_many(words) -> stems``; the per-form cache lives in :class:`textprep.pipeline.Pipeline`.

    >>> SnowballStemmer("ru").stem_many(["картошки", "картошку"])
    ['картошк', 'картошк']
    """

    def __init__(self, lang: str):
        if lang not in ALGORITHMS:
            raise InputError(f"no Snowball stemmer for lang {lang!r}; choose from {', '.join(ALGORITHMS)}")
        import Stemmer  # PyStemmer

        self.lang = lang
        self._stemmer = Stemmer.Stemmer(ALGORITHMS[lang])

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def stem_many(self, words: Sequence[str]) -> list[str]:
        return self._stemmer.stemWords(list(words))

    __call__ = stem_many
