"""Training, evaluation and the LM directory: sanity checks, resume, init vectors, errors."""
import json
import math

import numpy as np
import pytest
import torch

from embeddings.lm import LMConfig, load_lm, train_lm
from embeddings.lm.io import read_config

TINY = "the cat sat on the mat\nthe dog sat on the log\n"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_untrained_perplexity_is_close_to_the_vocabulary_size(tmp_path):
    corpus = _write(tmp_path / "c.txt", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя\n" * 3)
    cfg = LMConfig(level="char", epochs=1, max_steps=0 + 1, lr=1e-9, optimizer="adam", hidden=16, emb_dim=16,
                   layers=1, batch_size=2, bptt=8)
    train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    lm = load_lm(tmp_path / "lm")
    res = lm.evaluate(corpus.read_text(encoding="utf-8").splitlines())
    assert abs(res.perplexity - len(lm.tokenizer)) < 0.05 * len(lm.tokenizer)


def test_overfits_a_tiny_text_to_perplexity_near_one(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY)
    cfg = LMConfig(level="word", word_tokenizer="whitespace", epochs=60, optimizer="adam", lr=0.02, hidden=32,
                   emb_dim=32, layers=1, dropout=0.0, batch_size=1, bptt=20, patience=0)
    hist = train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    assert hist[-1]["train_ppl"] < 1.1
    res = load_lm(tmp_path / "lm").evaluate(TINY.splitlines())
    # the first word of the text has no context; everything after it is predictable
    assert res.perplexity < 1.3


def test_lm_directory_holds_config_tokenizer_weights_history_and_plot(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    cfg = LMConfig(level="char", epochs=2, hidden=8, emb_dim=8, layers=1, batch_size=4, bptt=10, valid_fraction=0.2)
    train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    names = {p.name for p in (tmp_path / "lm").iterdir()}
    assert {"config.json", "vocab.json", "model.safetensors", "history.json", "loss.png", "checkpoint.pt"} <= names
    meta = read_config(tmp_path / "lm")
    assert meta["config"]["level"] == "char" and meta["version"] == 1
    hist = json.loads((tmp_path / "lm" / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2] and all("valid_ppl" in h for h in hist)


def test_resume_continues_after_the_last_checkpoint(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    base = dict(level="char", hidden=8, emb_dim=8, layers=1, batch_size=4, bptt=10, patience=0, seed=3)
    train_lm(corpus, LMConfig(epochs=2, **base), tmp_path / "a", progress=False, device="cpu")
    full = train_lm(corpus, LMConfig(epochs=4, **base), tmp_path / "b", progress=False, device="cpu")
    resumed = train_lm(corpus, LMConfig(epochs=4, **base), tmp_path / "a", resume=True, progress=False, device="cpu")
    assert [h["epoch"] for h in resumed] == [1, 2, 3, 4]
    # each epoch seeds its own dropout masks and the checkpoint keeps the learning rate,
    # so stopping after epoch 2 and resuming trains exactly as the uninterrupted run
    assert [h["train_loss"] for h in resumed] == pytest.approx([h["train_loss"] for h in full], rel=1e-6)
    assert [h["lr"] for h in resumed] == [h["lr"] for h in full]
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    assert resumed[-1]["train_loss"] < resumed[0]["train_loss"]


def test_init_vectors_fill_known_rows_and_report_missing(tmp_path):
    from embeddings.keyedvectors import KeyedVectors

    corpus = _write(tmp_path / "c.txt", TINY)
    kv = KeyedVectors(["cat", "dog", "zebra"], np.arange(12, dtype=np.float32).reshape(3, 4))
    kv.save_word2vec_format(tmp_path / "v.txt")
    cfg = LMConfig(level="word", word_tokenizer="whitespace", epochs=1, hidden=4, emb_dim=4, layers=1,
                   batch_size=1, bptt=5, freeze_vectors=True)
    train_lm(corpus, cfg, tmp_path / "lm", init_vectors=tmp_path / "v.txt", progress=False, device="cpu")
    lm = load_lm(tmp_path / "lm")
    emb = lm.model.embedding.weight.detach().numpy()
    assert np.array_equal(emb[lm.tokenizer.vocab["cat"]], kv["cat"])  # frozen: unchanged by training
    assert read_config(tmp_path / "lm")["init_vectors"]["missing"] == len(lm.tokenizer) - 2


def test_vectors_of_another_dimension_are_refused(tmp_path):
    from embeddings.keyedvectors import KeyedVectors

    corpus = _write(tmp_path / "c.txt", TINY)
    KeyedVectors(["cat"], np.ones((1, 3), np.float32)).save_word2vec_format(tmp_path / "v.txt")
    cfg = LMConfig(level="word", word_tokenizer="whitespace", epochs=1, hidden=4, emb_dim=4, layers=1)
    with pytest.raises(ValueError, match=r"dimension 3 but emb_dim is 4"):
        train_lm(corpus, cfg, tmp_path / "lm", init_vectors=tmp_path / "v.txt", progress=False, device="cpu")


def test_empty_corpus_is_refused(tmp_path):
    corpus = _write(tmp_path / "c.txt", "\n  \n")
    with pytest.raises(ValueError, match="corpus is empty"):
        train_lm(corpus, LMConfig(level="char"), tmp_path / "lm", progress=False, device="cpu")


def test_model_directory_of_another_version_is_refused(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY)
    cfg = LMConfig(level="char", epochs=1, hidden=4, emb_dim=4, layers=1, batch_size=2, bptt=5)
    train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    meta = json.loads((tmp_path / "lm" / "config.json").read_text())
    meta["version"] = 99
    (tmp_path / "lm" / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="version 99 is not supported"):
        load_lm(tmp_path / "lm")


def test_config_fields_are_validated_by_name():
    with pytest.raises(ValueError, match="level must be one of"):
        LMConfig(level="syllable")
    with pytest.raises(ValueError, match="tie_weights needs emb_dim == hidden"):
        LMConfig(tie_weights=True, emb_dim=100, hidden=200)
    with pytest.raises(ValueError, match="bptt must be a positive integer, got 0"):
        LMConfig(bptt=0)


def test_cuda_request_without_cuda_is_a_clear_error():
    from embeddings.lm.train import resolve_device

    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_kneser_ney_arch_writes_a_loadable_directory(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 3)
    hist = train_lm(corpus, LMConfig(level="word", word_tokenizer="whitespace", arch="ngram"), tmp_path / "kn",
                    valid=corpus, progress=False, device="cpu")
    lm = load_lm(tmp_path / "kn")
    res = lm.evaluate((TINY * 3).splitlines())
    assert res.perplexity == pytest.approx(hist[0]["valid_ppl"])
    assert 1 < res.perplexity < 3
    assert res.bits_per_char == pytest.approx(res.nll / res.chars / math.log(2))


@pytest.mark.parametrize("arch, extra", [("gru", {"tie_weights": True}), ("rnn", {"reference_cells": True}),
                                         ("lstm", {"clip_mode": "value", "schedule": "cosine"})])
def test_other_cells_and_options_train_and_reload(tmp_path, arch, extra):
    corpus = _write(tmp_path / "c.txt", TINY * 4)
    cfg = LMConfig(level="char", arch=arch, epochs=3, hidden=12, emb_dim=12, layers=2, batch_size=2, bptt=12,
                   optimizer="adam", lr=0.01, patience=0, **extra)
    hist = train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    lm = load_lm(tmp_path / "lm")
    if extra.get("tie_weights"):
        assert lm.model.decoder.weight is lm.model.embedding.weight
    assert lm.evaluate(TINY.splitlines()).perplexity < len(lm.tokenizer)
