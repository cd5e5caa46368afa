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
"""
from __future__ import annotations

import torch
from torch.nn.functional import embedding_bag, logsigmoid


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
                raise ValueError(f"checkpoint table {name} has shape {got}, expected {tuple(mine.shape)}")
            mine.copy_(state[name])


def _gradients(scores: torch.Tensor, lr: float) -> torch.Tensor:
    """``lr * (label - sigmoid(score))`` where the last axis holds the positive first."""
    g = torch.sigmoid(scores).neg_()
    g[..., 0] += 1.0
    return g.mul_(lr)


def sequential_scale(index: torch.Tensor, n_rows: int, count: torch.Tensor, curvature: torch.Tensor,
                     lr: float) -> torch.Tensor:
    """Per entry of ``index``: how much of its row's summed block step to apply.

    A row that receives ``n`` updates in one block gets the sum of ``n`` gradients taken at
    the same stale point, where SGD one example at a time would have moved it after each.
    On a loss that is locally quadratic along the step, with curvature ``c`` per update,
    ``n`` sequential steps of size ``lr`` cover ``(1 - (1 - lr c)^n) / (lr c)`` times the
    gradient where the stale sum covers ``n`` times it; this returns the ratio of the two, so
    the row lands where the sequential steps would have taken it.  A row updated once keeps
    its step exactly (ratio 1), a row updated many times approaches one Newton step.

    ``count`` (E,) is how many updates each entry carries and ``curvature`` (E,) their summed
    curvature (``sigmoid'(score) * |other side|^2`` for a negative-sampling pair).
    """
    n = torch.bincount(index, weights=count, minlength=n_rows)
    c = torch.bincount(index, weights=curvature, minlength=n_rows)
    touched = n > 0
    a = (lr * c / n.clamp(min=1e-12)).clamp_(1e-12, 1.0 - 1e-6)           # per-update contraction
    ratio = -torch.expm1(n * torch.log1p(-a)) / (n * a).clamp(min=1e-30)
    ratio = torch.where(touched & (n > 1), ratio, torch.ones_like(ratio)).to(torch.float32)
    return ratio.index_select(0, index)


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
    sequential: bool = False,
) -> torch.Tensor | None:
    """One SGD step on skip-gram windows.

    ``context`` (B, 2W) ids and ``mask`` (B, 2W) bool marking the real context words;
    ``targets`` (B, 1+k) the centre word then the window's ``k`` noise words.
    ``sequential=True`` scales each row's summed step to the one sequential steps would take
    (:func:`sequential_scale`); otherwise the block's steps simply add up.
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
    if sequential:
        v = tables.w_in.shape[0]
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_(maskf.unsqueeze(2))                         # sigmoid' on real pairs
        per_target = maskf.sum(1, keepdim=True).expand(b, targets.shape[1])       # one update per real pair
        grad_u.mul_(sequential_scale(targets.reshape(-1), v, per_target.reshape(-1),
                                     (sp * h.pow(2).sum(2).unsqueeze(2)).sum(1).reshape(-1), lr).view(b, -1, 1))
        grad_h.mul_(sequential_scale(context.reshape(-1), v, maskf.reshape(-1),
                                     (sp * u.pow(2).sum(2).unsqueeze(1)).sum(2).reshape(-1), lr).view(b, slots, 1))
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
    sequential: bool = False,
) -> torch.Tensor | None:
    """One SGD step on CBOW windows (same arguments as ``skipgram_step``).

    Windows without any real context word are left out of the step.
    """
    flat_ctx, rows, n_ctx = cbow_flatten(context, mask)
    return cbow_step_flat(tables, flat_ctx, rows, n_ctx, targets, lr, with_loss, sequential)


def cbow_step_flat(
    tables: SGNSTables,
    flat_ctx: torch.Tensor,
    rows: torch.Tensor,
    n_ctx: torch.Tensor,
    targets: torch.Tensor,
    lr: float,
    with_loss: bool = False,
    sequential: bool = False,
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
    if sequential:
        v = tables.w_in.shape[0]
        has = (n_ctx > 0).to(h.dtype)
        sig = torch.sigmoid(scores)
        sp = sig.mul_(1.0 - sig).mul_(has.unsqueeze(1))                               # (B, 1+k)
        per_target = has.unsqueeze(1).expand_as(sp)                                  # one update per window
        grad_u.mul_(sequential_scale(targets.reshape(-1), v, per_target.reshape(-1),
                                     (sp * h.pow(2).sum(1, keepdim=True)).reshape(-1), lr).view_as(sp).unsqueeze(2))
        # a context row moved by d moves the mean h by d / n: its curvature is the window's over n
        per_window = (sp * u.pow(2).sum(2)).sum(1) / n_ctx.clamp(min=1)
        grad_ctx.mul_(sequential_scale(flat_ctx, v, torch.ones_like(flat_ctx, dtype=h.dtype),
                                       per_window.index_select(0, rows), lr).unsqueeze(1))
    tables.w_out.index_add_(0, targets.reshape(-1), grad_u.view(-1, dim))
    tables.w_in.index_add_(0, flat_ctx, grad_ctx)
    return loss
