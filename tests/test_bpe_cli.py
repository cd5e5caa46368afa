"""``textprep bpe train | encode | decode`` end to end: files, stdin, ids, one-line errors."""
from __future__ import annotations

import io
import sys

import pytest

from cli.textprep import main
from corpora import corpus_path
from textprep.bpe import BPETokenizer

SHAKESPEARE = corpus_path("tinyshakespeare")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("bpe") / "model"
    assert main(["bpe", "train", str(SHAKESPEARE), "--vocab-size", "700", "-o", str(out),
                 "--pretokenizer", "bytelevel", "--special-tokens", "<pad>", "<unk>", "<sep>"]) == 0
    return out


def test_train_writes_the_model_and_a_summary(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["bpe", "train", str(SHAKESPEARE), "--vocab-size", "300", "-o", str(out),
                 "--special-tokens", "--min-frequency", "0"]) == 0
    tok = BPETokenizer.load(out)
    assert len(tok) == 300 and tok.special_tokens == []
    err = capsys.readouterr().err
    assert "vocabulary size 300" in err and "characters per token" in err


def test_encode_decode_round_trip_through_files(model, tmp_path, capsys):
    src = tmp_path / "in.txt"
    text = "First Citizen:\nBefore we proceed any further, hear me speak.<sep>\n\n  Ünïcode ok\n"
    src.write_text(text, encoding="utf-8")
    ids = tmp_path / "ids.txt"
    assert main(["bpe", "encode", "--model", str(model), str(src), "--ids", "-o", str(ids)]) == 0
    lines = ids.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[2] == ""
    assert all(x.isdigit() for x in lines[0].split(" "))
    assert "2" in lines[1].split(" ")  # <sep> is id 2 and is not split
    assert main(["bpe", "decode", "--model", str(model), str(ids)]) == 0
    assert capsys.readouterr().out == text


def test_encode_reads_stdin_and_prints_tokens(model, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"hello world\n")))
    assert main(["bpe", "encode", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    tok = BPETokenizer.load(model)
    assert out == " ".join(tok.tokenize("hello world")) + "\n"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["bpe", "train", str(SHAKESPEARE), "--vocab-size", "10", "-o", "{tmp}/m"], "smaller than the alphabet"),
        (["bpe", "train", "{tmp}/empty.txt", "--vocab-size", "100", "-o", "{tmp}/m"], "empty corpus"),
        (["bpe", "train", "{tmp}/nope.txt", "--vocab-size", "100", "-o", "{tmp}/m"], "no such file"),
        (["bpe", "encode", "--model", "{tmp}/missing", str(SHAKESPEARE)], "no such model directory"),
        (["bpe", "decode", "--model", "{model}", "{tmp}/bad_ids.txt"], "line 2: token id 70000 is out of range"),
        (["bpe", "decode", "--model", "{model}", "{tmp}/words.txt"], "'x' is not a token id"),
    ],
)
def test_errors_are_one_line_and_exit_2(argv, message, model, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("\n \n", encoding="utf-8")
    (tmp_path / "bad_ids.txt").write_text("1 2\n3 70000\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("1 x\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path, model=model) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("textprep: error:")


def test_bpe_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["bpe", "train", "--help"])
    assert "example:" in capsys.readouterr().out
