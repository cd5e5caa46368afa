"""Word vectors: queries worked by hand, agreement with gensim, word2vec text/binary files."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.keyedvectors import KeyedVectors


@pytest.fixture
def tiny() -> KeyedVectors:
    words = ["a", "b", "c", "d", "e"]
    vecs = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [2, 0.1]], dtype=np.float32)
    return KeyedVectors(words, vecs, counts=[50, 40, 30, 20, 10])


def test_nearest_words_by_cosine_without_the_query_word(tiny):
    got = tiny.most_similar("a", topn=4)
    assert [w for w, _ in got] == ["e", "c", "b", "d"]
    assert [s for _, s in got] == pytest.approx([2 / np.sqrt(4.01), 1 / np.sqrt(2), 0.0, -1.0], abs=1e-6)


def test_3cosadd_worked_by_hand(tiny):
    # unit(b) + unit(c) - unit(a) = (-0.2929, 1.7071); of d and e only d points its way.
    q = np.array([1 / np.sqrt(2) - 1, 1 + 1 / np.sqrt(2)])
    q /= np.linalg.norm(q)
    got = tiny.most_similar(positive=["b", "c"], negative=["a"], topn=2)
    assert [w for w, _ in got] == ["d", "e"]
    assert got[0][1] == pytest.approx(float(q @ [-1, 0]), abs=1e-6)


def test_3cosmul_worked_by_hand(tiny):
    # For x: ((1+cos(x,b))/2 * (1+cos(x,c))/2) / ((1+cos(x,a))/2 + 1e-6).
    def score(x):
        x = np.array(x) / np.linalg.norm(x)
        cos = lambda v: x @ (np.array(v) / np.linalg.norm(v))  # noqa: E731
        return (1 + cos([0, 1])) / 2 * (1 + cos([1, 1])) / 2 / ((1 + cos([1, 0])) / 2 + 1e-6)

    got = dict(tiny.most_similar(positive=["b", "c"], negative=["a"], topn=2, method="3cosmul"))
    assert got == pytest.approx({"d": score([-1, 0]), "e": score([2, 0.1])}, rel=1e-5)


def test_unknown_words_are_all_named(tiny):
    with pytest.raises(KeyError, match="'zz'.*'yy'"):
        tiny.most_similar(positive=["a", "zz"], negative=["yy"])
    with pytest.raises(KeyError, match="'q'"):
        tiny.similarity("a", "q")
    with pytest.raises(ValueError, match="method"):
        tiny.most_similar("a", method="cos")


def test_similarity_and_doesnt_match(tiny):
    assert tiny.similarity("a", "c") == pytest.approx(1 / np.sqrt(2))
    assert tiny.doesnt_match(["a", "e", "c", "d"]) == "d"


def test_embedding_matrix_aligns_rows_and_lists_missing_tokens(tiny):
    mat, missing = tiny.embedding_matrix(["c", "<pad>", "a", "zz"], seed=3)
    assert mat.shape == (4, 2) and mat.dtype == np.float32
    assert np.array_equal(mat[0], tiny["c"]) and np.array_equal(mat[2], tiny["a"])
    assert missing == ["<pad>", "zz"]
    assert np.abs(mat[[1, 3]]).max() <= 0.5 / 2
    again, _ = tiny.embedding_matrix(["c", "<pad>", "a", "zz"], seed=3)
    assert np.array_equal(mat, again)


def _random_kv(n=300, dim=20, seed=0) -> KeyedVectors:
    rng = np.random.default_rng(seed)
    return KeyedVectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32))


def _gensim_kv(kv: KeyedVectors):
    from gensim.models import KeyedVectors as GensimKV

    g = GensimKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    return g


def test_queries_agree_with_gensim():
    kv = _random_kv()
    g = _gensim_kv(kv)
    for pos, neg in [(["w1"], []), (["w2", "w3"], ["w4"]), (["w5"], ["w6", "w7"])]:
        ours = kv.most_similar(positive=pos, negative=neg, topn=5)
        theirs = g.most_similar(positive=pos, negative=neg, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], abs=1e-5)
        ours = kv.most_similar(positive=pos, negative=neg, topn=5, method="3cosmul")
        theirs = g.most_similar_cosmul(positive=pos, negative=neg, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert kv.doesnt_match(["w1", "w2", "w3", "w4"]) == g.doesnt_match(["w1", "w2", "w3", "w4"])


words = st.lists(st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=8),
                 min_size=1, max_size=12, unique=True)


@settings(max_examples=30, deadline=None)
@given(words, st.integers(1, 6), st.booleans(), st.integers(0, 2**31 - 1))
def test_save_then_load_round_trips(tmp_path_factory, keys, dim, binary, seed):
    vecs = np.random.default_rng(seed).normal(size=(len(keys), dim)).astype(np.float32)
    path = tmp_path_factory.mktemp("kv") / ("v.bin" if binary else "v.txt")
    KeyedVectors(keys, vecs).save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path)               # the bytes tell the format
    assert back.index_to_key == keys
    if binary:
        assert np.array_equal(back.vectors, vecs)
    else:
        np.testing.assert_allclose(back.vectors, vecs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_and_we_read_gensims(tmp_path, binary):
    from gensim.models import KeyedVectors as GensimKV

    kv = KeyedVectors(["князь", "граф", "war", "мир"], np.random.default_rng(1).normal(size=(4, 7)))
    ours = tmp_path / "ours.vec"
    kv.save_word2vec_format(ours, binary=binary)
    g = GensimKV.load_word2vec_format(str(ours), binary=binary)
    assert g.index_to_key == kv.index_to_key
    np.testing.assert_allclose(g.vectors, kv.vectors, rtol=1e-5, atol=1e-6)

    theirs = tmp_path / "theirs.vec"
    g.save_word2vec_format(str(theirs), binary=binary)
    back = KeyedVectors.load_word2vec_format(theirs, binary=binary)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_allclose(back.vectors, kv.vectors, rtol=1e-5, atol=1e-6)


def test_unreadable_vector_files_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        KeyedVectors.load_word2vec_format(tmp_path / "none.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.txt: not a word2vec file"):
        KeyedVectors.load_word2vec_format(bad)
    short = tmp_path / "short.txt"
    short.write_text("2 3\na 1 2 3\nb 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="short.txt: line 3: expected 3 values"):
        KeyedVectors.load_word2vec_format(short)
    cut = tmp_path / "cut.bin"
    KeyedVectors(["a", "b"], np.ones((2, 4))).save_word2vec_format(cut, binary=True)
    cut.write_bytes(cut.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        KeyedVectors.load_word2vec_format(cut)


def test_words_with_spaces_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="'a b'"):
        KeyedVectors(["a b"], np.ones((1, 2))).save_word2vec_format(tmp_path / "v.txt")


def _pca_by_hand(x: np.ndarray) -> np.ndarray:
    """The first two principal-component coordinates from numpy's SVD of the centred rows."""
    centred = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :2] * s[:2]


