"""The sampling details that make word2vec work, as plain numpy functions.

Each function mirrors one step of the reference C tool (Mikolov et al., 2013,
``word2vec.c``) and of gensim's ``word2vec_inner``:

* ``keep_probabilities``: subsampling of frequent words.  A word of relative frequency
  ``f`` is kept with probability ``(sqrt(f / t) + 1) * t / f`` (capped at 1), where
  ``t`` is ``sample``.  This is the C tool's formula, not the paper's ``1 - sqrt(t/f)``.
* ``noise_distribution`` and ``AliasTable``: negatives come from the unigram
  distribution raised to 0.75; the alias method (Walker 1977, Vose 1991) draws from it
  in O(1) per sample with two lookups, the same on CPU and GPU.
* ``window_pairs``: the dynamic window.  Each centre word draws ``b`` uniformly from
  ``1..window`` and pairs with the words at distance ``1..b`` on both sides, never across a
  document boundary.  Near words are thus paired more often than far ones.
* ``draw_negatives``: ``k`` noise words per pair, redrawn wherever one equals the positive.

``embeddings.word2vec`` runs torch versions of the last two on the device, batch by batch;
the functions here are the specification its tests compare against.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textprep.errors import InputError


def keep_probabilities(counts: Sequence[int] | np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of each word, shape ``(V,)`` float64.

    ``sample <= 0`` turns subsampling off (every word kept).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise InputError(f"counts must be a non-empty 1-D sequence, got shape {counts.shape}")
    if (counts <= 0).any():
        raise InputError(f"counts must be positive, got {counts[counts <= 0][:3].tolist()}")
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()          # t * (number of training words)
    keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(keep, 1.0)


def noise_distribution(counts: Sequence[int] | np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution ``count**power / sum(count**power)``, shape ``(V,)``."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise InputError(f"counts must be a non-empty 1-D sequence, got shape {counts.shape}")
    if (counts < 0).any() or counts.sum() <= 0:
        raise InputError("counts must be non-negative with a positive sum")
    weights = counts ** power
    return weights / weights.sum()


class AliasTable:
    """Walker's alias method: O(1) draws from a fixed discrete distribution.

    Bucket ``i`` (chosen uniformly) returns ``i`` with probability ``prob[i]`` and
    ``alias[i]`` otherwise; the table is built so that this reproduces ``p`` exactly.
    """

    def __init__(self, p: np.ndarray):
        p = np.asarray(p, dtype=np.float64)
        n = p.size
        scaled = p * n / p.sum()
        prob = np.ones(n, dtype=np.float64)
        alias = np.arange(n, dtype=np.int64)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        # Vose's pairing: each small bucket is topped up by one large word.
        while small and large:
            s, g = small.pop(), large.pop()
            prob[s] = scaled[s]
            alias[s] = g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        # Leftovers are 1 up to rounding.
        self.prob = prob
        self.alias = alias

    def probabilities(self) -> np.ndarray:
        """The distribution the table draws from (for checks): shape ``(V,)``."""
        n = self.prob.size
        out = self.prob / n
        np.add.at(out, self.alias, (1.0 - self.prob) / n)
        return out

    def sample(self, rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        bucket = rng.integers(0, self.prob.size, size=shape)
        take = rng.random(size=shape) < self.prob[bucket]
        return np.where(take, bucket, self.alias[bucket])


def window_pairs(
    ids: np.ndarray, docs: np.ndarray, spans: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) id pairs of a dynamic window, in centre order then offset order.

    ``ids`` and ``docs`` (document number of each position) have shape ``(N,)``;
    ``spans[i]`` in ``1..window`` is the reduced window drawn for centre ``i``.
    Offsets run ``-window..-1, 1..window``; a pair is kept when ``|offset| <= spans[i]``,
    the context position exists, and it lies in the same document.
    """
    ids, docs, spans = np.asarray(ids), np.asarray(docs), np.asarray(spans)
    n = ids.size
    offsets = np.array([o for o in range(-window, window + 1) if o != 0])
    pos = np.arange(n)[:, None] + offsets[None, :]                 # (N, 2W)
    inside = (pos >= 0) & (pos < n)
    pos_c = np.clip(pos, 0, max(n - 1, 0))
    ok = inside & (np.abs(offsets)[None, :] <= spans[:, None]) & (docs[pos_c] == docs[:, None])
    rows, cols = np.nonzero(ok)
    return ids[rows], ids[pos_c[rows, cols]]


def draw_negatives(
    table: AliasTable, positives: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """``k`` noise words per positive, shape ``(len(positives), k)``, none equal to its positive.

    Clashes are redrawn (the C tool skips them instead, which leaves fewer negatives).
    A vocabulary of one word has no valid negatives, so it is rejected.
    """
    if table.prob.size < 2:
        raise InputError("negative sampling needs at least 2 words in the vocabulary")
    positives = np.asarray(positives)
    neg = table.sample(rng, (positives.size, k))
    clash = neg == positives[:, None]
    while clash.any():
        neg[clash] = table.sample(rng, int(clash.sum()))
        clash = neg == positives[:, None]
    return neg
