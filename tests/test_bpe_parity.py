"""Exact agreement with HuggingFace ``tokenizers`` on real corpora, and files each side reads.

Same corpus, whitespace pre-tokenizer, character alphabet, no special tokens, min_frequency 0:
our ``merges.txt`` must equal the one ``tokenizers``' ``BpeTrainer`` writes, line for line.
"""
from __future__ import annotations

import json

import pytest
import tokenizers
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora import corpus_path
from textprep.bpe import BPETokenizer
from textprep.bpe.bytelevel import bytelevel_split
from textprep.bpe.whitespace import whitespace_split


def _hf_train(path, vocab_size, out_dir, special_tokens=()):
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>" if "<unk>" in special_tokens else None))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=0, show_progress=False, special_tokens=list(special_tokens)
    )
    tok.train([str(path)], trainer)
    out_dir.mkdir()
    tok.model.save(str(out_dir))
    return tok


def _hf_load(model_dir, pretokenizer):
    tok = tokenizers.Tokenizer(
        tokenizers.models.BPE.from_file(str(model_dir / "vocab.json"), str(model_dir / "merges.txt"))
    )
    if pretokenizer == "bytelevel":
        tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = tokenizers.decoders.ByteLevel()
    else:
        tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    return tok


@pytest.mark.slow
@pytest.mark.parametrize("name,vocab_size", [("war_and_peace", 8000), ("tinyshakespeare", 4000)])
def test_merges_txt_identical_to_tokenizers(name, vocab_size, tmp_path):
    path = corpus_path(name)
    ours = BPETokenizer.train([path], vocab_size=vocab_size, special_tokens=(), min_frequency=0)
    ours.save(tmp_path / "ours")
    _hf_train(path, vocab_size, tmp_path / "hf")
    mine = (tmp_path / "ours" / "merges.txt").read_text(encoding="utf-8").splitlines()
    theirs = (tmp_path / "hf" / "merges.txt").read_text(encoding="utf-8").splitlines()
    assert len(mine) > vocab_size * 0.9
    assert mine == theirs
    assert ours.get_vocab() == json.loads((tmp_path / "hf" / "vocab.json").read_text(encoding="utf-8"))


def test_pre_tokens_identical_to_tokenizers_whitespace():
    ws = tokenizers.pre_tokenizers.Whitespace()
    text = corpus_path("war_and_peace").read_text(encoding="utf-8")[:200_000]
    text += " x²+y‿z re\u0301sume\u0301 a\x1cb ½ ⓐⓑ 𝔘𝔫𝔦 ٣ \u200dzw\u200cj _a_ "
    assert whitespace_split(text) == [w for w, _ in ws.pre_tokenize_str(text)]


def test_pre_tokens_identical_to_tokenizers_bytelevel():
    bl = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    text = corpus_path("war_and_peace").read_text(encoding="utf-8")[:100_000]
    assert bytelevel_split(text) == [w for w, _ in bl.pre_tokenize_str(text)]
    # numbers outside Nd (Rust: numbers, Python's \w: letters), U+001C (a space to Python only),
    # characters beyond the BMP
    odd = "x² 3½ Ⅻb a\x1c's \x1c\x1c b 𝔘𝔫𝔦 𐄇7 😀 ٣z ⅝"
    assert bytelevel_split(odd) == [w for w, _ in bl.pre_tokenize_str(odd)]
    assert bytelevel_split(text[:5000] + odd) == [w for w, _ in bl.pre_tokenize_str(text[:5000] + odd)]


def test_tokenizers_reads_our_model_and_gets_the_same_ids(tmp_path):
    path = corpus_path("tinyshakespeare")
    lines = path.read_text(encoding="utf-8").splitlines()
    for pretok in ("whitespace", "bytelevel"):
        ours = BPETokenizer.train([path], vocab_size=1500, pretokenizer=pretok, special_tokens=())
        ours.save(tmp_path / pretok)
        hf = _hf_load(tmp_path / pretok, pretok)
        assert [e.ids for e in hf.encode_batch(lines)] == ours.encode_batch(lines, workers=1)
        if pretok == "bytelevel":
            assert hf.decode(ours.encode(lines[0])) == lines[0]


def test_we_read_a_tokenizers_model_and_get_the_same_ids(tmp_path):
    path = corpus_path("war_and_peace")
    hf = _hf_train(path, 3000, tmp_path / "hf", special_tokens=("<unk>",))
    ours = BPETokenizer.load(tmp_path / "hf")
    lines = path.read_text(encoding="utf-8").splitlines()[:4000] + ["unseen ⅝ characters Ω"]
    assert ours.encode_batch(lines, workers=1) == [e.ids for e in hf.encode_batch(lines)]
    assert len(ours) == hf.get_vocab_size()


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abc", min_size=1, max_size=9), min_size=1, max_size=40),
    vocab_size=st.integers(min_value=3, max_value=60),
)
def test_same_merges_as_tokenizers_on_random_small_corpora(words, vocab_size):
    # Few letters and repeated runs make many ties and overlapping pairs ("aaa", "abab").
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False)
    tok.train_from_iterator([" ".join(words)], trainer)
    theirs = [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    ours = BPETokenizer.train([" ".join(words)], vocab_size=vocab_size, special_tokens=(), min_frequency=0)
    assert ours.merges == theirs
    assert ours.get_vocab() == tok.get_vocab()
