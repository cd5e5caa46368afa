"""``embeddings lm train | eval | generate`` end to end on tiny corpora, and the one-line errors."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cli.embeddings import main
from corpora import corpus_path

SMALL = ["--hidden", "16", "--emb-dim", "16", "--layers", "1", "--batch-size", "4", "--bptt", "10",
         "--no-progress", "--device", "cpu"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def names_file(tmp_path_factory):
    names = corpus_path("russian_names").read_text(encoding="utf-8").splitlines()[::40]
    path = tmp_path_factory.mktemp("cli") / "names.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def test_train_eval_generate_a_char_model(tmp_path, names_file, capsys):
    out = tmp_path / "lm"
    assert main(["lm", "train", str(names_file), "--level", "char", "--mode", "lines", "--epochs", "2",
                 "--optimizer", "adam", *SMALL, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["lm", "eval", str(out), str(names_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tokens"] > 0 and report["perplexity"] == pytest.approx(np.exp(report["cross_entropy"]))
    assert main(["lm", "generate", str(out), "--prefix", "Ba", "--num", "3", "--seed", "1", "--top-p", "0.9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("Ba") for line in lines)


def test_ngram_baseline_and_bits_per_char_compare_levels(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 10, encoding="utf-8")
    for level in ("word", "char"):
        assert main(["lm", "train", str(text), "--level", level, "--word-tokenizer", "whitespace", "--arch", "ngram",
                     "-o", str(tmp_path / level)]) == 0
    capsys.readouterr()
    bpc = {}
    for level in ("word", "char"):
        main(["lm", "eval", str(tmp_path / level), str(text), "--json"])
        r = json.loads(capsys.readouterr().out)
        bpc[level] = r["bits_per_char"]
        assert r["chars"] == 10 * (23 + 23)
    assert all(0 < b < 1.5 for b in bpc.values())


def test_bpe_level_uses_and_copies_the_bpe_model(tmp_path, capsys):
    from textprep.bpe import BPETokenizer

    corpus = corpus_path("war_and_peace")
    lines = corpus.read_text(encoding="utf-8").splitlines()[:300]
    small = tmp_path / "wp.txt"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    BPETokenizer.train([str(small)], vocab_size=300).save(tmp_path / "bpe")
    out = tmp_path / "lm"
    assert main(["lm", "train", str(small), "--level", "bpe", "--bpe-model", str(tmp_path / "bpe"), "--epochs", "1",
                 "--max-steps", "5", *SMALL, "-o", str(out)]) == 0
    assert (out / "bpe" / "merges.txt").exists()
    capsys.readouterr()
    assert main(["lm", "eval", str(out), str(small), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["perplexity"] < 300 * 1.1


def test_the_bpe_model_is_copied_file_by_file_and_a_failed_copy_leaves_no_part(tmp_path, monkeypatch):
    import shutil

    from embeddings.lm.tokenizers import BPELMTokenizer
    from textprep.bpe import BPETokenizer

    small = tmp_path / "wp.txt"
    small.write_text("\n".join(corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:100]) + "\n",
                     encoding="utf-8")
    BPETokenizer.train([str(small)], vocab_size=280).save(tmp_path / "bpe")
    level = BPELMTokenizer(tmp_path / "bpe")
    level.save(tmp_path / "lm")
    names = sorted(p.name for p in (tmp_path / "bpe").iterdir())
    assert sorted(p.name for p in (tmp_path / "lm" / "bpe").iterdir()) == names        # no temporary left
    for name in names:
        assert (tmp_path / "lm" / "bpe" / name).read_bytes() == (tmp_path / "bpe" / name).read_bytes()

    def half_then_fail(src, dst):                  # a disk that fills up halfway through a file
        Path(dst).write_bytes(Path(src).read_bytes()[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", half_then_fail)
    with pytest.raises(OSError, match="no space left on device"):
        level.save(tmp_path / "lm2")
    assert not (tmp_path / "lm2" / "bpe").exists() or not any((tmp_path / "lm2" / "bpe").iterdir())


def test_word_level_through_the_pipeline(tmp_path):
    from embeddings.lm import load_lm

    text = tmp_path / "t.txt"
    text.write_text("Кошка сидела на окне.\nСобака лежала у двери!\n" * 4, encoding="utf-8")
    assert main(["lm", "train", str(text), "--level", "word", "--epochs", "1", *SMALL, "-o", str(tmp_path / "lm")]) == 0
    tok = load_lm(tmp_path / "lm").tokenizer
    assert "кошка" in tok.vocab and "Кошка" not in tok.vocab


@pytest.mark.parametrize("argv, message", [
    (["lm", "generate", "LM", "--prefix", "Q"], "never saw: 'Q'"),
    (["lm", "train", "EMPTY", "--level", "char", "-o", "OUT"], "corpus is empty"),
    (["lm", "train", "NAMES", "--level", "char", "--bpe-model", "LM", "-o", "OUT"],
     "--bpe-model is only used with level bpe"),
    (["lm", "eval", "NOPE", "NAMES"], "no such LM directory"),
    (["lm", "generate", "LM", "--temperature", "-1"], "temperature must be >= 0"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, names_file, capsys, argv, message):
    lm = tmp_path / "lm"
    main(["lm", "train", str(names_file), "--level", "char", "--mode", "lines", "--epochs", "1", "--max-steps", "1",
          *SMALL, "-o", str(lm)])
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    subst = {"LM": str(lm), "EMPTY": str(tmp_path / "empty.txt"), "NAMES": str(names_file),
             "OUT": str(tmp_path / "out"), "NOPE": str(tmp_path / "nope")}
    capsys.readouterr()
    rc = main([subst.get(a, a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and message in err


def test_cuda_without_cuda_is_one_line_and_exit_2(tmp_path, names_file, capsys, monkeypatch):
    # whatever this machine has: torch is told there is no CUDA
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rc = main(["lm", "train", str(names_file), "--level", "char", "--device", "cuda", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "CUDA is not available" in err


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_train_and_eval_on_cuda(tmp_path, names_file, capsys):
    out = tmp_path / "lm"
    gpu = [a if a != "cpu" else "cuda" for a in SMALL]
    assert main(["lm", "train", str(names_file), "--level", "char", "--mode", "lines", "--epochs", "1",
                 *gpu, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["lm", "eval", str(out), str(names_file), "--device", "cuda", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] > 0


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["lm", "train", "--help"])
    out = capsys.readouterr().out
    assert "example:" in out and "--init-vectors" in out and "--bptt" in out
