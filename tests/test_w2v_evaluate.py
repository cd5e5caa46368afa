"""Analogy accuracy, word-pair correlation and analogy expressions."""
from __future__ import annotations

import numpy as np
import pytest

from corpora import corpus_path
from embeddings.evaluate import evaluate_word_analogies, evaluate_word_pairs, parse_analogy
from embeddings.keyedvectors import KeyedVectors


@pytest.fixture
def royals() -> KeyedVectors:
    words = ["man", "woman", "king", "queen", "other"]
    vecs = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
    return KeyedVectors(words, vecs)


def test_analogy_accuracy_per_section_worked_by_hand(tmp_path, royals):
    # woman - man + king = (-0.29, 1, 0.71, 0): queen scores 0.85, other 0 -> the first is right,
    # the second wrong, the third has an unknown word and is skipped.
    q = tmp_path / "q.txt"
    q.write_text(": family\nMan Woman King Queen\nman woman king other\nman woman king prince\n"
                 ": second\nwoman man queen king\n", encoding="utf-8")
    res = evaluate_word_analogies(royals, q)
    fam, second = res.sections
    assert (fam.name, fam.correct, fam.incorrect, fam.skipped) == ("family", 1, 1, 1)
    assert (second.correct, second.incorrect) == (1, 0)
    assert res.accuracy == pytest.approx(2 / 3)
    # With only the 4 most frequent words, questions naming "other" are skipped too.
    res4 = evaluate_word_analogies(royals, q, restrict_vocab=4)
    assert (res4.total.correct, res4.total.incorrect, res4.total.skipped) == (2, 0, 2)


def test_analogy_file_errors_name_the_line(tmp_path, royals):
    q = tmp_path / "q.txt"
    q.write_text(": s\nman woman king\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected 4 words"):
        evaluate_word_analogies(royals, q)


def _structured_vectors(path, dim=30, seed=0) -> KeyedVectors:
    """Vectors for every word of a questions file where each section is a noisy offset."""
    rng = np.random.default_rng(seed)
    vecs: dict[str, np.ndarray] = {}
    offset = None
    for line in open(path, encoding="utf-8"):
        if line.startswith(":"):
            offset = rng.normal(size=dim)
            continue
        a, b, c, d = line.split()
        for x, y in ((a, b), (c, d)):
            vecs.setdefault(x, rng.normal(size=dim))
            vecs.setdefault(y, vecs[x] + offset + rng.normal(scale=1.2, size=dim))
    words = list(vecs)
    return KeyedVectors(words, np.array([vecs[w] for w in words], dtype=np.float32))


def test_analogy_scores_agree_with_gensim_on_questions_words():
    from gensim.models import KeyedVectors as GensimKV

    path = corpus_path("questions_words")
    kv = _structured_vectors(path)
    g = GensimKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    score, sections = g.evaluate_word_analogies(str(path), restrict_vocab=30000)
    ours = evaluate_word_analogies(kv, path)
    assert 0.05 < ours.accuracy < 0.95                     # a test that can tell right from wrong
    assert ours.accuracy == pytest.approx(score)
    theirs = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections}
    for s in ours.sections:
        assert (s.correct, s.incorrect) == theirs[s.name]


def test_word_pair_spearman_worked_by_hand_and_like_gensim(tmp_path):
    from gensim.models import KeyedVectors as GensimKV

    angles = np.radians([0, 10, 30, 60, 80])
    kv = KeyedVectors(["x", "a", "b", "c", "d"], np.stack([np.cos(angles), np.sin(angles)], 1))
    pairs = tmp_path / "pairs.tsv"
    # human scores rise as the angle to x shrinks: perfect rank agreement; "zz" is skipped.
    pairs.write_text("# comment\nX\ta\t9.0\nx\tb\t7.5\nx\tc\t3.0\nx\td\t1.0\nx\tzz\t5.0\n", encoding="utf-8")
    res = evaluate_word_pairs(kv, pairs)
    assert res.spearman == pytest.approx(1.0)
    assert (res.pairs, res.skipped) == (4, 1)

    rng = np.random.default_rng(0)
    path = corpus_path("wordsim353")
    words = sorted({w.lower() for line in open(path, encoding="utf-8") if not line.startswith("#")
                    for w in line.split("\t")[:2]})
    kv = KeyedVectors(words, rng.normal(size=(len(words), 10)))
    g = GensimKV(10)
    g.add_vectors(words, kv.vectors)
    pearson, spearman, _ = g.evaluate_word_pairs(str(path))
    ours = evaluate_word_pairs(kv, path)
    assert ours.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert ours.pearson == pytest.approx(pearson[0], abs=1e-6)


@pytest.mark.parametrize("expr, want", [
    ("король - мужчина + женщина", (["король", "женщина"], ["мужчина"])),
    ("король -мужчина +женщина", (["король", "женщина"], ["мужчина"])),
    ("- a + b", (["b"], ["a"])),
    ("северо-запад + юг", (["северо-запад", "юг"], [])),
    ("paris", (["paris"], [])),
])
def test_analogy_expressions_parse(expr, want):
    assert parse_analogy(expr) == want


@pytest.mark.parametrize("expr, why", [
    ("", "empty"), ("король мужчина", "missing"), ("король - + женщина", "two signs"),
    ("король -", "ends with a sign"), ("- мужчина", "no positive"),
])
def test_bad_analogy_expressions_say_why(expr, why):
    with pytest.raises(ValueError, match=why):
        parse_analogy(expr)
