"""word2vec under torchrun: two CPU processes (gloo) train their shares and average their tables."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from corpora import corpus_path
from embeddings.keyedvectors import KeyedVectors
from embeddings.word2vec.distributed import Group


def test_each_process_takes_its_equal_share():
    assert [Group(r, 3).share(10) for r in range(3)] == [(0, 3), (3, 6), (6, 10)]
    assert Group().share(7) == (0, 7) and Group().main


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "cli.embeddings", "train", "w2v", str(corpus_path("war_and_peace")), "--skipgram",
           "--dim", "50", "--epochs", "10", "--min-count", "5", "--threads", "1", "--device", "cpu",
           "--sync-words", "20000", "--no-progress", "-o", str(out / "wp.txt")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    return out, proc


def test_two_gloo_processes_average_into_vectors_with_sensible_neighbours(two_process_run):
    out, proc = two_process_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes (gloo)" in proc.stderr
    kv = KeyedVectors.load_word2vec_format(out / "wp.txt")
    speech = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил",
              "крикнул", "говорил", "сказала"}
    assert len({w for w, _ in kv.most_similar("сказал", topn=10)} & speech) >= 4
    women = {"графиня", "княгиня", "княжна", "наташа", "соня", "вера", "марья", "она", "анна"}
    assert len({w for w, _ in kv.most_similar("княжна", topn=10)} & women) >= 2


def test_process_zero_writes_the_cache_and_the_checkpoint_once(two_process_run):
    out, proc = two_process_run
    ckpt = out / "wp.txt.ckpt"
    assert (ckpt / "checkpoint.pt").is_file() and (ckpt / "corpus" / "meta.json").is_file()
    assert proc.stderr.count("corpus cache written") == 1
