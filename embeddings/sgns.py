"""The two embedding tables of word2vec and their negative-sampling updates (torch).

Skip-gram and CBOW share one objective (Mikolov et al. 2013, "Distributed Representations
of Words and Phrases"): for an input vector ``h`` and an output word ``o`` with ``k`` noise
words ``n_1..n_k``,

    loss = -log sigmoid(u_o . h) - sum_j log sigmoid(-u_nj . h)

where ``u`` are rows of the output table.  As in the C tool, the update is plain SGD written
out by hand, no autograd: for each scored output row ``g = lr * (label - sigmoid(score))``;
the output row moves by ``g * h`` and the input side by ``sum g * u``.  Only touched rows
change, through ``index_add_`` (duplicates in a batch add up, as Hogwild threads would).

A batch is a block of centre words, each with its window of context words::

    context (B, 2W) ──▶ input rows      targets (B, 1+k) = centre word, k noise words ──▶ output rows

* skip-gram: every real context word is an input ``h`` scored against the targets of its
  centre (the C tool's pairing: the context word predicts the centre word).  The ``k`` noise
  words are drawn once per window and shared by its pairs, which turns the scores into one
  small matrix product per window instead of a gather per pair.
* CBOW: ``h`` is the mean of the real context rows; every context word receives the whole
  input-side step, undivided, like the C tool and gensim's ``cbow_mean=1``.

Tables: the input one starts uniform in ``+-0.5/dim``, the output one at zero.

A block's steps are all taken from the same (stale) tables.  ``update`` says how a row that
several of them touch moves: ``"sum"`` adds its steps (the C tool's arithmetic, right while
blocks are small), ``"newton"`` adds them but never further than half of the point where the
row's loss on the block's pairs, along that summed step, stops falling (:func:`apply_newton`),
``"sequential"`` scales the sum by a curvature bound (:func:`apply_sequential`).  These are the
batched steps a GPU runs; the CPU's default, ``"online"``, takes a block's windows in turn as a
compiled loop instead (:mod:`embeddings.sgns_loop`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch.nn.functional import embedding_bag, logsigmoid

from textprep.errors import InputError


class SGNSTables:
    """Input (``w_in``) and output (``w_out``) tables, both ``(V, dim)`` float32."""

    def __init__(self, vocab_size: int, dim: int, device: torch.device, generator: torch.Generator):
        self.w_in = (torch.rand(vocab_size, dim, device=device, generator=generator) - 0.5) / dim
        self.w_out = torch.zeros(vocab_size, dim, device=device)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"w_in": self.w_in, "w_out": self.w_out}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for name in ("w_in", "w_out"):
            mine = getattr(self, name)
            if name not in state or state[name].shape != mine.shape:
                got = tuple(state[name].shape) if name in state else None
                raise InputError(f"checkpoint table {name} has shape {got}, expected {tuple(mine.shape)}")
            mine.copy_(state[name])


def _gradients(scores: torch.Tensor, lr: float) -> torch.Tensor:
    """``lr * (label - sigmoid(score))`` where the last axis holds the positive first."""
    g = torch.sigmoid(scores).neg_()
    g[..., 0] += 1.0
    return g.mul_(lr)


def sequential_factor(n: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``(1 - (1 - a)^n) / (n a)``: the share of ``n`` stale summed steps that ``n`` sequential
    steps cover on a quadratic whose per-step contraction is ``a``; 1 where ``n <= 1``."""
    a = a.clamp(1e-12, 1.0 - 1e-6)
    ratio = -torch.expm1(n * torch.log1p(-a)) / (n * a).clamp(min=1e-30)
    return torch.where(n > 1, ratio, torch.ones_like(ratio))


def apply_sequential(table: torch.Tensor, index: torch.Tensor, grads: torch.Tensor, count: torch.Tensor,
                     curvature: torch.Tensor, lr: float) -> None:
    """Add a block's updates to ``table`` rows so that a row updated many times moves as far as
    sequential SGD would have moved it, not as far as the sum of its stale steps.

    A row that receives ``n`` updates in one block gets ``n`` gradients taken at the same stale
    point, where SGD one example at a time would have moved it after each.  On a loss that is
    locally quadratic along the row's step, with curvature ``c`` per update, ``n`` sequential
    steps of size ``lr`` cover ``(1 - (1 - lr c)^n) / (lr c)`` gradients where the stale sum
    covers ``n``; the row's sum is scaled by that ratio (:func:`sequential_factor`).  A row
    updated once keeps its step exactly; a row updated very often approaches one Newton step.

    ``index`` (E,) rows, ``grads`` (E, D) their steps, ``count`` (E,) how many updates each entry
    carries and ``curvature`` (E,) their summed curvature.  The callers use the bound
    ``sigmoid'(score) |x|^2`` for a negative-sampling pair with other side ``x`` (the largest
    curvature in any direction): the value along the step alone, ``sigmoid'(score) (x . d)^2``,
    ignores that both sides of a pair move at once, and with it 16,384-word blocks diverged.
    """
    rows, inverse = torch.unique(index, return_inverse=True)
    total = grads.new_zeros(rows.shape[0], grads.shape[1]).index_add_(0, inverse, grads)
    n = count.new_zeros(rows.shape[0]).index_add_(0, inverse, count)
    c = curvature.new_zeros(rows.shape[0]).index_add_(0, inverse, curvature)
    factor = sequential_factor(n, lr * c / n.clamp(min=1e-12))
    table.index_add_(0, rows, total.mul_(factor.unsqueeze(1)))


