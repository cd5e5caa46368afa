"""The word2vec commands end to end: train, similar, analogy, evaluate, plot, and their errors."""
from __future__ import annotations

import json
import re

import pytest

from cli.embeddings import main
from corpora import corpus_path
from embeddings.keyedvectors import KeyedVectors


@pytest.fixture(scope="module")
def tokenized(tmp_path_factory):
    """The first 2,000 lines of War and Peace, lower-cased words separated by spaces."""
    path = tmp_path_factory.mktemp("w2v") / "tokens.txt"
    word = re.compile(r"[^\W\d_]+")
    lines = open(corpus_path("war_and_peace"), encoding="utf-8").read().lower().splitlines()[:2000]
    path.write_text("\n".join(" ".join(word.findall(line)) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def vectors(tokenized):
    out = tokenized.parent / "vectors.bin"
    rc = main(["-q", "train", "w2v", str(tokenized), "--skipgram", "--tokenized", "--dim", "20", "--epochs", "2",
               "--min-count", "3", "--threads", "1", "--no-progress", "-o", str(out)])
    assert rc == 0
    return out


def test_train_writes_binary_vectors_config_and_checkpoint(vectors):
    kv = KeyedVectors.load_word2vec_format(vectors)
    assert kv.vector_size == 20 and "князь" in kv
    meta = json.loads(vectors.with_name("vectors.bin.json").read_text(encoding="utf-8"))
    assert meta["backend"] == "torch" and meta["config"]["sg"] is True and meta["config"]["epochs"] == 2
    assert (vectors.parent / "vectors.bin.ckpt" / "checkpoint.pt").exists()


def test_raw_text_through_the_pipeline_with_the_gensim_backend(tmp_path):
    corpus = tmp_path / "raw.txt"
    lines = open(corpus_path("war_and_peace"), encoding="utf-8").read().splitlines()[:1500]
    corpus.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "v.txt"
    rc = main(["-q", "train", "w2v", str(corpus), "--cbow", "--backend", "gensim", "--lang", "ru",
               "--dim", "10", "--epochs", "1", "--min-count", "3", "-o", str(out)])
    assert rc == 0
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.vector_size == 10 and "князь" in kv and "Князь" not in kv     # lower-cased by the pipeline


def test_similar_and_analogy_print_word_score_lines(vectors, capsys):
    assert main(["similar", str(vectors), "князь", "--topn", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(len(line.split("\t")) == 2 for line in lines)
    assert "князь" not in [line.split("\t")[0] for line in lines]
    assert main(["analogy", str(vectors), "княжна - князь + граф", "--topn", "3"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(["analogy", str(vectors), "--positive", "княжна", "граф", "--negative", "князь", "--topn", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == first


def test_evaluate_json_and_plot(vectors, tmp_path, capsys):
    # Russian vectors and no Russian set bundled: one line that says so, not 0.00% everywhere
    assert main(["evaluate", str(vectors), "--json"]) == 2
    assert "no Russian evaluation set is bundled" in capsys.readouterr().err
    questions = tmp_path / "ru_questions.txt"
    questions.write_text(": семья\nкнязь княгиня граф графиня\nграф графиня князь княгиня\n", encoding="utf-8")
    assert main(["evaluate", str(vectors), "--analogies", str(questions), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["analogies"]["restrict_vocab"] == 30000
    assert len(report["analogies"]["sections"]) == 1 and report["analogies"]["total"]["skipped"] == 0
    assert "similarity" not in report
    png = tmp_path / "map.png"
    assert main(["plot", str(vectors), "--words", "князь", "граф", "княжна", "война", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["train", "w2v", "{corpus}", "--skipgram", "--tokenized", "--dim", "0", "-o", "{out}"], "dim must be"),
    (["train", "w2v", "{corpus}", "--cbow", "--tokenized", "--min-count", "100000", "-o", "{out}"],
     "min_count=100000"),
    (["train", "w2v", "{corpus}", "--cbow", "--tokenized", "--device", "cuda", "-o", "{out}"], "CUDA"),
    (["similar", "{corpus}", "князь"], "not a word2vec file"),
    (["similar", "{missing}", "князь"], "cannot read"),
    (["analogy", "{vectors}", "князь - + граф"], "two signs in a row"),
    (["analogy", "{vectors}", "князь - qqq + zzz"], "'zzz', 'qqq'"),
    (["plot", "{vectors}", "--words", "князь", "qqq", "-o", "{out}"], "'qqq'"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, tokenized, vectors, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    subs = {"corpus": str(tokenized), "out": str(tmp_path / "o.txt"), "vectors": str(vectors),
            "missing": str(tmp_path / "none.bin")}
    assert main([a.format(**subs) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
