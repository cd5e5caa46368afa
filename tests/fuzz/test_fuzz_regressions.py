"""What the command-line fuzzer caught, one test each, named after the finding.

Each runs the command in-process through ``main(argv)`` and asserts the contract: exit 2 and
one line on standard error (or exit 0), never a traceback.
"""
from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from cli.embeddings import main as embeddings_main
from cli.textprep import main as textprep_main


def run(main, argv, capsys, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, list[str]]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    return rc, [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("encoding", ["base64", "rot13", "hex", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_refused_in_one_line(encoding, capsys, monkeypatch):
    # caught: ``--encoding base64`` passed the codec lookup, then failed inside the line reader
    # with a TypeError traceback
    rc, lines = run(textprep_main, ["preprocess", "-", "--encoding", encoding], capsys, "абв\n".encode(), monkeypatch)
    assert rc == 2
    assert lines == [f"textprep: error: {encoding!r} is not a text encoding"]


@pytest.mark.parametrize("main, argv, prog", [
    (textprep_main, [], "textprep"),
    (textprep_main, ["-q", "bpe"], "textprep bpe"),
    (embeddings_main, [], "embeddings"),
    (embeddings_main, ["lm"], "embeddings lm"),
    (embeddings_main, ["train"], "embeddings train"),
])
def test_a_missing_subcommand_is_one_line_not_the_help_page(main, argv, prog, capsys):
    # caught: ``textprep bpe`` (no subcommand) printed the 16-line help page and exited 2
    rc, lines = run(main, argv, capsys)
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: the following arguments are required")


@pytest.mark.parametrize("flags", [["--min-df", "0.99"], ["--min-df", "5", "--max-df", "2"]])
def test_tfidf_document_frequency_limits_that_leave_no_term_are_one_line(flags, tmp_path, capsys):
    # caught: scikit-learn's "After pruning, no terms remain" came out as a traceback
    corpus = tmp_path / "c.txt"
    corpus.write_text("князь андрей\nпьер и наташа\nкнязь и пьер\n", encoding="utf-8")
    rc, lines = run(textprep_main, ["tfidf", str(corpus), *flags], capsys)
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith("textprep: error: TF-IDF: no terms left with min_df=")


@pytest.mark.parametrize("command", [["eval", "LM", "TEXT"], ["generate", "LM"]])
def test_a_negative_thread_count_for_the_language_model_is_one_line(command, tmp_path, capsys):
    # caught: ``embeddings lm eval --threads -1`` ended in torch's RuntimeError traceback
    argv = ["lm", *[str(tmp_path / "x") if a in ("LM", "TEXT") else a for a in command], "--threads", "-1"]
    rc, lines = run(embeddings_main, argv, capsys)
    assert rc == 2
    assert lines == ["embeddings: error: --threads must be >= 0 (0: torch's choice), got -1"]


def test_word2vec_on_standard_input_says_it_needs_a_file(capsys):
    # caught: ``embeddings train w2v - ...`` said "-: No such file or directory"
    rc, lines = run(embeddings_main, ["train", "w2v", "-", "--skipgram", "-o", "v.txt"], capsys)
    assert rc == 2
    assert lines == ["embeddings: error: word2vec reads its corpus several times: "
                     "give a file, not '-' (standard input)"]


@pytest.mark.parametrize("header, binary", [("3 99999999999", False), ("999999999999 2", False),
                                            ("999999999999 2", True)])
def test_a_vectors_header_that_lies_about_its_size_is_refused_before_allocating(header, binary, tmp_path, capsys):
    # caught: "304 99999999999" made numpy try to allocate 111 TiB (a MemoryError traceback)
    path = tmp_path / ("v.bin" if binary else "v.txt")
    rows = [b"a " + (b"\x00\x00\x80\x3f" * 2 if binary else b"1 1") for _ in range(3)]
    path.write_bytes(header.encode() + b"\n" + b"\n".join(rows) + b"\n")
    rc, lines = run(embeddings_main, ["similar", str(path), "a"], capsys)
    assert rc == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"embeddings: error: {path}: truncated, or its header lies: it says ")
    assert lines[0].endswith(f"more than the file's {path.stat().st_size} bytes can hold")


@pytest.mark.parametrize("key", ["tokenizer", "config"])
def test_an_lm_config_whose_sections_are_not_objects_is_one_line(key, tmp_path, capsys):
    # caught: "tokenizer": [1] in config.json ended in an AttributeError traceback
    lm = tmp_path / "lm"
    lm.mkdir()
    meta = {"format": "embeddings.lm", "version": 1, "config": {}, "tokenizer": {}, key: [1]}
    (lm / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    rc, lines = run(embeddings_main, ["lm", "generate", str(lm)], capsys)
    assert rc == 2
    assert lines == [f"embeddings: error: {lm / 'config.json'}: malformed LM config ({key!r} is not a JSON object)"]


@pytest.mark.parametrize("content", [[1, 2], {"epoch": 1}, {"model": 1, "optimizer": {}, "epoch": 1, "best": 1.0,
                                                            "bad": 0, "lr": 1.0}])
def test_an_lm_checkpoint_of_another_structure_is_refused_naming_it(content, tmp_path):
    # caught: a checkpoint.pt holding a list ended ``lm train --resume`` in a TypeError traceback
    import torch

    from embeddings.lm.lmdir import load_checkpoint
    from textprep.errors import InputError

    torch.save(content, tmp_path / "checkpoint.pt")
    with pytest.raises(InputError, match="checkpoint.pt: not a language-model checkpoint"):
        load_checkpoint(tmp_path, torch.device("cpu"))


@pytest.fixture(scope="module")
def w2v_checkpoint(tmp_path_factory):
    """A word2vec run with its checkpoint folder, and the command that resumes it."""
    work = tmp_path_factory.mktemp("w2v")
    corpus = work / "c.txt"
    corpus.write_text("князь андрей и пьер\nпьер и наташа\n" * 30, encoding="utf-8")
    argv = ["-q", "train", "w2v", str(corpus), "--skipgram", "--dim", "4", "--epochs", "1", "--min-count", "1",
            "--tokenized", "--no-progress", "-o", str(work / "v.txt"), "--checkpoint-dir", str(work / "ckpt")]
    assert embeddings_main(argv) == 0
    return work / "ckpt", argv


def _resume(w2v_checkpoint, tmp_path, capsys, change) -> tuple[int, list[str], Path]:
    ckpt, argv = w2v_checkpoint
    mine = tmp_path / "ckpt"
    shutil.copytree(ckpt, mine)
    change(mine)
    argv = [str(mine) if a == str(ckpt) else a for a in argv]
    return *run(embeddings_main, [*argv, "--resume"], capsys), mine


@pytest.mark.parametrize("content", ["list", "no rng", "epochs as text", "foreign rng"])
def test_a_word2vec_checkpoint_of_another_structure_is_refused_naming_it(content, w2v_checkpoint, tmp_path, capsys):
    # caught: a checkpoint without "rng", or with a foreign random state, ended ``--resume`` in a traceback
    import torch

    def change(folder):
        state = torch.load(folder / "checkpoint.pt", weights_only=True)
        bad = {"list": [1, 2], "no rng": {k: v for k, v in state.items() if k != "rng"},
               "epochs as text": {**state, "epochs_done": "many"},
               "foreign rng": {**state, "rng": torch.zeros(3, dtype=torch.uint8)}}[content]
        torch.save(bad, folder / "checkpoint.pt")

    rc, lines, folder = _resume(w2v_checkpoint, tmp_path, capsys, change)
    assert rc == 2 and len(lines) == 1
    assert lines[0].startswith(f"embeddings: error: {folder / 'checkpoint.pt'}: ")


def test_a_word2vec_checkpoint_config_that_is_not_an_object_is_one_line(w2v_checkpoint, tmp_path, capsys):
    # caught: config.json holding a list ended ``--resume`` in an AttributeError traceback
    rc, lines, folder = _resume(w2v_checkpoint, tmp_path, capsys, lambda f: (f / "config.json").write_text("[1]"))
    assert rc == 2
    assert lines == [f"embeddings: error: {folder / 'config.json'}: malformed checkpoint config (not a JSON object)"]


@pytest.mark.parametrize("meta", ["[]", '{"format": "embeddings.word2vec.cache", "version": 1, "n_tokens": "x"}'])
def test_a_corpus_cache_with_malformed_metadata_is_made_again(meta, w2v_checkpoint, tmp_path, capsys):
    # caught: a meta.json holding a list ended the run in an AttributeError traceback
    rc, lines, folder = _resume(w2v_checkpoint, tmp_path, capsys,
                                lambda f: (f / "corpus" / "meta.json").write_text(meta))
    assert rc == 0, lines
    assert (folder / "corpus" / "meta.json").read_text() != meta


def test_resuming_from_the_checkpoint_of_another_model_is_one_line(tmp_path, capsys):
    # caught: a checkpoint.pt with the expected keys but another model's weights ended
    # ``lm train --resume`` in load_state_dict's RuntimeError traceback
    import torch

    corpus = tmp_path / "c.txt"
    corpus.write_text("князь андрей и пьер\nпьер и наташа\n" * 30, encoding="utf-8")
    lm = tmp_path / "lm"
    argv = ["-q", "lm", "train", str(corpus), "-o", str(lm), "--epochs", "1", "--hidden", "4", "--emb-dim", "4",
            "--layers", "1", "--word-tokenizer", "whitespace", "--no-progress"]
    assert embeddings_main(argv) == 0
    state = torch.load(lm / "checkpoint.pt", weights_only=True)
    torch.save({**state, "model": {"x": torch.zeros(2)}}, lm / "checkpoint.pt")
    rc, lines = run(embeddings_main, [*argv, "--resume"], capsys)
    assert rc == 2 and len(lines) == 1
    assert lines[0].startswith(f"embeddings: error: {lm / 'checkpoint.pt'}: does not fit this model (")


@pytest.mark.parametrize("stdin", [False, True])
def test_utf16_without_a_bom_is_one_line(stdin, tmp_path, capsys, monkeypatch):
    # caught: ``--encoding utf-16`` on a file without a byte order mark raised UnicodeError (not
    # UnicodeDecodeError), which came out as a traceback
    path = tmp_path / "c.txt"
    path.write_text("князь андрей\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    rc, lines = run(textprep_main, ["preprocess", "-" if stdin else str(path), "--encoding", "utf-16"], capsys)
    assert rc == 2
    name = "<stdin>" if stdin else str(path)
    assert lines == [f"textprep: error: {name}: not valid utf-16 (UTF-16 stream does not start with BOM)"]
