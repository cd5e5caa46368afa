"""Word vectors where users want them: gensim's objects in memory, a torch ``nn.Embedding`` in a
vocabulary's order, and gensim's names and defaults (cosmul, analogy evaluation, text files)."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors as GensimKV
from gensim.models import Word2Vec
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora import corpus_path
from embeddings.keyedvectors import KeyedVectors
from textprep.vocab import Vocabulary


@pytest.fixture
def tiny() -> KeyedVectors:
    vecs = np.array([[1, 0], [0, 1], [1, 1], [-1, 0], [2, 0.1]], dtype=np.float32)
    return KeyedVectors(["a", "b", "c", "d", "e"], vecs, counts=[50, 40, 30, 20, 10])


# -- gensim ---------------------------------------------------------------------------------
def test_to_gensim_holds_the_same_words_vectors_and_counts_and_answers_the_same(tiny):
    g = tiny.to_gensim()
    assert isinstance(g, GensimKV)
    assert g.index_to_key == tiny.index_to_key and g.vectors.dtype == np.float32
    assert np.array_equal(g.vectors, tiny.vectors) and g.vectors is not tiny.vectors
    assert [g.get_vecattr(w, "count") for w in "abcde"] == [50, 40, 30, 20, 10]
    # c = (1, 1) is 45 degrees from a and b, e = (2, 0.1) almost along a
    assert [w for w, _ in g.most_similar("a", topn=2)] == [w for w, _ in tiny.most_similar("a", topn=2)] == ["e", "c"]
    theirs = g.most_similar_cosmul(positive=["b", "e"], negative=["c"], topn=2)
    ours = tiny.most_similar_cosmul(positive=["b", "e"], negative=["c"], topn=2)
    assert [w for w, _ in theirs] == [w for w, _ in ours]
    assert [x for _, x in theirs] == pytest.approx([x for _, x in ours], rel=1e-5)


def test_from_gensim_takes_a_trained_model_or_its_vectors():
    lines = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:800]
    docs = [line.lower().split() for line in lines]
    model = Word2Vec(docs, vector_size=16, min_count=3, epochs=1, workers=1, seed=1)
    kv = KeyedVectors.from_gensim(model)
    assert kv.index_to_key == model.wv.index_to_key and np.array_equal(kv.vectors, model.wv.vectors)
    assert kv.counts == [model.wv.get_vecattr(w, "count") for w in kv.index_to_key]
    assert KeyedVectors.from_gensim(model.wv).index_to_key == kv.index_to_key
    kv.vectors[0] += 1                                  # a copy: gensim's model is left alone
    assert not np.array_equal(kv.vectors[0], model.wv.vectors[0])
    with pytest.raises(TypeError, match="gensim KeyedVectors"):
        KeyedVectors.from_gensim({"a": [1.0]})


def test_vectors_gensim_built_without_counts_come_without_counts():
    g = GensimKV(3)
    g.add_vectors(["x", "y"], np.eye(2, 3, dtype=np.float32))
    kv = KeyedVectors.from_gensim(g)
    assert kv.counts is None and kv.index_to_key == ["x", "y"]
    assert kv.to_gensim().index_to_key == ["x", "y"]


@settings(max_examples=25, deadline=None)
@given(
    keys=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=15, unique=True),
    dim=st.integers(1, 5),
    with_counts=st.booleans(),
)
def test_to_gensim_and_back_is_the_identity(keys, dim, with_counts):
    vecs = np.random.default_rng(len(keys)).normal(size=(len(keys), dim)).astype(np.float32)
    counts = list(range(len(keys), 0, -1)) if with_counts else None
    back = KeyedVectors.from_gensim(KeyedVectors(keys, vecs, counts).to_gensim())
    assert back.index_to_key == keys and np.array_equal(back.vectors, vecs) and back.counts == counts


# -- torch ----------------------------------------------------------------------------------
def test_torch_embedding_rows_follow_the_given_vocabulary(tiny, caplog):
    with caplog.at_level(logging.INFO, logger="embeddings.keyedvectors"):
        emb = tiny.to_torch_embedding(["<pad>", "c", "a", "zz"], seed=3)
    assert isinstance(emb, torch.nn.Embedding) and emb.weight.shape == (4, 2)
    assert emb.weight.dtype == torch.float32 and not emb.weight.requires_grad
    assert torch.equal(emb(torch.tensor([1, 2])), torch.tensor([[1.0, 1.0], [1.0, 0.0]]))
    # unknown tokens: small random rows (word2vec's start, |x| <= 0.5 / dim), and their number logged
    assert emb.weight[[0, 3]].abs().max() <= 0.25
    assert "2 of 4 tokens have no vector" in caplog.text and "'<pad>', 'zz'" in caplog.text
    assert torch.equal(tiny.to_torch_embedding(["<pad>", "c", "a", "zz"], seed=3).weight, emb.weight)
    assert tiny.to_torch_embedding(["a"], freeze=False).weight.requires_grad


def test_torch_embedding_takes_a_mapping_a_vocabulary_or_nothing(tiny):
    by_map = tiny.to_torch_embedding({"e": 1, "b": 0})
    assert torch.equal(by_map.weight, torch.tensor([[0.0, 1.0], [2.0, 0.1]]))
    vocab = Vocabulary(["b", "a"], specials=("<unk>",))
    assert torch.equal(tiny.to_torch_embedding(vocab).weight[1:], torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert torch.equal(tiny.to_torch_embedding().weight, torch.from_numpy(tiny.vectors))
    with pytest.raises(ValueError, match="not 0..1"):
        tiny.to_torch_embedding({"a": 0, "b": 2})
    with pytest.raises(TypeError, match="not a string"):
        tiny.to_torch_embedding("abc")


# -- gensim's names and defaults ------------------------------------------------------------
def test_most_similar_cosmul_is_3cosmul(tiny):
    assert tiny.most_similar_cosmul(["b", "c"], ["a"], topn=3) == tiny.most_similar(
        ["b", "c"], ["a"], topn=3, method="3cosmul")
    assert tiny.most_similar_cosmul("a", topn=1, restrict_vocab=3) == tiny.most_similar(
        "a", topn=1, method="3cosmul", restrict_vocab=3)


def test_evaluate_word_analogies_method_returns_gensims_score_and_sections(tmp_path):
    vecs = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
    kv = KeyedVectors(["man", "woman", "king", "queen", "other"], vecs)
    q = tmp_path / "q.txt"
    q.write_text(": family\nMan Woman King Queen\nman woman king other\nman woman king prince\n"
                 ": second\nwoman man queen king\n", encoding="utf-8")
    score, sections = kv.evaluate_word_analogies(q)
    assert score == pytest.approx(2 / 3)
    assert sections == [
        {"section": "family", "correct": [("MAN", "WOMAN", "KING", "QUEEN")],
         "incorrect": [("MAN", "WOMAN", "KING", "OTHER")]},
        {"section": "second", "correct": [("WOMAN", "MAN", "QUEEN", "KING")], "incorrect": []},
        {"section": "Total accuracy", "correct": [("MAN", "WOMAN", "KING", "QUEEN"), ("WOMAN", "MAN", "QUEEN", "KING")],
         "incorrect": [("MAN", "WOMAN", "KING", "OTHER")]},
    ]
    # gensim itself, on the same vectors and file, lists the same questions
    assert kv.to_gensim().evaluate_word_analogies(str(q), restrict_vocab=30000) == (score, sections)
    assert kv.evaluate_word_analogies(q, restrict_vocab=4)[1][-1]["incorrect"] == []


def test_evaluate_word_analogies_method_lists_what_gensim_lists_on_questions_words():
    path = corpus_path("questions_words")
    # each section's pairs share a noisy offset, so that some answers are right and many wrong
    rng = np.random.default_rng(0)
    vecs: dict[str, np.ndarray] = {}
    for line in open(path, encoding="utf-8"):
        if line.startswith(":"):
            offset = rng.normal(size=20)
            continue
        a, b, c, d = line.split()
        for x, y in ((a, b), (c, d)):
            vecs.setdefault(x, rng.normal(size=20))
            vecs.setdefault(y, vecs[x] + offset + rng.normal(scale=1.2, size=20))
    kv = KeyedVectors(list(vecs), np.array(list(vecs.values()), dtype=np.float32))
    score, sections = kv.evaluate_word_analogies(path)
    g_score, g_sections = kv.to_gensim().evaluate_word_analogies(str(path), restrict_vocab=30000)
    assert 0.05 < score < 0.95 and len(sections) == 15
    assert score == pytest.approx(g_score) and sections == g_sections


def test_save_writes_text_unless_told_as_gensim_does_and_load_tells_by_the_bytes(tiny, tmp_path):
    named_bin = tmp_path / "v.bin"
    tiny.save_word2vec_format(named_bin)                         # gensim's default: text, whatever the name
    assert named_bin.read_text(encoding="utf-8").splitlines()[:2] == ["5 2", "a 1 0"]
    assert GensimKV.load_word2vec_format(str(named_bin)).index_to_key == tiny.index_to_key
    named_txt = tmp_path / "v.txt"
    tiny.save_word2vec_format(named_txt, binary=True)
    assert named_txt.read_bytes().startswith(b"5 2\na \x00\x00\x80?")   # 1.0 as float32 little-endian
    assert GensimKV.load_word2vec_format(str(named_txt), binary=True).index_to_key == tiny.index_to_key
    for path in (named_bin, named_txt):
        back = KeyedVectors.load_word2vec_format(path)
        assert back.index_to_key == tiny.index_to_key and np.allclose(back.vectors, tiny.vectors)


def test_a_binary_file_that_happens_to_be_valid_utf8_still_reads_as_binary(tmp_path):
    value = np.frombuffer(b"ABC?", dtype="<f4")                 # 0.76..., its bytes all ASCII letters
    path = tmp_path / "one.vec"
    KeyedVectors(["x"], value.reshape(1, 1)).save_word2vec_format(path, binary=True)
    assert path.read_bytes() == b"1 1\nx ABC?\n"
    assert KeyedVectors.load_word2vec_format(path).vectors.tolist() == [[float(value[0])]]
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\na 1\nb 1 2\n", encoding="utf-8")        # a text file's own error is kept
    with pytest.raises(ValueError, match="bad.txt: line 2: expected 2 values"):
        KeyedVectors.load_word2vec_format(bad)
