"""How well a language model predicts a text: cross-entropy, perplexity, bits per character.

The loss is summed over predicted tokens in float32 (also under mixed precision), so totals
from several batches add up exactly and per-token or per-character figures are one division
away.  Bits per character divide the total by the characters of the text, one newline per
line included, which makes word, BPE and character models of the same text comparable.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .config import LMConfig
from .data import batchify, bptt_windows, line_batches, stream_ids
from .model import RNNLM


def text_chars(lines: Sequence[str]) -> int:
    """Characters of a text, counting one newline per non-empty line (the unit of bits per character)."""
    return sum(len(line) + 1 for line in lines if line.strip())


def loss_sum(logits: torch.Tensor, target: torch.Tensor, ignore: int) -> torch.Tensor:
    """Summed cross-entropy of ``logits (..., vocab)`` against ``target (...)``; ``ignore`` targets count nothing."""
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), target.reshape(-1),
                           ignore_index=ignore, reduction="sum")


@torch.no_grad()
def evaluate_ids(model: RNNLM, encoded, config: LMConfig, tokenizer, device="cpu") -> tuple[float, int]:
    """Total negative log-likelihood (nats) of encoded lines and the number of predicted tokens."""
    model.eval()
    device = torch.device(device)
    nll, n = 0.0, 0
    if config.mode == "stream":
        stream = stream_ids(encoded, tokenizer.eos_id)
        # short texts get fewer columns: every column starts without context
        bs = max(1, min(config.eval_batch_size, len(stream) // (10 * config.bptt)))
        data = batchify(stream, bs).to(device)
        state = None
        for x, y in bptt_windows(data, config.bptt):
            logits, state = model(x, state)
            nll += float(loss_sum(logits, y, -100))
            n += y.numel()
    else:
        for x, y in line_batches(encoded, config.batch_size, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id):
            logits, _ = model(x.to(device))
            y = y.to(device)
            nll += float(loss_sum(logits, y, tokenizer.pad_id))
            n += int((y != tokenizer.pad_id).sum())
    return nll, n


@dataclass
class EvalResult:
    """Cross-entropy per token (nats), perplexity and bits per character of a text."""

    tokens: int
    chars: int
    nll: float  # total negative log-likelihood, nats
    extra: dict = field(default_factory=dict)

    @property
    def cross_entropy(self) -> float:
        return self.nll / max(self.tokens, 1)

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.cross_entropy, 700.0))

    @property
    def bits_per_char(self) -> float:
        return self.nll / max(self.chars, 1) / math.log(2)

    def to_dict(self) -> dict:
        return {"tokens": self.tokens, "chars": self.chars, "cross_entropy": self.cross_entropy,
                "perplexity": self.perplexity, "bits_per_char": self.bits_per_char, **self.extra}
