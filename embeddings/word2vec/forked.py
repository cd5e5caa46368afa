"""Hogwild workers as forked processes: the tables in shared memory, no interpreter lock between them.

Worker threads (:meth:`~embeddings.word2vec.blocks.BlockTrainer.parallel`) share one
interpreter, and a block is a few dozen short torch calls, each of which takes and hands back
the interpreter lock.  For skip-gram, whose calls are long, two threads still ran at about
twice the speed of one; for CBOW, whose blocks are cheap, two threads ran at 1.2 times one,
while two separate processes each kept 0.9 of the speed of one alone (English corpus, 4M
words, one epoch, 2 cores).  So on Linux the workers are processes:

    parent ── fork per chunk ──▶ worker w: its slice of each segment, block by block
      │                             writes the shared tables (no locks: Hogwild) and its
      │                             progress, loss and blocks into the shared tally
      └─ polls the tally for the progress bar, sets the stop flag on Ctrl-C, and between
         segments (under torchrun) merges the processes' changes while the workers wait

Forking per chunk hands each worker the chunk's kept words without a copy (the pages are
shared until written, and the workers only read them).  The tables and the tally live in
anonymous shared memory (``mmap``), which is not limited by the size of ``/dev/shm``.
Workers ignore SIGINT: the parent alone hears Ctrl-C and tells them to stop at their next
block.  Where ``fork`` is missing or unsafe for torch (Windows, macOS), the workers stay
threads.
"""
from __future__ import annotations

import contextlib
import ctypes
import math
import mmap
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import traceback

import numpy as np
import torch

from textprep.errors import InputError

from .. import interrupt

#: seconds between two looks at the workers' progress (for the bar and for Ctrl-C)
POLL_SECONDS = 0.1
#: seconds a worker has to leave after it was told to, before it is killed
JOIN_SECONDS = 10.0
#: prctl(2): the signal a process gets when its parent dies
PR_SET_PDEATHSIG = 1


def available() -> bool:
    """Whether the workers can be forked processes here (Linux: fork is safe for torch's CPU ops)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def shared_tensor(like: torch.Tensor) -> torch.Tensor:
    """A copy of the CPU tensor ``like`` in anonymous shared memory: processes forked after this
    call see each other's writes to it.  The tensor keeps its memory alive."""
    nbytes = max(like.numel() * like.element_size(), 1)
    out = torch.frombuffer(mmap.mmap(-1, nbytes), dtype=like.dtype, count=like.numel()).view(like.shape)
    return out.copy_(like)


class Tally:
    """What the workers report to the parent, in shared memory: a stop flag, then per worker the
    kept centre words and blocks done since the last :meth:`reset`, and its last loss."""

    def __init__(self, workers: int):
        self.workers = workers
        self._a = np.frombuffer(mmap.mmap(-1, 8 * (1 + 3 * workers)), dtype=np.float64)
        self.reset()

    def reset(self) -> None:
        self._a[: 1 + 2 * self.workers] = 0.0
        self._a[1 + 2 * self.workers:] = math.nan

    def add(self, slot: int, kept: int) -> None:
        """Worker ``slot`` finished a block of ``kept`` centre words."""
        self._a[1 + slot] += kept
        self._a[1 + self.workers + slot] += 1

    def kept(self) -> int:
        return int(self._a[1: 1 + self.workers].sum())

    def blocks(self) -> int:
        return int(self._a[1 + self.workers: 1 + 2 * self.workers].sum())

    def set_loss(self, slot: int, loss: float) -> None:
        self._a[1 + 2 * self.workers + slot] = loss

    def loss(self) -> float:
        """The mean of the workers' last losses (NaN before any worker reported one)."""
        reported = self._a[1 + 2 * self.workers:]
        reported = reported[~np.isnan(reported)]
        return float(reported.mean()) if reported.size else math.nan

    @property
    def stop(self) -> bool:
        return bool(self._a[0])

    def tell_stop(self) -> None:
        self._a[0] = 1.0


class WorkerFailed(RuntimeError):
    """A worker process stopped on an error that is not the user's (its traceback is the message)."""


def run_forked(run, kept: torch.Tensor, kept_docs: torch.Tensor, bounds: list[tuple[int, int]], workers: int,
               gen: torch.Generator, bar, after_segment=None) -> None:
    """Train kept centres ``bounds[s]`` (one range per segment) in ``workers`` forked processes,
    each on its own slice of every segment; ``after_segment()`` runs in the parent after each
    segment, while the workers wait (the merge under torchrun).

    ``run`` is the :class:`~embeddings.word2vec.blocks.BlockTrainer`, whose tables must be in
    shared memory (:func:`shared_tensor`) and whose ``tally`` is a :class:`Tally`."""
    tally = run.tally                       # reset by the last call's run.absorb
    seeds = torch.randint(0, 2**62, (len(bounds), workers), generator=gen).tolist()
    ctx = multiprocessing.get_context("fork")
    conns, procs = [], []
    try:
        for w in range(workers):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(run, w, workers, kept, kept_docs, bounds, seeds, theirs,
                                                     os.getpid()),
                               name=f"word2vec-hogwild-{w}", daemon=True)
            proc.start()
            theirs.close()
            conns.append(mine)
            procs.append(proc)
        for s in range(len(bounds)):
            for conn in conns:
                conn.send(s)
            waiting = dict(zip(conns, range(workers)))
            while waiting:
                for conn in multiprocessing.connection.wait(list(waiting), timeout=POLL_SECONDS):
                    _answer(conn, procs[waiting.pop(conn)])
                if interrupt.pending():
                    tally.tell_stop()      # the workers leave at their next block
                if bar is not None:
                    bar.set_postfix(loss=f"{tally.loss():.3f}", refresh=False)
                    bar.update(run.words_done() - bar.n)
            if after_segment is not None:
                after_segment()
    except BaseException:
        tally.tell_stop()
        raise
    finally:
        for conn in conns:
            try:
                conn.send(None)
            except OSError:
                pass                       # that worker is gone already
        for proc in procs:
            proc.join(JOIN_SECONDS)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in conns:
            conn.close()
        run.absorb(tally)


def _answer(conn, proc) -> None:
    """Read a worker's word on its segment: nothing more to do when it is done, else raise its error."""
    try:
        word = conn.recv()
    except EOFError:
        proc.join(JOIN_SECONDS)
        raise WorkerFailed(f"word2vec worker process {proc.name} ended without finishing its share "
                           f"(exit code {proc.exitcode}; killed for lack of memory?)") from None
    if word[0] == "done":
        return
    _, kind, message, trace = word
    if kind == "InputError":
        raise InputError(message)      # the user's: training diverged, with what to change
    raise WorkerFailed(f"word2vec worker process {proc.name} failed:\n{trace}")


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when ``parent`` dies, however it dies (``kill -9`` too):
    an orphan would go on training tables nobody reads until its share ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:                      # it died before that call
        os._exit(1)


def _worker(run, w: int, workers: int, kept, kept_docs, bounds, seeds, conn, parent: int) -> None:
    """A forked worker: one segment at a time, as the parent says, until told ``None``."""
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    torch.set_num_threads(1)
    run.slot = w
    try:
        while (s := conn.recv()) is not None:
            run.worker_share(kept, kept_docs, *bounds[s], w, workers, seeds[s][w])
            conn.send(("done",))
    except EOFError:
        pass                                          # the parent is gone
    except BaseException as exc:
        try:
            conn.send(("error", type(exc).__name__, str(exc), traceback.format_exc()))
        except OSError:
            pass
