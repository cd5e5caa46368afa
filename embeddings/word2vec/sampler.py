"""Subsampling, dynamic windows and noise words drawn on the training device.

These are the torch twins of the numpy reference functions in :mod:`embeddings.pairs`
(tests check that they agree).  Everything is drawn from a seeded ``torch.Generator``, so a
run is reproducible on one device, and nothing here reads the embedding tables: windows and
noise words for many blocks can be drawn ahead in one call.
"""
from __future__ import annotations

import numpy as np
import torch

from ..pairs import AliasTable, keep_probabilities, noise_distribution
from .config import Word2VecConfig


class DeviceSampler:
    """Windows and noise words for centre positions of a subsampled id stream."""

    def __init__(self, counts: np.ndarray, config: Word2VecConfig, device: torch.device, gen: torch.Generator):
        self.device, self.gen, self.window, self.k = device, gen, config.window, config.negative
        self.keep = torch.as_tensor(keep_probabilities(counts, config.sample), dtype=torch.float32, device=device)
        alias = AliasTable(noise_distribution(counts, config.ns_exponent))
        self.prob = torch.as_tensor(alias.prob, dtype=torch.float32, device=device)
        self.alias = torch.as_tensor(alias.alias, dtype=torch.int64, device=device)
        offs = [o for o in range(-config.window, config.window + 1) if o != 0]
        self.offsets = torch.tensor(offs, dtype=torch.int64, device=device)
        self.abs_offsets = self.offsets.abs()

    def keep_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """(N,) bool: each occurrence kept with its word's keep probability."""
        return torch.rand(ids.shape, device=self.device, generator=self.gen) < self.keep[ids]

    def subsample(self, ids: torch.Tensor, docs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The kept occurrences: (kept ids (M,), their docs (M,))."""
        keep = self.keep_mask(ids)
        return ids[keep], docs[keep]

    def windows(
        self, ids: torch.Tensor, docs: torch.Tensor, start: int, stop: int, spans: torch.Tensor | None = None,
        gen: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Centres ``start..stop-1`` of ``ids``: (centres (B,), context (B, 2W), mask (B, 2W)).

        ``spans`` (B,) are the reduced windows, drawn uniformly from 1..window when not given.
        """
        n = ids.shape[0]
        centre_pos = torch.arange(start, stop, device=self.device)
        if spans is None:
            spans = self.spans(stop - start, gen)
        pos = centre_pos.unsqueeze(1) + self.offsets                   # (B, 2W)
        pos_c = pos.clamp(0, n - 1)
        mask = (pos >= 0) & (pos < n) & (self.abs_offsets <= spans.unsqueeze(1))
        mask &= docs[pos_c] == docs[start:stop].unsqueeze(1)
        return ids[start:stop], ids[pos_c], mask

    def spans(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """(n,) reduced windows, each drawn uniformly from 1..window."""
        return torch.randint(1, self.window + 1, (n,), device=self.device, generator=gen or self.gen)

    def negatives(self, positives: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """(B, k) noise words, redrawn wherever one equals its row's positive."""
        gen = gen or self.gen
        shape = (positives.shape[0], self.k)
        neg = self._draw(shape, gen)
        clash = neg == positives.unsqueeze(1)
        while bool(clash.any()):
            neg = torch.where(clash, self._draw(shape, gen), neg)
            clash = neg == positives.unsqueeze(1)
        return neg

    def _draw(self, shape: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
        # One uniform number per draw: its integer part picks the bucket, its fraction
        # decides between the bucket's word and its alias.
        x = torch.rand(shape, device=self.device, generator=gen) * self.prob.shape[0]
        bucket = x.long().clamp_(max=self.prob.shape[0] - 1)
        take = (x - bucket) < self.prob[bucket]
        return torch.where(take, bucket, self.alias[bucket])
