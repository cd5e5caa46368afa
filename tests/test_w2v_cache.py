"""The word2vec corpus cache: counting with a memory cap, ids on disk, chunks that change no window,
reuse and rebuilding."""
from __future__ import annotations

import logging
import re

import numpy as np
import pytest
import torch

from corpora import corpus_path
from embeddings.word2vec import Word2VecConfig, encode_corpus, train_word2vec
from embeddings.word2vec import cache as cache_mod
from embeddings.word2vec.cache import cached_corpus, count_words, sentence_runs
from embeddings.word2vec.sampler import DeviceSampler

WORD = re.compile(r"[^\W\d_]+")


def _war_and_peace(n: int | None = None) -> list[list[str]]:
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    docs = [d for d in docs if d]
    return docs[:n] if n else docs


def test_counting_prunes_the_rarest_past_the_cap_and_says_so(caplog):
    docs = [["a", "b", "c"], ["a", "d"], ["a", "b", "e"], ["f"]]
    with caplog.at_level(logging.WARNING, logger="embeddings.word2vec.cache"):
        counts, tokens, n_docs = count_words(docs, max_words=4)
    # after doc 2: a b c d (4, fine); doc 3 adds e -> 5 > 4: prune count <= 1 (c, d, e) -> a:3 b:2;
    # doc 4 adds f -> 3 words, under the cap
    assert counts == {"a": 3, "b": 2, "f": 1}
    assert (tokens, n_docs) == (9, 4)
    assert "5 distinct words exceed the cap of 4" in caplog.text and "pruned the 3 seen at most 1 times" in caplog.text
    assert count_words(docs)[0] == {"a": 3, "b": 2, "c": 1, "d": 1, "e": 1, "f": 1}


def test_ids_and_sentence_ends_on_disk_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_mod, "MAX_SENTENCE", 3)
    docs = [["x", "a", "b", "a"], [], ["b", "zz", "a", "b", "a"]]
    c = cached_corpus(docs, tmp_path, min_count=2)
    assert c.vocab.id_to_token == ["a", "b"]                     # x and zz are seen once
    ids = np.fromfile(tmp_path / "ids.u32", dtype=np.uint32)
    assert ids.tolist() == [0, 1, 0, 1, 0, 1, 0]                 # a b a | b a b a
    # doc 1 has 3 words (one piece); the empty doc none; doc 3 has 4 -> pieces of 3 and 1
    assert c.ends().tolist() == [3, 6, 7]
    assert (c.n_tokens, c.n_ids, c.n_sentences) == (9, 7, 3)


@pytest.mark.parametrize("read", [1, 2, 3, 100])
def test_runs_hold_whole_sentences_however_the_ends_are_read(tmp_path, read):
    path = tmp_path / "ends.u64"
    np.array([3, 5, 10, 11, 19], dtype=np.uint64).tofile(path)

    def runs(size):
        with open(path, "rb") as fh:
            return [(first, start, ends.tolist()) for first, start, ends in sentence_runs(fh, size, read)]

    assert runs(5) == [(0, 0, [3, 5]), (2, 5, [10]), (3, 10, [11]), (4, 11, [19])]
    assert runs(100) == [(0, 0, [3, 5, 10, 11, 19])]
    assert runs(1) == [(0, 0, [3]), (1, 3, [5]), (2, 5, [10]), (3, 10, [11]), (4, 11, [19])]


def _windows(sampler, ids, docs, spans):
    centres, context, mask = sampler.windows(ids, docs, 0, ids.shape[0], spans=spans)
    return [(int(c), sorted(int(x) for x, m in zip(row, mrow) if m)) for c, row, mrow in zip(centres, context, mask)]


