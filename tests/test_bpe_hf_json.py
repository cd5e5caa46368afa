"""``tokenizer.json`` both ways: our models inside ``tokenizers`` and ``transformers``, theirs inside ours.

Held-out text must get exactly the same ids on both sides, in whitespace and byte-level mode,
and byte-level ids must decode back to the text.
"""
from __future__ import annotations

import json

import pytest
import tokenizers
import transformers
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.textprep import main
from corpora import corpus_path
from textprep.bpe import BPETokenizer
from textprep.bpe.hf_json import (
    from_tokenizer_json,
    read_tokenizer_json,
    special_token_roles,
    to_tokenizer_json,
    write_tokenizer_json,
    write_transformers_dir,
)
from textprep.errors import InputError

WP = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()
SH = corpus_path("tinyshakespeare").read_text(encoding="utf-8").splitlines()
TRAIN = WP[:4000] + SH[:10000]
ODD = ["Князь <eos> сказал<pad>: «Ну, что ж?»", "  two  spaces\tand a tab ", "x² ½ Ⅻ 😀 naïve café", "",
       "don't we'll they've I'm", "<unk><bos>"]
HELD_OUT = [ln for ln in WP[8000:10000] + SH[20000:22000] if ln.strip()] + ODD


@pytest.fixture(scope="module", params=["whitespace", "bytelevel"])
def model(request, tmp_path_factory):
    """(our tokenizer, its tokenizer.json path, our ids of the held-out lines)."""
    tok = BPETokenizer.train(TRAIN, vocab_size=1500, pretokenizer=request.param)
    path = write_tokenizer_json(tok, tmp_path_factory.mktemp("hf") / "tokenizer.json")
    return tok, path, tok.encode_batch(HELD_OUT, workers=1)


def test_a_tiny_model_as_tokenizer_json_worked_by_hand():
    tok = BPETokenizer.train(["low lower lowest"] * 3, vocab_size=12, special_tokens=("<pad>", "<unk>"),
                             min_frequency=1)
    data = to_tokenizer_json(tok)
    assert [(a["id"], a["content"], a["special"]) for a in data["added_tokens"]] == [(0, "<pad>", True),
                                                                                   (1, "<unk>", True)]
    assert data["pre_tokenizer"] == {"type": "Whitespace"} and data["decoder"] is None
    assert data["post_processor"] is None and data["normalizer"] is None
    model = data["model"]
    assert model["type"] == "BPE" and model["unk_token"] == "<unk>" and not model["ignore_merges"]
    # alphabet e l o r s t w after the specials, then the merges in order
    assert list(model["vocab"]) == ["<pad>", "<unk>", "e", "l", "o", "r", "s", "t", "w", "lo", "low", "lowe"]
    assert model["merges"] == [["l", "o"], ["lo", "w"], ["low", "e"]]


def test_tokenizers_loads_the_file_and_gives_our_ids(model):
    tok, path, ours = model
    hf = tokenizers.Tokenizer.from_file(str(path))
    assert [e.ids for e in hf.encode_batch(HELD_OUT)] == ours
    assert hf.get_vocab() == tok.get_vocab()
    if tok.pretokenizer == "bytelevel":
        assert [hf.decode(ids, skip_special_tokens=False) for ids in ours] == HELD_OUT
    else:
        # no decoder: tokens joined by one space, as ours
        assert hf.decode(ours[0], skip_special_tokens=False) == tok.decode(ours[0])


def test_transformers_loads_the_file_with_our_special_tokens_mapped(model):
    tok, path, ours = model
    roles = special_token_roles(tok)
    assert roles == {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}
    fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(path), **roles)
    ids = {name: tok.token_to_id(t) for name, t in roles.items()}
    assert (fast.pad_token_id, fast.unk_token_id, fast.bos_token_id, fast.eos_token_id) == (
        ids["pad_token"], ids["unk_token"], ids["bos_token"], ids["eos_token"]) == (0, 1, 2, 3)
    assert fast(HELD_OUT)["input_ids"] == ours
    assert len(fast) == len(tok)
    if tok.pretokenizer == "bytelevel":
        assert fast.batch_decode(ours) == HELD_OUT
        padded = fast(HELD_OUT[:2], padding=True)["input_ids"]
        assert padded[1][len(ours[1]):] == [0] * (len(padded[1]) - len(ours[1]))


