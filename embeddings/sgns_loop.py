"""The negative-sampling steps as compiled loops over windows: the CPU's ``online`` update.

Same arguments and same objective as :func:`embeddings.sgns.skipgram_step` and
:func:`embeddings.sgns.cbow_step_flat`, but each window's step is taken in turn from the tables
as the block's earlier windows left them, as the C tool and gensim do, instead of all of a
block's steps from the same stale tables.  On the CPU the batched torch step spends most of its
time writing and re-reading ``(pairs, dim)`` temporaries and in scatter-adds; a loop that touches
only the rows of the window at hand ran a CBOW epoch (4M words of the English corpus, 2 workers)
at 0.71M words/s against 0.39-0.44M for the batched step.  The GPU keeps the batched step: it is
what a GPU is fast at.

The loops are compiled by numba on first use (a few seconds, cached on disk after that) and
release the GIL, so Hogwild worker threads run them side by side.  ``lr`` and the tables are
float32; ids are any integer type numba can index with.
"""
from __future__ import annotations

import math

import numba
import numpy as np
import torch


@numba.njit(nogil=True, fastmath=True, cache=True)
def _softplus(x: float) -> float:
    """``log(1 + exp(x))`` without overflow: the loss ``-log sigmoid(-x)``."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _pair(h, w_out, o, e, lr, label, with_loss):
    """One scored pair of ``h`` and output row ``o``: ``g = lr * (label - sigmoid(h . u))``;
    ``e += g * u``, then ``u += g * h``.  Returns the pair's loss when ``with_loss`` (else 0)."""
    f = np.float32(0.0)
    for d in range(h.shape[0]):
        f += h[d] * w_out[o, d]
    g = np.float32(lr * (label - 1.0 / (1.0 + math.exp(-f))))
    for d in range(h.shape[0]):
        e[d] += g * w_out[o, d]
        w_out[o, d] += g * h[d]
    if not with_loss:
        return 0.0
    return _softplus(-f) if label == 1.0 else _softplus(f)


@numba.njit(nogil=True, fastmath=True, cache=True)
def skipgram_loop(w_in, w_out, context, mask, targets, lr, with_loss):
    """Skip-gram windows in order: every real context row of a window is scored against the
    window's targets (centre word, then its noise words) and moved once after them.
    Returns the summed loss of the pairs (0 unless ``with_loss``)."""
    e = np.empty(w_in.shape[1], np.float32)
    loss = 0.0
    for b in range(context.shape[0]):
        for j in range(context.shape[1]):
            if not mask[b, j]:
                continue
            h = w_in[context[b, j]]
            e[:] = 0.0
            for t in range(targets.shape[1]):
                loss += _pair(h, w_out, targets[b, t], e, lr, 1.0 if t == 0 else 0.0, with_loss)
            h += e
    return loss


@numba.njit(nogil=True, fastmath=True, cache=True)
def cbow_loop(w_in, w_out, flat_ctx, n_ctx, targets, lr, with_loss):
    """CBOW windows in order: the mean of a window's context rows is scored against its targets,
    and every context row takes the whole input-side step.  ``flat_ctx`` holds the windows'
    context ids one window after another, ``n_ctx`` how many each has (windows with none are
    skipped).  Returns the summed loss (0 unless ``with_loss``)."""
    dim = w_in.shape[1]
    h = np.empty(dim, np.float32)
    e = np.empty(dim, np.float32)
    loss = 0.0
    first = 0
    for b in range(n_ctx.shape[0]):
        n = n_ctx[b]
        if n == 0:
            continue
        for d in range(dim):
            h[d] = 0.0
            e[d] = 0.0
        for j in range(first, first + n):
            c = flat_ctx[j]
            for d in range(dim):
                h[d] += w_in[c, d]
        inv = np.float32(1.0 / n)
        for d in range(dim):
            h[d] *= inv
        for t in range(targets.shape[1]):
            loss += _pair(h, w_out, targets[b, t], e, lr, 1.0 if t == 0 else 0.0, with_loss)
        for j in range(first, first + n):
            c = flat_ctx[j]
            for d in range(dim):
                w_in[c, d] += e[d]
        first += n
    return loss


def skipgram_step_online(tables, context: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor, lr: float,
                         with_loss: bool = False, update: str = "online") -> float | None:
    """:func:`skipgram_loop` with the arguments of :func:`embeddings.sgns.skipgram_step` (CPU tensors)."""
    loss = skipgram_loop(tables.w_in.numpy(), tables.w_out.numpy(), context.numpy(), mask.numpy(),
                         targets.numpy(), float(lr), with_loss)
    return loss if with_loss else None


def cbow_step_online(tables, flat_ctx: torch.Tensor, rows: torch.Tensor, n_ctx: torch.Tensor, targets: torch.Tensor,
                     lr: float, with_loss: bool = False, update: str = "online") -> float | None:
    """:func:`cbow_loop` with the arguments of :func:`embeddings.sgns.cbow_step_flat` (CPU tensors;
    ``rows`` is not needed: the windows' context words come in window order)."""
    loss = cbow_loop(tables.w_in.numpy(), tables.w_out.numpy(), flat_ctx.numpy(), n_ctx.numpy(),
                     targets.numpy(), float(lr), with_loss)
    return loss if with_loss else None


def compile_loops() -> None:
    """Compile (or load from numba's cache) both loops for the argument types the trainer passes,
    on tiny arrays: done once before Hogwild workers start, so that they do not each compile."""
    w = np.zeros((2, 1), np.float32)
    ids = np.zeros((1, 1), np.int64)
    skipgram_loop(w, w.copy(), ids, np.ones((1, 1), np.bool_), ids, 0.0, False)
    cbow_loop(w, w.copy(), np.zeros(1, np.int64), np.ones(1, np.int64), ids, 0.0, False)
