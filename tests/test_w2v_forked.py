"""Hogwild workers as forked processes: shared tables, one learning-rate schedule, errors and Ctrl-C."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from corpora import corpus_path
from embeddings import interrupt
from embeddings.word2vec import Word2VecConfig, forked, train_word2vec
from embeddings.word2vec import blocks as w2v_blocks

pytestmark = pytest.mark.skipif(not forked.available(), reason="worker processes are forked on Linux only")


def _war_and_peace(lines: int | None = None) -> list[list[str]]:
    text = corpus_path("war_and_peace").read_text(encoding="utf-8").lower().splitlines()[:lines]
    return [line.split() for line in text if line.split()]


def test_a_shared_tensor_is_written_by_a_forked_process():
    t = forked.shared_tensor(torch.arange(6, dtype=torch.float32).view(2, 3))
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]
    proc = multiprocessing.get_context("fork").Process(target=lambda: t[1].add_(10))
    proc.start()
    proc.join()
    assert proc.exitcode == 0 and t.tolist() == [[0, 1, 2], [13, 14, 15]]


def test_the_tally_adds_up_the_workers_and_resets():
    tally = forked.Tally(2)
    assert tally.kept() == 0 and np.isnan(tally.loss()) and not tally.stop
    tally.add(0, 100)
    tally.add(1, 30)
    tally.add(1, 20)
    tally.set_loss(1, 2.5)
    assert (tally.kept(), tally.blocks(), tally.loss()) == (150, 3, 2.5)
    tally.set_loss(0, 1.5)
    tally.tell_stop()
    assert tally.loss() == 2.0 and tally.stop
    tally.reset()
    assert (tally.kept(), tally.blocks(), tally.stop) == (0, 0, False) and np.isnan(tally.loss())


def test_worker_processes_follow_one_schedule_and_count_every_centre(monkeypatch, tmp_path):
    # each worker trains half of the epoch: with its own count alone, every step would be taken at
    # half the start rate or above; with the shared count, the worker that finishes last takes its
    # last steps near the end of the linear decay (whichever it is: under load one may lag)
    log = tmp_path / "steps"
    step_for = w2v_blocks.step_for

    def spied(*how):
        step = step_for(*how)

        def spy(tables, context, mask, targets, lr, **kwargs):
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {lr}\n")
            return step(tables, context, mask, targets, lr, **kwargs)
        return spy
    monkeypatch.setattr(w2v_blocks, "step_for", spied)
    counts = []
    real = forked.run_forked

    def counted(run, *args, **kwargs):
        real(run, *args, **kwargs)
        counts.append((run.kept_done, run.n_kept))
    monkeypatch.setattr(forked, "run_forked", counted)
    train_word2vec(_war_and_peace(3000), Word2VecConfig(dim=16, epochs=1, min_count=2, workers=2, batch_size=256),
                   progress=False)
    assert len(counts) == 1 and counts[0][0] == counts[0][1] > 0      # every kept centre trained and counted
    steps: dict[int, list[float]] = {}
    for line in log.read_text().splitlines():
        pid, lr = line.split()
        steps.setdefault(int(pid), []).append(float(lr))
    assert len(steps) == 2 and os.getpid() not in steps
    # the run starts at the start rate; the other worker may start some short blocks later, but
    # within the epoch's first half (a count of its own would also start it at the start rate)
    assert max(lrs[0] for lrs in steps.values()) == pytest.approx(0.025)
    assert all(lrs[0] > 0.5 * 0.025 for lrs in steps.values()), {p: lrs[:3] for p, lrs in steps.items()}
    assert min(min(lrs) for lrs in steps.values()) < 0.15 * 0.025, [lrs[-1] for lrs in steps.values()]


def test_a_run_that_diverges_in_a_worker_process_stops_with_the_one_line_error():
    words = "the cat sat on a mat with hat".split()
    docs = [[words[i] for i in np.random.default_rng(0).integers(0, 8, 600_000)]]
    config = Word2VecConfig(epochs=1, min_count=1, workers=2, block_update="sum", batch_size=4096, sample=0)
    with pytest.raises(ValueError, match=r"^training diverged \(loss nan\) with batch_size=4096; use a smaller") as e:
        train_word2vec(docs, config, progress=False)
    assert "\n" not in str(e.value)
    assert multiprocessing.active_children() == []


def test_a_worker_process_that_dies_is_named(monkeypatch):
    parent = os.getpid()
    step_for = w2v_blocks.step_for

    def dying(*how):
        step = step_for(*how)

        def dies(*args, **kwargs):
            if os.getpid() != parent:
                os._exit(3)
            return step(*args, **kwargs)
        return dies
    monkeypatch.setattr(w2v_blocks, "step_for", dying)
    with pytest.raises(forked.WorkerFailed, match=r"word2vec-hogwild-\d ended without finishing its share "
                                                  r"\(exit code 3"):
        train_word2vec(_war_and_peace(2000), Word2VecConfig(sg=False, dim=8, epochs=1, min_count=2, workers=2),
                       progress=False)
    assert multiprocessing.active_children() == []


def test_ctrl_c_reaches_the_workers_through_the_parent(monkeypatch):
    # SIGINT to this process only (the workers ignore it): once the workers have trained some blocks of
    # the first epoch, they stop at their next block all the same, leaving the rest of the epoch
    real = forked.run_forked
    shares = []

    def interrupted_once_started(run, *args, **kwargs):
        def press():
            while run.tally.kept() == 0:
                time.sleep(0.001)
            os.kill(os.getpid(), signal.SIGINT)
        presser = threading.Thread(target=press)
        presser.start()
        try:
            real(run, *args, **kwargs)
        finally:
            presser.join()
            shares.append((run.kept_done, run.n_kept))
    monkeypatch.setattr(forked, "run_forked", interrupted_once_started)
    with pytest.raises(interrupt.Interrupted, match="during epoch 1 of 200"):
        train_word2vec(_war_and_peace() * 4, Word2VecConfig(dim=32, epochs=200, min_count=2, workers=2),
                       progress=False)
    assert len(shares) == 1 and 0 < shares[0][0] < 0.5 * shares[0][1], shares
    assert multiprocessing.active_children() == []


def test_worker_processes_die_with_a_killed_parent(tmp_path):
    import subprocess
    import sys

    import psutil

    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})\n"
              "from corpora import corpus_path\n"
              "from embeddings.word2vec import Word2VecConfig, train_word2vec\n"
              "docs = [l.split() for l in corpus_path('war_and_peace').read_text(encoding='utf-8').splitlines()]\n"
              "train_word2vec([d for d in docs if d] * 20, Word2VecConfig(dim=32, epochs=50, workers=2),"
              " progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        while len(children := psutil.Process(proc.pid).children()) < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.kill()                                    # kill -9: no handler runs in the parent
        proc.wait()
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
