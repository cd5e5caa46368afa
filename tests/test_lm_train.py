"""Training, evaluation and the LM directory: sanity checks, resume, init vectors, errors."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from embeddings.lm import LMConfig, load_lm, train_lm
from embeddings.lm.lmdir import read_config
from embeddings.lm.model import RNNLM

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
    with pytest.raises(ValueError, match=r"dropout must be in \[0.0, 1.0\), got 1.5"):
        LMConfig(dropout=1.5)
    with pytest.raises(ValueError, match="lr must be > 0, got 0"):
        LMConfig(lr=0)
    with pytest.raises(ValueError, match="patience must be >= 0, got -1"):
        LMConfig(patience=-1)
    with pytest.raises(ValueError, match="max_vocab must be a positive integer, got 0"):
        LMConfig(max_vocab=0)


def test_the_config_comes_without_torch():
    code = "import sys, embeddings.lm.config, embeddings.lm; embeddings.lm.LMConfig(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_cuda_request_without_cuda_is_a_clear_error(tmp_path, monkeypatch):
    # whatever this machine has: torch is told there is no CUDA
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    corpus = _write(tmp_path / "c.txt", TINY)
    with pytest.raises(ValueError, match="CUDA is not available"):
        train_lm(corpus, LMConfig(level="char"), tmp_path / "lm", progress=False, device="cuda")
    assert not (tmp_path / "lm").exists()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_uses_mixed_precision_and_loads_on_the_cpu(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    cfg = LMConfig(level="char", epochs=2, hidden=16, emb_dim=16, layers=1, batch_size=4, bptt=10,
                   optimizer="adam", lr=0.01, patience=0)
    hist = train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cuda")
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    lm = load_lm(tmp_path / "lm", device="cpu")
    assert next(lm.model.parameters()).device.type == "cpu"
    assert lm.evaluate(TINY.splitlines()).perplexity < len(lm.tokenizer)


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


def test_forget_bias_survives_training_saving_and_loading(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 3)
    # a learning rate too small to move the biases: the trained model still shows its start
    cfg = LMConfig(level="char", arch="lstm", forget_bias=1.0, epochs=1, hidden=6, emb_dim=6, layers=2,
                   batch_size=2, bptt=8, optimizer="sgd", lr=1e-9, dropout=0.0)
    train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    lm = load_lm(tmp_path / "lm")
    assert lm.config == cfg  # every field, forget_bias included, comes back from config.json
    rnn = dict(lm.model.rnn.named_parameters())
    for layer in (0, 1):
        total = rnn[f"bias_ih_l{layer}"] + rnn[f"bias_hh_l{layer}"]
        torch.testing.assert_close(total[6:12], torch.ones(6), atol=1e-6, rtol=0)  # gates i, f, g, o
    # the loaded weights are the trained ones (the checkpoint of the one epoch), and so are the outputs
    trained = torch.load(tmp_path / "lm" / "checkpoint.pt", weights_only=True)["model"]
    loaded = lm.model.state_dict()
    assert trained.keys() == loaded.keys()
    assert all(torch.equal(trained[k], loaded[k]) for k in trained)
    again = RNNLM.from_config(cfg, len(lm.tokenizer))
    again.load_state_dict(trained)
    again.eval()
    x = torch.tensor(lm.tokenizer.encode("the cat")).unsqueeze(1)
    assert torch.equal(lm.model(x)[0], again(x)[0])


def test_from_config_builds_what_the_config_says():
    cfg = LMConfig(arch="lstm", forget_bias=2.5, layers=3, hidden=5, emb_dim=5, dropout=0.3, tie_weights=True)
    model = RNNLM.from_config(cfg, vocab_size=17)
    assert (model.embedding.num_embeddings, model.embedding.embedding_dim, model.decoder.out_features) == (17, 5, 17)
    assert model.rnn.num_layers == 3 and model.rnn.hidden_size == 5 and model.rnn.dropout == 0.3
    assert model.decoder.weight is model.embedding.weight
    for layer in range(3):
        total = getattr(model.rnn, f"bias_ih_l{layer}") + getattr(model.rnn, f"bias_hh_l{layer}")
        assert torch.equal(total[5:10], torch.full((5,), 2.5))
    ref = RNNLM.from_config(LMConfig(arch="gru", reference_cells=True, layers=1), vocab_size=4)
    assert ref.rnn.arch == "gru" and ref.rnn.num_layers == 1


def test_history_is_kept_once_in_history_json(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    cfg = LMConfig(level="char", epochs=2, hidden=8, emb_dim=8, layers=1, batch_size=4, bptt=10)
    hist = train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    assert json.loads((tmp_path / "lm" / "history.json").read_text()) == hist
    ck = torch.load(tmp_path / "lm" / "checkpoint.pt", weights_only=True)
    assert "history" not in ck and ck["epoch"] == 2


def test_resume_after_a_crash_between_the_history_and_the_checkpoint(tmp_path):
    """history.json is written before checkpoint.pt: a record the checkpoint lacks is trained again."""
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    base = dict(level="char", hidden=8, emb_dim=8, layers=1, batch_size=4, bptt=10, patience=0, seed=5)
    full = train_lm(corpus, LMConfig(epochs=3, **base), tmp_path / "full", progress=False, device="cpu")
    lm = tmp_path / "lm"
    train_lm(corpus, LMConfig(epochs=1, **base), lm, progress=False, device="cpu")
    after_one = (lm / "checkpoint.pt").read_bytes()
    train_lm(corpus, LMConfig(epochs=2, **base), lm, resume=True, progress=False, device="cpu")
    # the crash: epoch 2's history record was written, its checkpoint never replaced epoch 1's
    (lm / "checkpoint.pt").write_bytes(after_one)
    assert [h["epoch"] for h in json.loads((lm / "history.json").read_text())] == [1, 2]
    resumed = train_lm(corpus, LMConfig(epochs=3, **base), lm, resume=True, progress=False, device="cpu")
    assert [h["epoch"] for h in resumed] == [1, 2, 3]
    assert [h["train_loss"] for h in resumed] == pytest.approx([h["train_loss"] for h in full], rel=1e-6)
    assert json.loads((lm / "history.json").read_text()) == resumed


def test_resume_without_the_history_of_the_checkpoint_is_refused(tmp_path):
    corpus = _write(tmp_path / "c.txt", TINY * 5)
    cfg = LMConfig(level="char", epochs=2, hidden=8, emb_dim=8, layers=1, batch_size=4, bptt=10)
    train_lm(corpus, cfg, tmp_path / "lm", progress=False, device="cpu")
    (tmp_path / "lm" / "history.json").unlink()
    with pytest.raises(ValueError, match=r"lacks records of the epochs 1-2 that checkpoint.pt has trained"):
        train_lm(corpus, LMConfig(**{**cfg.to_dict(), "epochs": 3}), tmp_path / "lm", resume=True,
                 progress=False, device="cpu")