def test_the_transformers_directory_maps_the_roles_by_itself(model, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tok, _, ours = model
    out = write_transformers_dir(tok, tmp_path / "hf_dir")
    auto = transformers.AutoTokenizer.from_pretrained(str(out))
    assert (auto.pad_token, auto.unk_token, auto.bos_token, auto.eos_token) == ("<pad>", "<unk>", "<bos>", "<eos>")
    assert auto(HELD_OUT)["input_ids"] == ours
    if tok.pretokenizer == "bytelevel":
        assert auto.batch_decode(ours) == HELD_OUT


def test_our_file_read_back_is_the_same_model(model):
    tok, path, ours = model
    back = read_tokenizer_json(path)
    assert (back.get_vocab(), back.merges, back.special_tokens, back.unk_token, back.pretokenizer) == (
        tok.get_vocab(), tok.merges, tok.special_tokens, tok.unk_token, tok.pretokenizer)
    assert back.encode_batch(HELD_OUT, workers=1) == ours


def _hf_trained(pretokenizer: str) -> tokenizers.Tokenizer:
    if pretokenizer == "bytelevel":
        hf = tokenizers.Tokenizer(tokenizers.models.BPE())
        hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = tokenizers.decoders.ByteLevel()
        alphabet = tokenizers.pre_tokenizers.ByteLevel.alphabet()
        trainer = tokenizers.trainers.BpeTrainer(vocab_size=1200, special_tokens=["<|endoftext|>"],
                                                 initial_alphabet=alphabet, show_progress=False)
    else:
        hf = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
        hf.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
        trainer = tokenizers.trainers.BpeTrainer(vocab_size=1200, special_tokens=["[UNK]", "[PAD]"],
                                                 show_progress=False)
    hf.train_from_iterator(TRAIN, trainer)
    return hf


@pytest.mark.parametrize("pretokenizer", ["whitespace", "bytelevel"])
def test_we_read_a_tokenizer_json_trained_by_tokenizers_and_give_its_ids(pretokenizer, tmp_path):
    hf = _hf_trained(pretokenizer)
    path = tmp_path / "tokenizer.json"
    hf.save(str(path))
    assert main(["bpe", "import", str(path), "-o", str(tmp_path / "ours")]) == 0
    ours = BPETokenizer.load(tmp_path / "ours")
    assert ours.pretokenizer == pretokenizer and len(ours) == hf.get_vocab_size()
    text = HELD_OUT + ["unseen ⅝ characters Ω [PAD]<|endoftext|>"]
    assert ours.encode_batch(text, workers=1) == [e.ids for e in hf.encode_batch(text)]
    if pretokenizer == "whitespace":
        assert ours.special_tokens == ["[UNK]", "[PAD]"] and ours.unk_token == "[UNK]"
    else:
        assert ours.special_tokens == ["<|endoftext|>"] and ours.unk_token is None
        assert ours.decode(ours.encode(text[-1])) == text[-1]


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=st.sampled_from("ab c\nд'é²😀<>"), max_size=30), min_size=1, max_size=12),
    pretokenizer=st.sampled_from(["whitespace", "bytelevel"]),
    vocab_extra=st.integers(min_value=0, max_value=40),
    # any assigned character (Python's Unicode tables may not know what Rust's newer ones do)
    probe=st.text(st.characters(blacklist_categories=("Cs", "Cn")), max_size=40),
)
def test_export_then_import_is_the_identity_and_tokenizers_agrees(texts, pretokenizer, vocab_extra, probe):
    specials = ("<unk>", "<>")
    if not any(t.split() for t in texts):
        texts = texts + ["ab"]
    alphabet = 256 if pretokenizer == "bytelevel" else len({c for t in texts for c in t if not c.isspace()})
    tok = BPETokenizer.train(texts, vocab_size=alphabet + len(specials) + vocab_extra, pretokenizer=pretokenizer,
                             special_tokens=specials, min_frequency=1)
    data = json.loads(json.dumps(to_tokenizer_json(tok)))
    back = from_tokenizer_json(data)
    assert (back.get_vocab(), back.merges, back.special_tokens, back.pretokenizer) == (
        tok.get_vocab(), tok.merges, tok.special_tokens, tok.pretokenizer)
    hf = tokenizers.Tokenizer.from_str(json.dumps(data))
    for s in texts + [probe]:
        assert hf.encode(s).ids == tok.encode(s) == back.encode(s)


def _json_with(tok: BPETokenizer, **changes) -> dict:
    data = to_tokenizer_json(tok)
    for dotted, value in changes.items():
        *outer, last = dotted.split("__")
        target = data
        for key in outer:
            target = target[key]
        target[last] = value
    return data


@pytest.mark.parametrize("change,named", [
    ({"normalizer": {"type": "Lowercase"}}, "normalizer"),
    ({"model__continuing_subword_prefix": "##"}, "model.continuing_subword_prefix"),
    ({"model__fuse_unk": True}, "model.fuse_unk"),
    ({"model__type": "WordPiece"}, "model type"),
    ({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True}}, "add_prefix_space"),
    ({"pre_tokenizer": {"type": "Metaspace"}}, "pre_tokenizer"),
    ({"post_processor": {"type": "TemplateProcessing"}}, "post_processor"),
    ({"model__merges": [["x", "y"]]}, "malformed model"),
    ({"model__merges": ["xy"]}, "model.merges[0]"),
])
def test_what_our_encoder_cannot_reproduce_is_refused_naming_the_field(change, named):
    tok = BPETokenizer.train(["low lower lowest"] * 3, vocab_size=14, min_frequency=1)
    with pytest.raises(InputError, match=named.replace("[", r"\[").replace("]", r"\]")):
        from_tokenizer_json(_json_with(tok, **change), "t.json")


def test_cli_export_writes_both_formats_and_import_reads_them_back(tmp_path, capsys):
    model = tmp_path / "m"
    assert main(["bpe", "train", str(corpus_path("war_and_peace")), "--vocab-size", "1200", "-o", str(model),
                 "--pretokenizer", "bytelevel", "--no-progress"]) == 0
    assert main(["bpe", "export", str(model), "--format", "tokenizers", "-o", str(tmp_path / "t.json")]) == 0
    assert main(["bpe", "export", str(model), "--format", "transformers", "-o", str(tmp_path / "hf")]) == 0
    assert "pad_token='<pad>'" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "hf").iterdir()) == [
        "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]
    assert (tmp_path / "hf" / "tokenizer.json").read_bytes() == (tmp_path / "t.json").read_bytes()
    assert main(["bpe", "import", str(tmp_path / "hf"), "-o", str(tmp_path / "back")]) == 0
    for name in ("vocab.json", "merges.txt"):
        assert (tmp_path / "back" / name).read_bytes() == (model / name).read_bytes()


def test_cli_import_of_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "vocab.json"
    bad.write_text('{"a": 0}', encoding="utf-8")
    assert main(["bpe", "import", str(bad), "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vocab.json: not a tokenizer.json file" in err
    assert not (tmp_path / "m").exists()
