"""Our Snowball stems and bundled stop-word lists against nltk, the reference they follow.

Stems: ``textprep.stem`` runs the C Snowball library (PyStemmer); nltk has its own Python
port of the same algorithms.  On every distinct word of War and Peace and of Tiny Shakespeare
the two agree but for the words pinned below, each for a reason stated next to it.

Stop words: the bundled lists are nltk's Russian and English lists (from ``nltk_data``), of
which the shared data folder keeps a copy.
"""
from __future__ import annotations

import re

import pytest
from nltk.stem import SnowballStemmer as NltkSnowballStemmer

from corpora import corpus_path
from textprep.corpus import TextCorpus
from textprep.normalize import fold_yo
from textprep.pipeline import Pipeline
from textprep.stem import ALGORITHMS, SnowballStemmer
from textprep.stopwords import load_stopwords, read_word_list

# Where nltk's Russian port and Snowball part ways ({word: (nltk, ours)}):
RUSSIAN_EXCEPTIONS = {
    # nltk drops a final soft sign from the whole word, Snowball only inside RV (after the
    # first vowel): a word with no vowel keeps it.
    "ь": ("", "ь"),
    "ль": ("л", "ль"),
    # nltk stems a Latin transliteration in which ъ is written as two soft-sign marks; one of
    # them is taken for a final soft sign and removed, and the other comes back as ь.
    "ъ": ("ь", "ъ"),
    "подъем": ("подь", "подъ"),
    # nltk's table of participle endings lacks -ующая, so only the adjective ending -ая goes.
    "вдовствующая": ("вдовствующ", "вдовств"),
}
ENGLISH_EXCEPTIONS = {
    # PyStemmer 3 carries the English (Porter2) algorithm as revised in Snowball 3.0; nltk's
    # port predates it.  The revision fixes the first region after prefixes such as past- and
    # univers- (so paste keeps its e and universal its -al) ...
    "paste": ("past", "paste"),
    "universal": ("univers", "universal"),
    "university": ("univers", "universiti"),
    # ... no longer undoubles the end of a short word like add (ad-ded, ad-ding) ...
    "added": ("ad", "add"),
    "adding": ("ad", "add"),
    # ... and keeps the -ing of evening.
    "evening": ("even", "evening"),
}
CASES = [
    ("ru", "war_and_peace", "[а-яё]+", RUSSIAN_EXCEPTIONS, 20_000),
    ("en", "tinyshakespeare", "[a-z]+", ENGLISH_EXCEPTIONS, 10_000),
]


def _words(lang: str, corpus: str, letters: str) -> list[str]:
    """The distinct words of a bundled corpus as the pipeline finds them (lower-cased), made of
    letters of the language only (no French inside War and Peace, no look-alike Latin letters)."""
    pipe = Pipeline(lang=lang, fold_yo=False, numbers=False)
    pattern = re.compile(letters)
    return sorted({t for doc in TextCorpus(corpus_path(corpus)) for t in pipe(doc) if pattern.fullmatch(t)})


@pytest.mark.parametrize("lang, corpus, letters, exceptions, at_least", CASES)
def test_our_stems_are_nltks_but_for_the_pinned_words(lang, corpus, letters, exceptions, at_least):
    words = _words(lang, corpus, letters)
    assert len(words) > at_least
    reference = NltkSnowballStemmer(ALGORITHMS[lang])
    ours = SnowballStemmer(lang).stem_many(words)
    differ = {w: (reference.stem(w), o) for w, o in zip(words, ours) if reference.stem(w) != o}
    assert differ == exceptions


def test_stems_through_the_pipeline_are_the_reference_stems():
    words = ["копали", "картошки", "ёлками", "пляжами"]
    assert Pipeline(lang="ru", stem=True)(" ".join(words)) == [
        NltkSnowballStemmer("russian").stem(fold_yo(w)) for w in words]


@pytest.mark.parametrize("lang, name", [("ru", "russian"), ("en", "english")])
def test_bundled_stop_words_are_the_nltk_lists(shared_data, lang, name):
    nltk_list = read_word_list(shared_data / f"stopwords_nltk_{name}.txt")
    assert read_word_list(corpus_path(f"stopwords_{lang}")) == nltk_list     # same words, same order
    assert len(nltk_list) == {"ru": 151, "en": 179}[lang]
    # matching is on lower-cased, ё-folded forms: «её» in a text is the list's «ее»
    assert load_stopwords(lang) == {fold_yo(w.lower()) for w in nltk_list}
