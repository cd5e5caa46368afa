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
row's loss, modelled as quadratic along that summed step, stops falling (:func:`apply_newton`),
``"sequential"`` scales the sum by a curvature bound (:func:`apply_sequential`).
"""
from __future__ import annotations

from collections.abc import Callable

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


#: the share of a row's one-dimensional Newton step that a block may take.  Both sides of a pair
#: move in the same block, each towards its own minimum; at the whole step the two together
#: overshot (16,384-word skip-gram blocks diverged), at half of it they stay below the joint one.
NEWTON_SHARE = 0.5


def newton_factor(total: torch.Tensor, curvature: torch.Tensor, lr: float) -> torch.Tensor:
    """``min(1, NEWTON_SHARE * s)`` per row, where ``s = |G|^2 / (lr G^T H G)`` is the multiple of
    the summed step ``G`` at which the row's loss, quadratic along ``G``, is lowest.

    The steps are ``lr`` times the negative gradient, so along ``G`` the loss falls at the rate
    ``|G|^2 / lr`` and curves by ``G^T H G``.  ``total`` (R, D), ``curvature`` (R,).
    """
    best = total.square().sum(1) / (lr * curvature).clamp(min=1e-30)
    return (NEWTON_SHARE * best).clamp(max=1.0)


def apply_newton(table: torch.Tensor, index: torch.Tensor, grads: torch.Tensor, lr: float,
                 curvature_along: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Add a block's updates to ``table`` rows, each row's sum shortened where it would pass the
    minimum of the row's loss along it (:func:`newton_factor`).

    ``index`` (E,) rows and ``grads`` (E, D) their steps.  ``curvature_along(G)`` takes each
    entry's row total ``G`` (E, D) and returns ``G^T H_e G`` (E,), the entry's curvature along it;
    for a negative-sampling pair whose other side is ``x`` that is ``sigmoid'(score) (x . G)^2``.
    Unlike :func:`apply_sequential`, which bounds the curvature in every direction, this measures
    it along the step: a word updated from many different contexts keeps its whole step, while
    one pulled the same way by many updates (a frequent word early in training) is cut short.
    A row updated once keeps its step unless that step alone would pass the minimum.
    """
    rows, inverse = torch.unique(index, return_inverse=True)
    total = grads.new_zeros(rows.shape[0], grads.shape[1]).index_add_(0, inverse, grads)
    along = curvature_along(total.index_select(0, inverse))
    c = along.new_zeros(rows.shape[0]).index_add_(0, inverse, along)
    table.index_add_(0, rows, total.mul_(newton_factor(total, c, lr).unsqueeze(1)))


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

    ``context`` (B, 2W) ids and ``mask`` (B, 2W) bool marking the real context words;
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
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_(maskf.unsqueeze(2))                         # sigmoid' on real pairs
        # an output row's pairs have the context rows as other side, an input row's the targets
        apply_newton(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), lr, lambda G: (
            sp * torch.bmm(h, G.view(b, -1, dim).transpose(1, 2)).square_()).sum(1).reshape(-1))
        apply_newton(tables.w_in, context.reshape(-1), grad_h.view(-1, dim), lr, lambda G: (
            sp * torch.bmm(G.view(b, slots, dim), u.transpose(1, 2)).square_()).sum(2).reshape(-1))
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
    # embedding_bag's fused gather-and-average: the mean of each window's context rows (B, D).
    h = embedding_bag(flat_ctx, tables.w_in, offsets, mode="mean")
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
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_((n_ctx > 0).to(h.dtype).unsqueeze(1))             # (B, 1+k)
        b = targets.shape[0]
        apply_newton(tables.w_out, targets.reshape(-1), grad_u.view(-1, dim), lr, lambda G: (
            sp * (G.view(b, -1, dim) * h.unsqueeze(1)).sum(2).square_()).reshape(-1))
        # A context row moved by d alone would move its window's mean by d / n, but every context
        # row of the window takes the window's step, so they move together and the mean moves by
        # about d: the curvature along d is the window's own (with d / n, 16,384-word blocks diverged).
        u_ctx, sp_ctx = u.index_select(0, rows), sp.index_select(0, rows)
        apply_newton(tables.w_in, flat_ctx, grad_ctx, lr, lambda G: (
            sp_ctx * (u_ctx * G.unsqueeze(1)).sum(2).square_()).sum(1))
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
