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
           "--dim", "50", "--epochs", "10", "--min-count", "5", "--threads", "1", "--workers", "1", "--device", "cpu",
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


def _merge_in_two_processes(rank: int, port: int, out) -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    base = torch.zeros(3, 2)
    table = base.clone()
    if rank == 0:
        table[0] += 2.0          # only process 0 moves row 0
        table[1] += 1.0
    else:
        table[1] += 3.0          # both move row 1; nobody moves row 2
    Group(rank, 2).merge_rows(table, base)
    out.put((rank, table.tolist(), base.tolist()))
    dist.destroy_process_group()


def test_the_processes_changes_add_up_as_hogwild_threads_do():
    import multiprocessing as mp
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_merge_in_two_processes, args=(r, port, out)) for r in range(2)]
    for p in procs:
        p.start()
    got = dict((rank, (table, base)) for rank, table, base in (out.get(timeout=120) for _ in procs))
    for p in procs:
        p.join(timeout=60)
    # row 0: process 0's whole step (averaging would halve it); row 1: both steps, 1 + 3
    want = [[2.0, 2.0], [4.0, 4.0], [0.0, 0.0]]
    assert got[0] == got[1] == (want, want)
