"""The corpus reader, atomic writes and the vocabulary: the objects every stage shares."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpora import corpus_path, names
from textprep.corpus import TextCorpus, WhitespaceCorpus, iter_lines, require_restartable
from textprep.fileio import atomic_write
from textprep.vocab import Vocabulary


def test_every_bundled_corpus_exists():
    for name in names():
        assert corpus_path(name).stat().st_size > 0, name


def test_corpus_is_restartable_and_strips_crlf():
    corpus = TextCorpus(corpus_path("war_and_peace"))
    first = list(corpus)
    assert len(first) == 12370 and list(corpus) == first
    assert not any(line.endswith("\r") for line in first)


def test_whitespace_corpus_gives_token_lists_again_and_again(tmp_path):
    path = tmp_path / "tokens.txt"
    path.write_bytes("мама мыла  раму\r\n\n\tраму\n".encode())
    corpus = WhitespaceCorpus(path)
    assert list(corpus) == list(corpus) == [["мама", "мыла", "раму"], [], ["раму"]]
    assert corpus.restartable and not WhitespaceCorpus("-").restartable
    require_restartable(corpus, "a trainer")
    with pytest.raises(ValueError, match="no such file"):
        WhitespaceCorpus(tmp_path / "nope.txt")


def test_missing_directory_and_binary_inputs_are_named(tmp_path):
    with pytest.raises(ValueError, match="nope.txt: no such file"):
        TextCorpus(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="is a directory"):
        TextCorpus(tmp_path)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"abc\x00\x01\x02")
    with pytest.raises(ValueError, match="binary file"):
        TextCorpus(binary)


def test_invalid_encoding_names_the_byte_offset(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("привет\n".encode() + b"ok \xff here\n")
    with pytest.raises(ValueError, match=r"byte 0xff at byte offset 16"):
        list(iter_lines(bad))
    # the same bytes are fine in a single-byte encoding
    assert len(list(iter_lines(bad, encoding="cp1251"))) == 2


def test_unknown_encoding_is_rejected():
    with pytest.raises(ValueError, match="unknown encoding"):
        TextCorpus(corpus_path("russian_names"), encoding="no-such-codec")


def test_one_shot_iterators_are_refused_where_several_passes_are_needed():
    with pytest.raises(TypeError, match="one-shot"):
        require_restartable(x for x in ["a"])
    with pytest.raises(TypeError, match="not a single string"):
        require_restartable("a text")
    require_restartable(["fine"])


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_vocabulary_orders_specials_then_count_then_token():
    v = Vocabulary.build([["b", "a", "c"], ["a", "b"], ["a"]])
    assert v.id_to_token == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c"]
    assert v.count("a") == 3 and v.count("c") == 1
    assert v.encode(["c", "zzz"], add_bos=True, add_eos=True) == [2, 6, 1, 3]


def test_vocabulary_min_count_max_size_and_max_df():
    docs = [["the", "cat"], ["the", "dog"], ["the", "cat", "cat"]]
    assert Vocabulary.build(docs, min_count=2).id_to_token[4:] == ["cat", "the"]
    assert Vocabulary.build(docs, max_size=1).id_to_token[4:] == ["cat"]
    # "the" is in every document: max_df=0.9 drops it
    assert "the" not in Vocabulary.build(docs, max_df=0.9)
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(docs, min_count=0)


def test_padded_matrices_batch_first_and_time_first():
    v = Vocabulary(["a", "b"])
    m = v.to_matrix([["a"], ["b", "a", "b"]])
    np.testing.assert_array_equal(m, [[4, 0, 0], [5, 4, 5]])
    np.testing.assert_array_equal(v.to_matrix([["a"], ["b", "a", "b"]], batch_first=False), m.T)
    np.testing.assert_array_equal(v.to_matrix([["a", "b", "a"]], max_len=2), [[4, 5]])


def test_decode_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="id 99 is out of range"):
        Vocabulary(["a"]).decode([4, 99])


@given(st.lists(st.lists(st.text(min_size=1, max_size=5), max_size=6), max_size=6))
def test_vocabulary_json_round_trip(tmp_path_factory, docs):
    v = Vocabulary.build(docs)
    path = tmp_path_factory.mktemp("v") / "vocab.json"
    v.save(path)
    w = Vocabulary.load(path)
    assert w.id_to_token == v.id_to_token and w.counts == v.counts
    for doc in docs:
        assert w.decode(w.encode(doc)) == doc


def test_loading_something_else_is_a_clear_error(tmp_path):
    p = tmp_path / "v.json"
    p.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a textprep vocabulary"):
        Vocabulary.load(p)
