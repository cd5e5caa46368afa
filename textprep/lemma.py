"""Lemmatization: Russian with pymorphy3, English offline with simplemma.

Both lemmatizers work on one word form at a time and know nothing of caching: the
:class:`textprep.pipeline.Pipeline` keeps the per-form cache (text is Zipf-distributed, so
a corpus of 425 thousand Russian tokens has only about 45 thousand distinct forms) and
sends each new form to a lemmatizer exactly once, possibly in a worker process.

Choosing among pymorphy3's parses
---------------------------------
pymorphy3 returns every parse of a form, most probable first (P(tag | word) estimated on
the OpenCorpora corpus).  The usual lemma is the first parse's ``normal_form``, and that
is what ``RussianLemmatizer()`` returns.  The first parse is not always the reading a
person would pick: «копал» comes first as the noun «копал» (a resin), then as the past
tense of «копать».  Two ways to choose:

* ``prefer_pos=("VERB", "INFN")``: take the first parse whose part of speech is listed,
  falling back to the first parse;
* ``overrides={"копал": "копать"}`` (or a file, :func:`read_overrides`): fixed answers
  for given forms, checked before any analysis.

Speed: for the default choice only the first parse's lemma matters.  A form the dictionary
knows (about 90% of the distinct forms of real Russian text) is looked up directly
(:class:`textprep.morph.FirstLemma`); the others go through pymorphy3's full analysis.  When
all parses of a form share one lemma (about 85% of the forms), ranking them by probability
cannot change the answer, so that lookup is skipped (there, and in the full analysis through
``_first_lemma_estimator``).  The answer is always the same as
``MorphAnalyzer().parse(w)[0].normal_form``, with pymorphy3's C dictionary reader or its
pure-Python one (:mod:`textprep.morph`); ``tests/test_lemma_readers.py`` and
``tests/test_pipeline.py`` check it on a real corpus.

References: M. Korobov, *Morphological Analyzer and Generator for Russian and Ukrainian
Languages* (AIST 2015); pymorphy3 docs, https://pymorphy2.readthedocs.io ;
A. Barbaresi, simplemma, https://github.com/adbar/simplemma
"""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping, Sequence

from .corpus import iter_lines
from .errors import InputError

#: pymorphy3 (OpenCorpora) parts of speech accepted by ``prefer_pos``
POS_TAGS = frozenset({
    "NOUN", "ADJF", "ADJS", "COMP", "VERB", "INFN", "PRTF", "PRTS", "GRND", "NUMR",
    "ADVB", "NPRO", "PRED", "PREP", "CONJ", "PRCL", "INTJ",
})


def check_pos(prefer_pos: Sequence[str]) -> None:
    bad = [p for p in prefer_pos if p not in POS_TAGS]
    if bad:
        raise InputError(f"prefer_pos: unknown part of speech {bad[0]!r}; choose from {', '.join(sorted(POS_TAGS))}")