#: the share of the way to the minimum of a row's loss along its summed step that a block may take.
#: Both sides of a pair move in the same block, each towards its own minimum: at the whole way the
#: two together overshot (16,384-word skip-gram blocks diverged), at half of it they stay below the
#: joint one.
NEWTON_SHARE = 0.5
#: Newton steps on a row's loss along its summed step, taken where the quadratic model at the stale
#: point would already pass the minimum
NEWTON_STEPS = 2


class RowPairs(NamedTuple):
    """A block's pairs as one table's row entries see them (for :func:`apply_newton`).

    ``scores`` are the pairs' scores at the block's stale tables, shaped so that removing axis
    ``dim`` leaves one entry per row occurrence, in the order of the ``index`` given with them;
    ``labels`` (1 for the centre word's pair, 0 for a noise word's) and ``weight`` (0 on padding)
    broadcast against ``scores``.
    """

    scores: torch.Tensor
    labels: torch.Tensor
    weight: torch.Tensor
    dim: int


def _slopes(pairs: RowPairs, moves: torch.Tensor, at: torch.Tensor, inverse: torch.Tensor,
            n_rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """First and second derivative, per row, of the block's loss on the row's pairs when each row
    has taken ``at`` (R,) times its summed step, under which a pair's score moves by ``at`` times
    ``moves`` (shaped like ``pairs.scores``)."""
    shape = [n for i, n in enumerate(pairs.scores.shape) if i != pairs.dim]
    t = at.index_select(0, inverse).view(shape).unsqueeze(pairs.dim)
    z = torch.sigmoid(pairs.scores + t * moves)
    first = ((z - pairs.labels) * moves * pairs.weight).sum(pairs.dim).reshape(-1)
    second = (z * (1.0 - z) * moves.square() * pairs.weight).sum(pairs.dim).reshape(-1)
    return (first.new_zeros(n_rows).index_add_(0, inverse, first),
            second.new_zeros(n_rows).index_add_(0, inverse, second))


def newton_distance(total: torch.Tensor, lr: float, slopes: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
                    ) -> torch.Tensor:
    """Per row, how many times its summed step ``total`` (R, D) to go before its loss along that
    step stops falling, at most ``1 / NEWTON_SHARE`` (beyond that the whole step is taken anyway).

    The first guess is Newton's from the stale point: the steps are ``lr`` times the negative
    gradient, so along ``G`` the loss falls at the rate ``|G|^2 / lr`` and curves by ``G^T H G``,
    lowest at ``|G|^2 / (lr G^T H G)`` if it were quadratic.  It is not: a pair whose score sits deep
    in the flat tail of the sigmoid has almost no curvature at the stale point, so that guess sends
    a row that many such pairs push the same way far past the point where they turn (65,536-word
    skip-gram blocks diverged).  So the guess is checked: where the loss already rises there, a
    bracketed Newton search on the true loss along the step (:data:`NEWTON_STEPS` steps, halving
    the bracket where a step leaves it) brings it back.  ``slopes(t)`` gives each row's first
    and second derivative at ``t`` times its step.
    """
    limit = 1.0 / NEWTON_SHARE
    _, curve = slopes(total.new_zeros(total.shape[0]))
    guess = (total.square().sum(1) / (lr * curve).clamp(min=1e-30)).clamp(max=limit)
    first, _ = slopes(guess)
    past = first > 0                       # the loss rises at the guess: its minimum lies before it
    lo, hi = torch.zeros_like(guess), guess.clone()
    t = torch.where(past, 0.5 * guess, guess)
    for _ in range(NEWTON_STEPS):
        first, second = slopes(t)
        falling = first < 0
        lo, hi = torch.where(falling, t, lo), torch.where(falling, hi, t)
        step = t - first / second.clamp(min=1e-30)
        t = torch.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
    return torch.where(past, t, guess)


def apply_newton(table: torch.Tensor, index: torch.Tensor, grads: torch.Tensor, lr: float,
                 moves: Callable[[torch.Tensor], torch.Tensor], pairs: RowPairs) -> None:
    """Add a block's updates to ``table`` rows, each row's sum shortened where it would take the row
    past half of the way to the minimum of its loss along it (:func:`newton_distance`).

    ``index`` (E,) rows and ``grads`` (E, D) their steps.  ``moves(G)`` takes each entry's row
    total ``G`` (E, D) and returns how far each of the entry's pairs' scores moves when the row
    moves by ``G`` (shaped like ``pairs.scores``): ``x . G`` for a pair whose other side is ``x``.
    Unlike :func:`apply_sequential`, which bounds the curvature in every direction, this measures
    the loss along the step: a word updated from many different contexts keeps its whole step,
    while one pulled the same way by many updates (a frequent word early in training) is cut short.
    A row updated once keeps its step unless that step alone would pass half of its minimum.
    """
    rows, inverse = torch.unique(index, return_inverse=True)
    total = grads.new_zeros(rows.shape[0], grads.shape[1]).index_add_(0, inverse, grads)
    along = moves(total.index_select(0, inverse))
    distance = newton_distance(total, lr, lambda t: _slopes(pairs, along, t, inverse, rows.shape[0]))
    table.index_add_(0, rows, total.mul_((NEWTON_SHARE * distance).clamp(max=1.0).unsqueeze(1)))


def _labels(n_targets: int, like: torch.Tensor) -> torch.Tensor:
    """``(1, 0, ..., 0)``: the centre word's pair first, then the noise words'."""
    labels = like.new_zeros(n_targets)
    labels[0] = 1.0
    return labels


def _loss(scores: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Summed ``-log s(x_pos) - sum log s(-x_neg)`` over the examples with ``weight`` 1."""
    per = logsigmoid(scores[..., 0]) + logsigmoid(-scores[..., 1:]).sum(-1)
    return -(per * weight).sum()


def skipgram_step(
    tables: SGNSTables,
    context: torch.Tensor,
    mask: torch.Tensor,
    targets: torch.Tensor,
    lr: float,
    with_loss: bool = False,
    update: str = "sum",
) -> torch.Tensor | None:
    """One SGD step on skip-gram windows.

    ``context`` (B, S) ids and ``mask`` (B, S) bool marking the real context words (S slots:
    ``2 * window``, or ``2 * span`` in a block of windows of one span);
    ``targets`` (B, 1+k) the centre word then the window's ``k`` noise words.
    ``update`` is how rows touched several times move (``sum``, ``newton``, ``sequential``: see
    the module's docstring).
    Returns the summed loss over the real pairs when ``with_loss`` (a 0-d tensor), else None.
    """
    b, slots = context.shape
    dim = tables.w_in.shape[1]
    maskf = mask.to(tables.w_in.dtype)
    h = tables.w_in.index_select(0, context.reshape(-1)).view(b, slots, dim)      # (B, 2W, D)
    u = tables.w_out.index_select(0, targets.reshape(-1)).view(b, -1, dim)        # (B, 1+k, D)
    scores = torch.bmm(h, u.transpose(1, 2))                                       # (B, 2W, 1+k)
    loss = _loss(scores, maskf) if with_loss else None
    g = _gradients(scores, lr).mul_(maskf.unsqueeze(2))                            # padded slots: 0
    grad_u = torch.bmm(g.transpose(1, 2), h)                                       # (B, 1+k, D)
    grad_h = torch.bmm(g, u)                                                       # (B, 2W, D)
    if update == "newton":
        labels = _labels(targets.shape[1], scores)
        # an output row's pairs are its window's context rows (axis 1), an input row's the targets (axis 2)
        apply_newton(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), lr,
                     lambda G: torch.bmm(h, G.view(b, -1, dim).transpose(1, 2)),
                     RowPairs(scores, labels, maskf.unsqueeze(2), 1))
        apply_newton(tables.w_in, context.reshape(-1), grad_h.view(-1, dim), lr,
                     lambda G: torch.bmm(G.view(b, slots, dim), u.transpose(1, 2)),
                     RowPairs(scores, labels, maskf.unsqueeze(2), 2))
        return loss
    if update == "sequential":
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_(maskf.unsqueeze(2))                         # sigmoid' on real pairs
        n_t = targets.shape[1]

        # output rows: each real pair is one update, its other side the context row
        curv_out = (sp * h.square().sum(2).unsqueeze(2)).sum(1).reshape(-1)
        # input rows: each real slot is one update, its other sides the targets
        curv_in = (sp * u.square().sum(2).unsqueeze(1)).sum(2).reshape(-1)
        per_target = maskf.sum(1, keepdim=True).expand(b, n_t).reshape(-1)
        apply_sequential(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), per_target, curv_out, lr)
        apply_sequential(tables.w_in, context.reshape(-1), grad_h.view(-1, dim), maskf.reshape(-1), curv_in, lr)
        return loss
    tables.w_out.index_add_(0, targets.reshape(-1), grad_u.view(-1, dim))
    tables.w_in.index_add_(0, context.reshape(-1), grad_h.view(-1, dim))
    return loss


def cbow_flatten(context: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The real context words of CBOW windows, flattened in row-major order.

    Returns ``(ids (M,), window (M,), counts (B,))``: each real context word, the window (row)
    it belongs to, and the number of real words per window.
    """
    rows, cols = mask.nonzero(as_tuple=True)
    return context[rows, cols], rows, mask.sum(1)


def cbow_step(
    tables: SGNSTables,
    context: torch.Tensor,
    mask: torch.Tensor,
    targets: torch.Tensor,
    lr: float,
    with_loss: bool = False,
    update: str = "sum",
) -> torch.Tensor | None:
    """One SGD step on CBOW windows (same arguments as ``skipgram_step``).

    Windows without any real context word are left out of the step.
    """
    flat_ctx, rows, n_ctx = cbow_flatten(context, mask)
    return cbow_step_flat(tables, flat_ctx, rows, n_ctx, targets, lr, with_loss, update)


def cbow_step_flat(
    tables: SGNSTables,
    flat_ctx: torch.Tensor,
    rows: torch.Tensor,
    n_ctx: torch.Tensor,
    targets: torch.Tensor,
    lr: float,
    with_loss: bool = False,
    update: str = "sum",
) -> torch.Tensor | None:
    """``cbow_step`` on windows already flattened by :func:`cbow_flatten`."""
    dim = tables.w_in.shape[1]
    offsets = torch.cumsum(n_ctx, 0) - n_ctx
    # embedding_bag's fused gather-and-add, then the mean of each window's context rows (B, D)
    # (mode="mean" took 1.7 times as long on the CPU)
    h = embedding_bag(flat_ctx, tables.w_in, offsets, mode="sum").div_(n_ctx.clamp(min=1).unsqueeze(1))
    u = tables.w_out.index_select(0, targets.reshape(-1)).view(targets.shape[0], -1, dim)   # (B, 1+k, D)
    # Broadcast-multiply-and-sum beats bmm for these thin (1+k, D) x (D, 1) products on CPU.
    scores = (u * h.unsqueeze(1)).sum(2)                                            # (B, 1+k)
    loss = _loss(scores, (n_ctx > 0).to(h.dtype)) if with_loss else None
    # A window without context has h = 0 (an empty bag): its output rows get g * 0 and no
    # input row receives its step, so it changes nothing without being masked out.
    g = _gradients(scores, lr)
    grad_u = g.unsqueeze(2) * h.unsqueeze(1)                                       # outer products (B, 1+k, D)
    grad_h = torch.bmm(g.unsqueeze(1), u).squeeze(1)                               # (B, D)
    grad_ctx = grad_h.index_select(0, rows)                                         # (M, D)
    if update == "newton":
        b, labels, has = targets.shape[0], _labels(targets.shape[1], scores), (n_ctx > 0).to(h.dtype)
        # an output row has one pair, its window's mean context h
        apply_newton(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), lr,
                     lambda G: (G.view(b, -1, dim) * h.unsqueeze(1)).sum(2, keepdim=True),
                     RowPairs(scores.unsqueeze(2), labels.unsqueeze(1), has.view(-1, 1, 1), 2))
        # A context row moved by d alone would move its window's mean by d / n, but every context
        # row of the window takes the window's step, so they move together and the mean moves by
        # about d: its pairs are the window's, with the window's own scores (with d / n, 16,384-word
        # blocks diverged).
        u_ctx = u.index_select(0, rows)
        apply_newton(tables.w_in, flat_ctx, grad_ctx, lr, lambda G: (u_ctx * G.unsqueeze(1)).sum(2),
                     RowPairs(scores.index_select(0, rows), labels, scores.new_ones(()), 1))
        return loss
    if update == "sequential":
        has = (n_ctx > 0).to(h.dtype)
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_(has.unsqueeze(1))                               # (B, 1+k)
        b, n_t = targets.shape

        # output rows: one update per window, its other side the mean context h
        curv_out = (sp * h.square().sum(1, keepdim=True)).reshape(-1)
        # a context row moved by d moves the mean h by d / n: its curvature is the window's over n
        curv_in = ((sp * u.square().sum(2)).sum(1) / n_ctx.clamp(min=1)).index_select(0, rows)
        per_target = has.unsqueeze(1).expand(b, n_t).reshape(-1)
        apply_sequential(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), per_target, curv_out, lr)
        apply_sequential(tables.w_in, flat_ctx, grad_ctx, torch.ones_like(flat_ctx, dtype=h.dtype), curv_in, lr)
        return loss
    tables.w_out.index_add_(0, targets.reshape(-1), grad_u.view(-1, dim))
    tables.w_in.index_add_(0, flat_ctx, grad_ctx)
    return loss
