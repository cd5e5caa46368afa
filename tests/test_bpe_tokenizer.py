"""BPETokenizer: round trips, special tokens, unknown characters, files, errors, parallel order."""
from __future__ import annotations

import json
import logging
import multiprocessing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora import corpus_path
from textprep.bpe import BPEConfig, BPETokenizer, counting
from textprep.bpe import tokenizer as tokmod
from textprep.bpe.bytelevel import bytelevel_split, from_byte_chars
from textprep.bpe.whitespace import whitespace_split

SHAKESPEARE = corpus_path("tinyshakespeare")


@pytest.fixture(scope="module")
def byte_tok():
    return BPETokenizer.train([SHAKESPEARE], vocab_size=600, pretokenizer="bytelevel")


@pytest.fixture(scope="module")
def char_tok():
    return BPETokenizer.train([SHAKESPEARE], vocab_size=500)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_bytelevel_round_trips_any_unicode(byte_tok, text):
    assert byte_tok.decode(byte_tok.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["<pad>", "<eos>", "ab", " ", "é", "\n", "日本", "<", "eos>"]), max_size=12))
def test_bytelevel_round_trips_with_special_tokens(byte_tok, parts):
    text = "".join(parts)
    assert byte_tok.decode(byte_tok.encode(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_bytelevel_pieces_concatenate_to_the_text(text):
    assert "".join(from_byte_chars(p) for p in bytelevel_split(text)) == text


def test_special_tokens_get_first_ids_and_are_never_split(char_tok):
    assert char_tok.special_tokens == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert [char_tok.token_to_id(t) for t in char_tok.special_tokens] == [0, 1, 2, 3]
    ids = char_tok.encode("<bos>First Citizen<eos>")
    assert ids[0] == 2 and ids[-1] == 3
    assert char_tok.tokenize("a<eos>b")[1] == "<eos>"
    # Special tokens in the training text are not counted as words: no merge builds them.
    tok = BPETokenizer.train(["<eos> <eos> <eos> x"], vocab_size=30, special_tokens=("<eos>",), min_frequency=1)
    assert tok.merges == [] and len(tok) == 2


def test_unknown_characters_become_unk_in_character_mode(char_tok):
    ids = char_tok.encode("Ωmega")
    assert ids[0] == char_tok.token_to_id("<unk>")
    assert char_tok.decode(ids[:1]) == "<unk>"
    # Without an <unk> token they are dropped (as tokenizers' BPE does without unk_token).
    tok = BPETokenizer.train(["ab ab"], vocab_size=3, special_tokens=(), min_frequency=1)
    assert tok.tokenize("aΩb") == ["ab"]


def test_whitespace_mode_decode_joins_tokens_with_spaces(char_tok):
    assert char_tok.decode(char_tok.encode("First Citizen:")) == " ".join(char_tok.tokenize("First Citizen:"))


def test_len_lookups_and_out_of_range_ids(char_tok):
    assert len(char_tok) == 500
    assert char_tok.id_to_token(char_tok.token_to_id("e")) == "e"
    assert char_tok.token_to_id("no such token") is None
    with pytest.raises(ValueError, match="token id 500 is out of range"):
        char_tok.decode([5, 500])
    with pytest.raises(ValueError, match="-1"):
        char_tok.decode([-1])


def test_save_and_load_give_the_same_ids(byte_tok, tmp_path):
    byte_tok.save(tmp_path / "m")
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == ["bpe_config.json", "merges.txt", "vocab.json"]
    assert (tmp_path / "m" / "merges.txt").read_text(encoding="utf-8").startswith("#version: 0.2\n")
    again = BPETokenizer.load(tmp_path / "m")
    lines = SHAKESPEARE.read_text(encoding="utf-8").splitlines()[:500]
    assert again.encode_batch(lines) == byte_tok.encode_batch(lines)
    assert again.pretokenizer == "bytelevel" and again.special_tokens == byte_tok.special_tokens


def test_parallel_batches_keep_order(char_tok, monkeypatch):
    lines = SHAKESPEARE.read_text(encoding="utf-8").splitlines()[:3000]
    monkeypatch.setattr(tokmod, "PARALLEL_MIN_TEXTS", 10)
    assert char_tok.encode_batch(lines, workers=2) == [char_tok.encode(line) for line in lines]
    assert list(char_tok.encode_lines(iter(lines), workers=2, batch=97)) == [char_tok.encode(x) for x in lines]


def test_encode_lines_stops_its_workers_when_the_caller_stops_early(char_tok):
    lines = SHAKESPEARE.read_text(encoding="utf-8").splitlines()[:3000]
    before = set(multiprocessing.active_children())
    it = char_tok.encode_lines(iter(lines), workers=2, batch=50)
    head = [next(it) for _ in range(120)]
    pool = set(multiprocessing.active_children()) - before
    assert 1 <= len(pool) <= 2 and all(p.is_alive() for p in pool)
    it.close()
    assert head == [char_tok.encode(x) for x in lines[:120]]
    assert not any(p.is_alive() for p in pool) and not set(multiprocessing.active_children()) - before


def _spy_on_pools(monkeypatch) -> list[int]:
    """Cut files into 64 KB blocks (Tiny Shakespeare: 18 of them) and record each pool started."""
    monkeypatch.setattr(counting, "BLOCK_BYTES", 1 << 16)
    started: list[int] = []
    real = counting.process_pool

    def spy(workers, *args):
        started.append(workers)
        return real(workers, *args)

    monkeypatch.setattr(counting, "process_pool", spy)
    return started


def test_training_is_deterministic_and_counts_files_in_parallel_the_same(monkeypatch):
    a = BPETokenizer.train([SHAKESPEARE], vocab_size=800, workers=1)
    started = _spy_on_pools(monkeypatch)
    b = BPETokenizer.train([SHAKESPEARE], vocab_size=800, workers=2)
    assert started == [2]                    # the blocks were counted by two processes
    texts = BPETokenizer.train(SHAKESPEARE.read_text(encoding="utf-8").splitlines(), vocab_size=800, texts=True)
    assert a.merges == b.merges == texts.merges
    assert a.get_vocab() == b.get_vocab() == texts.get_vocab()


def test_a_bad_byte_in_a_block_counted_by_a_worker_is_named_by_its_offset(tmp_path, monkeypatch):
    started = _spy_on_pools(monkeypatch)
    path = tmp_path / "bad.txt"
    path.write_bytes(b"hello world\n" * 10_000 + b"ok \xff\n" + b"more\n" * 100)
    with pytest.raises(ValueError, match=r"bad.txt: invalid utf-8 byte 0xff at byte offset 120003"):
        BPETokenizer.train([path], vocab_size=100, workers=2)
    assert started == [2]


def test_stops_early_with_a_warning_stating_the_size(caplog):
    with caplog.at_level(logging.WARNING, logger="textprep.bpe"):
        tok = BPETokenizer.train(["ab ab cd"], vocab_size=100, special_tokens=(), min_frequency=2)
    assert len(tok) == 5
    assert "stopped at vocabulary size 5 (asked for 100)" in caplog.text


def test_bad_input_errors(tmp_path, char_tok):
    with pytest.raises(ValueError, match=r"vocab_size 6 is smaller than the alphabet \(3\) plus 4 special"):
        BPETokenizer.train(["abc"], vocab_size=6)
    with pytest.raises(ValueError, match=r"alphabet \(256\)"):
        BPETokenizer.train(["abc"], vocab_size=300, pretokenizer="bytelevel",
                           special_tokens=tuple(f"<s{i}>" for i in range(50)))
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty corpus"):
        BPETokenizer.train([empty], vocab_size=100)
    with pytest.raises(ValueError, match="empty corpus"):
        BPETokenizer.train([], vocab_size=100, texts=True)
    with pytest.raises(ValueError, match="pretokenizer"):
        BPEConfig(pretokenizer="spaces")
    with pytest.raises(ValueError, match="vocab_size"):
        BPEConfig(vocab_size=0)
    with pytest.raises(TypeError, match="single string"):
        BPETokenizer.train("some text", vocab_size=100)
    with pytest.raises(ValueError, match="no such model directory"):
        BPETokenizer.load(tmp_path / "missing")
    char_tok.save(tmp_path / "m")
    (tmp_path / "m" / "merges.txt").write_text("#version: 0.2\nF i r\n", encoding="utf-8")
    with pytest.raises(ValueError, match="malformed merge on line 2"):
        BPETokenizer.load(tmp_path / "m")
    (tmp_path / "m" / "merges.txt").write_text("#version: 0.2\nqq zz\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'qq' is not in the vocabulary"):
        BPETokenizer.load(tmp_path / "m")
    (tmp_path / "m" / "vocab.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(ValueError, match="malformed BPE vocabulary"):
        BPETokenizer.load(tmp_path / "m")
    (tmp_path / "m" / "vocab.json").write_text(json.dumps({"a": 0, "b": 5}), encoding="utf-8")
    with pytest.raises(ValueError, match="ids are not"):
        BPETokenizer.load(tmp_path / "m")
    (tmp_path / "m" / "vocab.json").unlink()
    with pytest.raises(ValueError, match="vocab.json is missing"):
        BPETokenizer.load(tmp_path / "m")


def test_whitespace_split_examples():
    assert whitespace_split("Hi, you!  x²+y") == ["Hi", ",", "you", "!", "x", "²+", "y"]
    assert whitespace_split("re\u0301sume\u0301 a\x1cb") == ["re\u0301sume\u0301", "a", "\x1c", "b"]
