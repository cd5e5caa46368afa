"""``textprep preprocess | vocab | tfidf`` end to end: outputs, one-line errors, empty input."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cli.textprep import main
from corpora import corpus_path
from textprep.vectorize import load_matrix
from textprep.vocab import Vocabulary

FOUR = "Нежился на пляже\nКопали яму на пляже\nКопал картошку\nЕл картошки и картошку\n"


@pytest.fixture()
def four(tmp_path):
    path = tmp_path / "four.txt"
    path.write_text(FOUR, encoding="utf-8")
    return path


def test_preprocess_writes_one_line_per_document(four, tmp_path):
    out = tmp_path / "tokens.txt"
    assert main(["preprocess", str(four), "-o", str(out), "--lemmatize", "--stopwords", "ru"]) == 0
    assert out.read_text(encoding="utf-8") == "нежиться пляж\nкопать яма пляж\nкопал картошка\nесть картошка картошка\n"
    assert main(["preprocess", str(four), "-o", str(out), "--lemmatize", "--stopwords", "ru",
                 "--min-count", "2", "--workers", "2", "--prefer-pos", "VERB", "INFN"]) == 0
    assert out.read_text(encoding="utf-8") == "пляж\nкопать пляж\nкопать картошка\nкартошка картошка\n"


def test_preprocess_stems_to_stdout_and_keeps_empty_lines(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("Копали яму\n\nКопал картошку\n", encoding="utf-8")
    assert main(["preprocess", str(src), "--stem"]) == 0
    assert capsys.readouterr().out == "копа ям\n\nкопа картошк\n"


def test_preprocess_reads_stdin_and_other_encodings(tmp_path):
    src = tmp_path / "cp1251.txt"
    src.write_bytes("Копали яму\n".encode("cp1251"))
    run = subprocess.run([sys.executable, "-m", "cli.textprep", "preprocess", "-", "--encoding", "cp1251"],
                         input=src.read_bytes(), capture_output=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode("utf-8") == "копали яму\n"


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    out = tmp_path / "o.txt"
    assert main(["preprocess", str(corpus_path("russian_names")), "-o", str(out), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "preprocess" in err and "9408/9408" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9408


def test_vocab_saves_a_loadable_vocabulary(four, tmp_path):
    path = tmp_path / "vocab.json"
    assert main(["vocab", str(four), "-o", str(path), "--lemmatize", "--stopwords", "ru", "--min-count", "2"]) == 0
    vocab = Vocabulary.load(path)
    assert vocab.id_to_token == ["<pad>", "<unk>", "<bos>", "<eos>", "картошка", "пляж"]
    assert vocab.count("картошка") == 3
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "textprep.vocabulary/1"


def test_tfidf_prints_top_terms_or_saves_the_matrix(four, tmp_path, capsys):
    args = ["tfidf", str(four), "--lemmatize", "--stopwords", "ru", "--prefer-pos", "VERB", "--idf", "plain"]
    assert main([*args, "--top-k", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1].split(":")[0] for line in lines] == ["нежиться", "яма", "картошка", "есть"]
    # doc 3: «копать» and «картошка» both have df 2 of 4 and tf 1: a tie, broken by the term
    path = tmp_path / "m.npz"
    assert main([*args, "-o", str(path)]) == 0
    X, names = load_matrix(path)
    assert X.shape == (4, 6) and names == ["есть", "картошка", "копать", "нежиться", "пляж", "яма"]
    assert np.allclose(np.linalg.norm(X.toarray(), axis=1), 1.0)


def test_empty_input_gives_empty_output(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "out.txt"
    assert main(["preprocess", str(empty), "-o", str(out), "--lemmatize"]) == 0
    assert out.read_bytes() == b""
    assert main(["tfidf", str(empty)]) == 0 and capsys.readouterr().out == ""
    assert main(["vocab", str(empty), "-o", str(tmp_path / "v.json")]) == 0
    assert len(Vocabulary.load(tmp_path / "v.json")) == 4
    only_stop = tmp_path / "stop.txt"
    only_stop.write_text("и на\n", encoding="utf-8")
    assert main(["tfidf", str(only_stop), "--stopwords", "ru"]) == 0
    assert capsys.readouterr().out == "1\t\n"


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("textprep: error: "), err
    return err


def test_bad_inputs_give_one_line_errors(tmp_path, capsys, four):
    assert "nope.txt: no such file" in _error(capsys, ["preprocess", str(tmp_path / "nope.txt")])
    assert "is a directory" in _error(capsys, ["tfidf", str(tmp_path)])
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02")
    assert "looks like a binary file" in _error(capsys, ["vocab", str(binary), "-o", str(tmp_path / "v.json")])
    bad = tmp_path / "bad.txt"
    bad.write_bytes("пляж\n".encode() + b"ok \xff\n")
    assert "invalid utf-8 byte 0xff at byte offset 12" in _error(capsys, ["preprocess", str(bad)])
    assert "unknown stop-word list 'klingon'" in _error(capsys, ["preprocess", str(four), "--stopwords", "klingon"])
    assert "min_count must be an integer >= 1, got 0" in _error(capsys, ["preprocess", str(four), "--min-count", "0"])
    assert "min_count must be an integer >= 1, got 0" in _error(
        capsys, ["vocab", str(four), "-o", str(tmp_path / "v.json"), "--min-count", "0"])
    assert "lemmatize and stem cannot both be set" in _error(capsys, ["preprocess", str(four), "--lemmatize", "--stem"])
    assert "top_k must be >= 1" in _error(capsys, ["tfidf", str(four), "--top-k", "0"])
    assert "unknown encoding" in _error(capsys, ["preprocess", str(four), "--encoding", "utf-99"])
    assert not (tmp_path / "v.json").exists()


def test_a_value_outside_the_choices_is_one_line_naming_flag_and_value(capsys, four):
    # the choices come from PipelineConfig's fields, so the flags refuse what the config would
    for flag, value, choices in (("--lang", "de", "'ru', 'en'"), ("--level", "byte", "'word', 'char'")):
        with pytest.raises(SystemExit) as info:
            main(["preprocess", str(four), flag, value])
        assert info.value.code == 2
        err = capsys.readouterr().err
        want = f"textprep preprocess: error: argument {flag}: invalid choice: '{value}' (choose from {choices})"
        assert err == want + "\n"


def test_help_shows_an_example(capsys):
    for cmd in ("preprocess", "vocab", "tfidf"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        assert f"example:\n  textprep {cmd}" in capsys.readouterr().out