def _same_up_to_axis_sign(a: np.ndarray, b: np.ndarray) -> None:
    for k in range(2):
        sign = 1.0 if np.dot(a[:, k], b[:, k]) >= 0 else -1.0
        np.testing.assert_allclose(a[:, k], sign * b[:, k], atol=1e-6)


def test_word_map_colours_groups_and_can_project_unit_vectors(tmp_path):
    from embeddings.plot import plot_words

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(5, 8)).astype(np.float32)
    vecs[0] *= 100  # a long vector dominates the raw map, not the unit one
    kv = KeyedVectors(["a", "b", "c", "d", "e"], vecs)
    raw = plot_words(kv, ["a", "b", "c", "d", "e"], tmp_path / "raw.png")
    unit = plot_words(kv, ["a", "b", "c", "d", "e", "b"], tmp_path / "unit.png", unit=True,
                      groups=["x", "x", "y", "y", "y", "ignored: b is drawn once"])
    assert (tmp_path / "raw.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "unit.png").read_bytes()[:4] == b"\x89PNG"
    assert raw.shape == unit.shape == (5, 2)  # the repeated "b" is drawn once
    # the coordinates are PCA's, worked out here from the SVD, not by the code under test
    unit_rows = vecs.astype(np.float64) / np.linalg.norm(vecs.astype(np.float64), axis=1, keepdims=True)
    _same_up_to_axis_sign(raw, _pca_by_hand(vecs.astype(np.float64)))
    _same_up_to_axis_sign(unit, _pca_by_hand(unit_rows))

    # On the raw map the long vector "a" sits far from everything; on the unit map it does not.
    def a_apart(xy: np.ndarray) -> float:
        others = xy[1:]
        spread = np.linalg.norm(others - others.mean(axis=0), axis=1).max()
        return float(np.linalg.norm(xy[0] - others.mean(axis=0)) / spread)

    assert a_apart(raw) > 20
    assert a_apart(unit) < 3
    with pytest.raises(ValueError, match="groups has 1 labels for 2 words"):
        plot_words(kv, ["a", "b"], tmp_path / "bad.png", groups=["x"])