@pytest.mark.parametrize("chunk", [3, 4, 7, 10, 1000])
def test_a_chunk_edge_gives_the_same_windows_as_no_edge(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(cache_mod, "MAX_SENTENCE", 3)
    words = [f"w{i}" for i in range(6)]
    docs = [[words[(i * 7 + j) % 6] for j in range(n)] for i, n in enumerate([5, 2, 1, 4, 3, 6, 2])]
    c = cached_corpus(docs * 2, tmp_path, min_count=1)
    config = Word2VecConfig(window=2, sample=0)
    sampler = DeviceSampler(c.counts, config, torch.device("cpu"), torch.Generator().manual_seed(0))
    whole = [(torch.as_tensor(i), torch.as_tensor(d)) for i, d in c.chunks(10**6)]
    assert len(whole) == 1
    ids, docs_ = whole[0]
    spans = torch.full((ids.shape[0],), 2)
    want = _windows(sampler, ids, docs_, spans)
    got = []
    for i, d in c.chunks(chunk):
        got += _windows(sampler, torch.as_tensor(i), torch.as_tensor(d), torch.full((len(i),), 2))
    assert got == want
    # hand-worked: the first piece (5 words cut at 3) is "w0 w1 w2": centre w1 sees w0 and w2 only
    first = [c.vocab.token_to_id[w] for w in ("w0", "w1", "w2")]
    assert want[1] == (first[1], sorted([first[0], first[2]]))


def test_the_cache_is_reused_and_rebuilt_when_input_setting_or_file_changes(tmp_path, caplog):
    docs = _war_and_peace(300)
    folder = tmp_path / "cache"
    caplog.set_level(logging.INFO, logger="embeddings.word2vec.cache")
    first = cached_corpus(docs, folder, min_count=2, fingerprint={"file": "wp", "size": 1})
    stamp = (folder / "ids.u32").stat().st_mtime_ns
    caplog.clear()
    again = cached_corpus(iter(()), folder, min_count=2, fingerprint={"file": "wp", "size": 1})  # never read
    assert "reused" in caplog.text and (folder / "ids.u32").stat().st_mtime_ns == stamp
    assert again.vocab.id_to_token == first.vocab.id_to_token and again.n_ids == first.n_ids

    def rebuilt(why: str, **kw) -> None:
        caplog.clear()
        args = {"min_count": 2, "fingerprint": {"file": "wp", "size": 1}, **kw}
        cached_corpus(docs, folder, **args)
        assert f"is rebuilt: {why}" in caplog.text, caplog.text
        cached_corpus(docs, folder, min_count=2, fingerprint={"file": "wp", "size": 1})  # back to the first

    rebuilt("it was made from another input or settings (size)", fingerprint={"file": "wp", "size": 2})
    rebuilt("it was made from another input or settings (min_count)", min_count=3)
    with open(folder / "ids.u32", "r+b") as fh:
        fh.truncate(8)
    rebuilt("ids.u32 is missing or truncated")
    data = bytearray((folder / "ids.u32").read_bytes())
    data[100] ^= 0xFF
    (folder / "ids.u32").write_bytes(bytes(data))
    rebuilt("ids.u32 does not match its digest (damaged)")
    (folder / "meta.json").write_text("{not json", encoding="utf-8")
    caplog.clear()
    cached_corpus(docs, folder, min_count=2, fingerprint={"file": "wp", "size": 1})
    assert "is rebuilt" in caplog.text


def test_a_one_shot_generator_is_refused_for_the_second_pass(tmp_path):
    docs = _war_and_peace(50)
    with pytest.raises(TypeError, match="restartable corpus"):
        cached_corpus((d for d in docs), tmp_path, min_count=1)


def test_training_from_the_cache_equals_training_in_memory(tmp_path):
    docs = _war_and_peace(1500)
    config = Word2VecConfig(dim=16, epochs=2, min_count=3, threads=1, workers=1)
    memory = train_word2vec(docs, config, progress=False)
    cached = train_word2vec(docs, config, progress=False, cache_dir=tmp_path / "c", fingerprint={"n": 1500})
    assert memory.index_to_key == cached.index_to_key
    np.testing.assert_array_equal(memory.vectors, cached.vectors)
    assert encode_corpus(docs, 3).n_ids == cached_corpus(docs, tmp_path / "c", 3, fingerprint={"n": 1500}).n_ids


def test_training_over_many_chunks_learns_the_same_kind_of_neighbours(tmp_path, w2v_chunk_reads):
    read = w2v_chunk_reads
    docs = _war_and_peace()
    kv = train_word2vec(docs, Word2VecConfig(sg=True, dim=50, epochs=10, min_count=5, threads=1, workers=1,
                                             chunk_words=10_000), progress=False, cache_dir=tmp_path / "c")
    assert len(read) >= 10 * 8 and max(read) <= 10_000      # 10 epochs of 8 or more chunks
    speech = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил",
              "крикнул", "говорил", "сказала"}
    assert len({w for w, _ in kv.most_similar("сказал", topn=10)} & speech) >= 4