def read_overrides(path: str | os.PathLike, encoding: str = "utf-8") -> dict[str, str]:
    """Read ``form<TAB>lemma`` lines (``#`` comments and blank lines skipped)."""
    out: dict[str, str] = {}
    for no, line in enumerate(iter_lines(path, encoding), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise InputError(f"{path}: line {no}: expected 'form<TAB>lemma', got {line!r}")
        out[parts[0].strip()] = parts[1].strip()
    return out


@functools.cache
def _first_lemma_estimator():
    """A pymorphy3 probability estimator that skips ranking when it cannot matter.

    Built lazily so that importing textprep does not import pymorphy3.  ``top`` is the
    word of the outermost ``parse`` call: the analyzers for hyphenated and prefixed words
    call ``parse`` on parts of the word and use the ranked scores, so for those inner
    calls the estimator always ranks as usual.
    """
    from pymorphy3.analyzer import ProbabilityEstimator

    class FirstLemmaEstimator(ProbabilityEstimator):
        def __init__(self, dict_path):
            super().__init__(dict_path)
            self._local = threading.local()   # one outermost word per thread

        @property
        def top(self) -> str | None:
            return getattr(self._local, "top", None)

        @top.setter
        def top(self, word: str | None) -> None:
            self._local.top = word

        def apply_to_parses(self, word, word_lower, parses):
            if parses and word == self.top:
                lemma = parses[0][2]
                if all(p[2] == lemma for p in parses):
                    return parses   # any ranking puts a parse with this lemma first
            return super().apply_to_parses(word, word_lower, parses)

    return FirstLemmaEstimator


class RussianLemmatizer:
    """Form -> lemma with pymorphy3.

    >>> lem = RussianLemmatizer()
    >>> lem.lemmatize_many(["копали", "картошки", "копал"])
    ['копать', 'картошка', 'копал']
    >>> RussianLemmatizer(prefer_pos=("VERB", "INFN")).lemmatize("копал")
    'копать'
    """

    def __init__(self, prefer_pos: Sequence[str] = (), overrides: Mapping[str, str] | None = None):
        from .morph import KnownWords, known_words

        check_pos(prefer_pos)
        self.prefer_pos = frozenset(prefer_pos)
        self.overrides = dict(overrides or {})
        self._known: KnownWords | None = None
        if not self.prefer_pos:
            known = known_words()
            self._known = known if known.enabled else None
        # the full analyzer, loaded at the first word the dictionary lacks
        self._morph = None
        self._estimator = None

    @property
    def reads_dictionary(self) -> bool:
        """Whether :meth:`known_lemma` looks words up in the dictionary (not with ``prefer_pos``,
        which needs every parse ranked)."""
        return self._known is not None

    def known_lemma(self, word: str) -> str | None:
        """The lemma if it needs no more than a dictionary lookup (an override, a known word
        without ``prefer_pos``), else ``None``: the quick half of :meth:`lemmatize`."""
        lemma = self.overrides.get(word)
        if lemma is None and self._known is not None:
            lemma = self._known(word)
        return lemma

    def load_analyzer(self):
        """pymorphy3's analyzer, loaded at the first call (the words the dictionary knows do
        without it)."""
        if self._morph is None:
            from .morph import load_analyzer

            if self.prefer_pos:
                # every parse must be ranked, so use the stock estimator
                morph = load_analyzer(result_type=None)
            else:
                morph = load_analyzer(result_type=None, probability_estimator_cls=_first_lemma_estimator())
                self._estimator = morph.prob_estimator
            self._morph = morph   # last: another thread may read both as soon as this is set
        return self._morph

    def lemmatize(self, word: str) -> str:
        lemma = self.known_lemma(word)
        if lemma is not None:
            return lemma
        morph = self.load_analyzer()
        if self._estimator is not None:
            self._estimator.top = word
            try:
                parses = morph.parse(word)
            finally:
                self._estimator.top = None
        else:
            parses = morph.parse(word)
        if not parses:
            return word.lower()
        if self.prefer_pos:
            for p in parses:
                if p[1].POS in self.prefer_pos:
                    return p[2]
        return parses[0][2]

    def lemmatize_many(self, words: Sequence[str]) -> list[str]:
        return [self.lemmatize(w) for w in words]

    __call__ = lemmatize_many


class EnglishLemmatizer:
    """Form -> lemma with simplemma's bundled English dictionary (no download, no network).

    >>> EnglishLemmatizer().lemmatize_many(["mice", "went", "studies"])
    ['mouse', 'go', 'study']
    """

    def __init__(self, overrides: Mapping[str, str] | None = None):
        import simplemma

        self._lemmatize = functools.partial(simplemma.lemmatize, lang="en")
        self.overrides = dict(overrides or {})

    def lemmatize(self, word: str) -> str:
        lemma = self.overrides.get(word)
        return lemma if lemma is not None else self._lemmatize(word)

    def lemmatize_many(self, words: Sequence[str]) -> list[str]:
        return [self.lemmatize(w) for w in words]

    __call__ = lemmatize_many
