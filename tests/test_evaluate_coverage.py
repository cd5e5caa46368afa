"""``embeddings evaluate`` says when it could not evaluate, and picks the sets of the vectors' language."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cli.embeddings import main
from corpora import corpus_path
from embeddings.evaluate import bundled_sets, evaluate_word_analogies, guess_language, script_of, unanswerable
from embeddings.keyedvectors import KeyedVectors


def _vectors(words, path=None, seed=0) -> KeyedVectors:
    rng = np.random.default_rng(seed)
    kv = KeyedVectors(list(words), rng.standard_normal((len(words), 8)).astype(np.float32))
    if path is not None:
        kv.save_word2vec_format(path, binary=False)
    return kv


def _war_and_peace_words(n=3000) -> list[str]:
    """The most frequent lower-cased words of War and Peace (Russian, with French passages)."""
    from collections import Counter

    text = corpus_path("war_and_peace").read_text(encoding="utf-8").lower()
    return [w for w, _ in Counter(w for w in text.split() if w.isalpha()).most_common(n)]


def _english_words() -> list[str]:
    """Every word of the bundled analogy and similarity sets, in file order."""
    seen: dict[str, None] = {}
    for line in corpus_path("questions_words").read_text(encoding="utf-8").splitlines():
        if not line.startswith(":"):
            seen.update(dict.fromkeys(line.split()))
    for line in corpus_path("wordsim353").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            seen.update(dict.fromkeys(line.lower().split("\t")[:2]))
    return list(seen)


def test_the_script_of_the_vocabulary_tells_the_language():
    assert (script_of("князь"), script_of("Prince"), script_of("été"), script_of("1812"), script_of("x-ж")) == \
        ("cyrillic", "latin", "latin", None, None)
    assert guess_language(_vectors(_war_and_peace_words())) == "ru"     # French passages and all
    assert guess_language(_vectors(_english_words())) == "en"
    assert guess_language(_vectors(["1812", "1805", "ξ"])) is None
    assert bundled_sets("en") == (corpus_path("questions_words"), corpus_path("wordsim353"))
    assert bundled_sets("ru") == (None, None)


def test_an_analogy_file_none_of_whose_questions_can_be_asked_is_not_a_zero_score():
    kv = _vectors(_war_and_peace_words())
    res = evaluate_word_analogies(kv, corpus_path("questions_words"))
    assert (res.answered, res.questions) == (0, 19544)
    assert unanswerable(res, corpus_path("questions_words"), len(kv)) == \
        "none of the 19,544 analogy questions in questions-words.txt has all its words in the vectors"


def test_russian_vectors_are_not_scored_on_the_english_sets(tmp_path, capsys):
    vec = tmp_path / "ru.txt"
    _vectors(_war_and_peace_words(), vec)
    assert main(["evaluate", str(vec)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "looks Russian" in err and "no Russian evaluation set is bundled" in err and "--analogies" in err
    # asked for the English files by name: one line, non-zero, and no 0.00% rows
    assert main(["evaluate", str(vec), "--analogies", str(corpus_path("questions_words")),
                 "--similarity", str(corpus_path("wordsim353"))]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert ("could not evaluate: none of the 19,544 analogy questions in questions-words.txt has all its words "
            "in the vectors; none of the 353 word pairs in wordsim353.tsv has both words in the vectors "
            "(wrong language or file?)") in err


def test_english_vectors_get_the_english_sets(tmp_path, capsys):
    vec = tmp_path / "en.txt"
    _vectors(_english_words(), vec)
    assert main(["evaluate", str(vec), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["analogies"]["file"] == str(corpus_path("questions_words"))
    assert report["analogies"]["total"]["correct"] + report["analogies"]["total"]["incorrect"] == 19544
    assert report["similarity"]["pairs"] == 353 and "could_not_evaluate" not in report["similarity"]


def test_one_set_that_cannot_be_evaluated_is_named_beside_the_other(tmp_path, capsys):
    words = _english_words()
    vec = tmp_path / "en.txt"
    _vectors(words, vec)
    pairs = tmp_path / "ru_pairs.tsv"
    pairs.write_text("князь\tграф\t7.5\nвойна\tмир\t3.0\n", encoding="utf-8")
    assert main(["evaluate", str(vec), "--analogies", str(corpus_path("questions_words")),
                 "--similarity", str(pairs)]) == 0
    out = capsys.readouterr().out
    assert "total" in out and "%" in out
    assert "similarity (" + str(pairs) + "): could not evaluate: none of the 2 word pairs in ru_pairs.tsv " \
           "has both words in the vectors" in out
    assert "n/a" not in out


@pytest.mark.parametrize("restrict, where", [(100, "among the vectors' 100 most frequent words"),
                                             (30000, "in the vectors")])
def test_the_message_says_which_words_were_looked_at(tmp_path, capsys, restrict, where):
    # the questions' words sit past the first 100: a restricted vocabulary sees none of them
    vec = tmp_path / "en.txt"
    _vectors([f"filler{i}" for i in range(100)] + _english_words(), vec)
    rc = main(["evaluate", str(vec), "--analogies", str(corpus_path("questions_words")),
               "--restrict-vocab", str(restrict)])
    err = capsys.readouterr().err
    if restrict == 100:
        assert rc == 2 and f"has all its words {where} (wrong language or file?)" in err
    else:
        assert rc == 0 and err == ""
