"""Files we read are never unpickled: a planted pickle is refused and its code never runs.

The planted payload, when unpickled, creates a marker file.  It is put where every reader looks:
the word2vec checkpoint (``--resume``), the LM directory's checkpoint and weights, a vectors
file, a saved TF-IDF matrix and the explorer's map cache (``np.load``), both as a bare pickle and
inside the zip container ``torch.save`` writes.  Each reader must refuse it (or, for the map
cache, ignore it) and the marker must never appear.  A last test reads the sources: every
``torch.load`` passes ``weights_only=True`` and every ``np.load`` ``allow_pickle=False``.
"""
from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from cli.embeddings import main as embeddings_main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ("князь андрей сказал пьеру что война началась\n"
          "пьер и наташа говорили о войне и мире\n"
          "князь андрей уехал на войну а пьер остался\n") * 20


class Payload:
    """Unpickling this creates ``marker``: proof that the file was executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def plant(path: Path, marker: Path, form: str) -> None:
    """A pickle at ``path``: a bare one, or one inside ``torch.save``'s zip container."""
    payload = {"w_in": Payload(marker), "model": Payload(marker), "epoch": 1, "epochs_done": 1}
    if form == "torch":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))   # the protocol torch.load expects


def test_the_payload_does_run_when_unpickled(tmp_path):
    # the test's own check: the payload is live, so its absence below means it was not run
    marker = tmp_path / "ran"
    for form in ("torch", "pickle"):
        plant(tmp_path / "x.pt", marker, form)
        if form == "torch":
            torch.load(tmp_path / "x.pt", weights_only=False)
        else:
            pickle.loads((tmp_path / "x.pt").read_bytes())
        assert marker.exists()
        marker.unlink()


def run(argv: list[str], capsys) -> tuple[int, list[str]]:
    rc = embeddings_main(["-q", *argv])
    return rc, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A word2vec checkpoint folder and an LM directory, trained once on a tiny corpus."""
    work = tmp_path_factory.mktemp("trained")
    corpus = work / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    w2v = ["train", "w2v", str(corpus), "--skipgram", "--dim", "8", "--epochs", "1", "--min-count", "1",
           "--tokenized", "--no-progress", "-o", str(work / "v.txt"), "--checkpoint-dir", str(work / "ckpt")]
    lm = ["lm", "train", str(corpus), "-o", str(work / "lm"), "--epochs", "1", "--hidden", "8", "--emb-dim", "8",
          "--layers", "1", "--word-tokenizer", "whitespace", "--no-progress"]
    assert embeddings_main(["-q", *w2v]) == 0
    assert embeddings_main(["-q", *lm]) == 0
    return {"corpus": corpus, "w2v": w2v, "lm": lm, "work": work}


@pytest.mark.parametrize("form", ["torch", "pickle"])
def test_a_pickled_word2vec_checkpoint_is_refused_on_resume(trained, form, tmp_path, capsys):
    marker, ckpt = tmp_path / "ran", tmp_path / "ckpt"
    shutil.copytree(trained["work"] / "ckpt", ckpt)
    plant(ckpt / "checkpoint.pt", marker, form)
    argv = [a if a != str(trained["work"] / "ckpt") else str(ckpt) for a in trained["w2v"]]
    argv[argv.index("-o") + 1] = str(tmp_path / "v.txt")
    rc, lines = run([*argv, "--resume"], capsys)
    assert rc == 2 and len(lines) == 1
    assert lines[0].startswith(f"embeddings: error: {ckpt / 'checkpoint.pt'}: unreadable checkpoint")
    assert not marker.exists()


@pytest.mark.parametrize("form", ["torch", "pickle"])
@pytest.mark.parametrize("name, command", [("checkpoint.pt", "resume"), ("model.safetensors", "generate"),
                                           ("model.safetensors", "eval")])
def test_a_pickle_in_the_lm_directory_is_refused(trained, form, name, command, tmp_path, capsys):
    marker, lm = tmp_path / "ran", tmp_path / "lm"
    shutil.copytree(trained["work"] / "lm", lm)
    plant(lm / name, marker, form)
    if command == "resume":
        argv = [*trained["lm"], "--resume"]
        argv[argv.index("-o") + 1] = str(lm)
    elif command == "generate":
        argv = ["lm", "generate", str(lm), "--max-length", "3"]
    else:
        argv = ["lm", "eval", str(lm), str(trained["corpus"])]
    rc, lines = run(argv, capsys)
    assert rc == 2 and len(lines) == 1
    assert lines[0].startswith(f"embeddings: error: {lm / name}: unreadable")
    assert not marker.exists()


@pytest.mark.parametrize("form", ["torch", "pickle"])
@pytest.mark.parametrize("name", ["vectors.bin", "vectors.txt"])
def test_a_pickle_as_a_vectors_file_is_refused(form, name, tmp_path, capsys):
    marker = tmp_path / "ran"
    plant(tmp_path / name, marker, form)
    rc, lines = run(["similar", str(tmp_path / name), "князь"], capsys)
    assert rc == 2 and len(lines) == 1 and lines[0].startswith(f"embeddings: error: {tmp_path / name}: ")
    assert not marker.exists()


def _object_npz(path: Path, marker: Path, **plain) -> None:
    arrays = {k: np.array([Payload(marker)], dtype=object) for k in ("data", "indices", "feature_names",
                                                                   "fingerprint", "xy")}
    with open(path, "wb") as fh:   # allow_pickle is on when saving: the object arrays are pickles
        np.savez(fh, **{**arrays, **plain})


def test_a_pickle_inside_a_tfidf_matrix_file_is_refused(tmp_path):
    from textprep.errors import InputError
    from textprep.vectorize import load_matrix

    marker = tmp_path / "ran"
    _object_npz(tmp_path / "m.npz", marker, indptr=np.array([0, 1]), shape=np.array([1, 1]))
    with pytest.raises(InputError, match="not a textprep matrix file"):
        load_matrix(tmp_path / "m.npz")
    assert not marker.exists()


def test_a_pickle_inside_the_map_cache_is_ignored_and_the_map_made_again(tmp_path):
    from embeddings.keyedvectors import KeyedVectors
    from embeddings.serve.wordmap import WordMap

    marker = tmp_path / "ran"
    kv = KeyedVectors([f"w{i}" for i in range(20)], np.random.default_rng(0).standard_normal((20, 4)))
    cache = tmp_path / "v.txt.map-pca.npz"
    _object_npz(cache, marker)
    wm = WordMap(kv, n_words=20, method="pca", cache_path=cache)
    wm.start()
    assert wm.wait(60)
    assert wm.error is None and not wm.from_cache
    assert not marker.exists()


def test_every_loader_in_the_sources_refuses_pickles():
    sources = [p for pkg in ("textprep", "embeddings", "cli") for p in (ROOT / pkg).rglob("*.py")]
    found = {"torch.load": 0, "np.load": 0}
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(pickle|cPickle|dill|joblib|cloudpickle)\b", text, re.M), path
        assert "pickle.load" not in text, path
        for call in re.finditer(r"\btorch\.load\(([^)]*)\)", text):
            found["torch.load"] += 1
            assert "weights_only=True" in call.group(1), f"{path}: {call.group(0)}"
        for call in re.finditer(r"\b(?:np|numpy)\.load\(([^)]*)\)", text):
            found["np.load"] += 1
            assert "allow_pickle=False" in call.group(1), f"{path}: {call.group(0)}"
    assert found["torch.load"] >= 2 and found["np.load"] >= 2   # the checks above did look at something
