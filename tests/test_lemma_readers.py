"""Russian lemmas with pymorphy3's two dictionary readers: the DAWG2 C extension (a dependency)
and the pure-Python reader it falls back to.  Both, and our direct lookup of known words,
give ``MorphAnalyzer().parse(w)[0].normal_form`` on a real word list."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

from corpora import corpus_path
from textprep import morph
from textprep.corpus import TextCorpus
from textprep.lemma import RussianLemmatizer
from textprep.morph import KnownWords, dawg_reader, known_words
from textprep.pipeline import Pipeline

# ё restored («еще»), ranked parses with different lemmas («стали», «мыла», «копал»), a
# capital initial (its own analyzer), hyphenated, prefixed, unknown, Latin and Roman words
TRICKY = ["еще", "Еще", "ежик", "ёжик", "стали", "мыла", "копал", "А", "а", "Б", "по-французски",
          "ска-зала", "полуответы", "сверхчеловек", "бонапартишка", "empereur", "XVII", "1812", "2-й"]


def word_list(lines: int = 2000) -> list[str]:
    """Distinct tokens of War and Peace's first lines, as written (case and ё kept), plus TRICKY."""
    pipe = Pipeline(lang="ru", lowercase=False, fold_yo=False)
    forms = {t for d in list(TextCorpus(corpus_path("war_and_peace")))[:lines] for t in pipe.tokens(d)}
    return sorted(forms) + TRICKY


# run in a fresh interpreter in which the C module cannot be imported
_PURE = """
import json, logging, sys
sys.modules["dawg"] = None
logging.basicConfig(level=logging.WARNING, format="%(message)s")
import pymorphy3
from textprep.lemma import RussianLemmatizer
from textprep.morph import dawg_reader
words = json.loads(sys.stdin.read())
morph = pymorphy3.MorphAnalyzer()
print(json.dumps({"reader": dawg_reader(),
                  "naive": [morph.parse(w)[0].normal_form for w in words],
                  "ours": RussianLemmatizer().lemmatize_many(words)}))
"""


def test_the_c_reader_is_in_use_here_and_the_pure_python_one_gives_the_same_lemmas():
    import pymorphy3

    words = word_list()
    assert len(words) > 6000
    assert dawg_reader() == "DAWG2"   # pymorphy3[fast] is a dependency
    analyzer = pymorphy3.MorphAnalyzer()
    naive = [analyzer.parse(w)[0].normal_form for w in words]
    assert RussianLemmatizer().lemmatize_many(words) == naive

    done = subprocess.run([sys.executable, "-c", _PURE], input=json.dumps(words), capture_output=True,
                          text=True, timeout=300, check=True)
    pure = json.loads(done.stdout)
    assert pure["reader"] == "DAWG2-Python"
    assert "pure-Python DAWG reader" in done.stderr   # the fallback says so
    assert pure["naive"] == naive
    assert pure["ours"] == naive


def test_the_reader_in_use_is_logged_once(monkeypatch, caplog):
    monkeypatch.setattr(morph, "_reported", False)
    with caplog.at_level(logging.DEBUG, logger="textprep.morph"):
        morph.report_reader()
        morph.report_reader()
    assert [r.getMessage() for r in caplog.records] == ["pymorphy3 reads its dictionaries with the DAWG2 C extension"]


def test_known_words_by_hand():
    known = known_words()
    assert known.enabled
    assert known("еще") == "ещё"                     # the dictionary's spelling, ё restored
    # P(tag | word) decides: the dictionary lists «графин», «голов», «иза» first
    assert known("графине") == "графиня" and known("голова") == "голова" and known("из") == "из"
    assert known("все") == "всё" and known("его") == "он"
    assert known("копали") == "копать" and known("Копали") == "копать"
    assert known("а") == "а" and known("А") is None  # a capital letter may be an initial
    assert known("бонапартишка") is None and known("empereur") is None and known("по-французски") == "по-французски"
    lem = RussianLemmatizer()
    assert lem.known_lemma("полуответы") is None and lem.lemmatize("полуответы") == "полуответ"


def test_a_dictionary_in_another_format_leaves_everything_to_pymorphy3(tmp_path):
    (tmp_path / "meta.json").write_text('[["format_version", "9.9"], ["language_code", "ru"]]', encoding="utf-8")
    other = KnownWords(str(tmp_path))
    assert not other.enabled and other("мама") is None
    assert not KnownWords(str(tmp_path / "missing")).enabled
