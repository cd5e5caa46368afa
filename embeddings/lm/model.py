"""The recurrent language model: Embedding -> LSTM/GRU/RNN -> Linear to the vocabulary.

Dropout on the embeddings, between recurrent layers and before the output layer (Zaremba et
al. 2014, "Recurrent Neural Network Regularization"); optional weight tying of the input and
output embeddings (Press & Wolf 2017, Inan et al. 2017); the embedding table may start from
word vectors, frozen or fine-tuned.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from textprep.errors import InputError

from .cells import ReferenceRNN
from .config import ARCHS, LMConfig


class RNNLM(nn.Module):
    """``forward(x (T, B) ids, state) -> (logits (T, B, vocab), state)``."""

    def __init__(self, vocab_size: int, emb_dim: int = 200, hidden: int = 200, layers: int = 2,
                 arch: str = "lstm", dropout: float = 0.2, tie_weights: bool = False, reference_cells: bool = False,
                 forget_bias: float | None = None):
        super().__init__()
        if arch not in ARCHS:
            raise InputError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
        if tie_weights and emb_dim != hidden:
            raise InputError(f"tie_weights needs emb_dim == hidden, got emb_dim={emb_dim}, hidden={hidden}")
        self.arch, self.layers, self.hidden = arch, layers, hidden
        self.drop = nn.Dropout(dropout)
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        between = dropout if layers > 1 else 0.0
        if reference_cells:
            self.rnn = ReferenceRNN(arch, emb_dim, hidden, layers, dropout=between)
        else:
            cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[arch]
            self.rnn = cls(emb_dim, hidden, layers, dropout=between)
        self.decoder = nn.Linear(hidden, vocab_size)
        # uniform +-0.1 start of the embedding and the output layer, as in Zaremba et al.
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if forget_bias is not None:
            self.set_forget_bias(forget_bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    @classmethod
    def from_config(cls, config: LMConfig, vocab_size: int) -> RNNLM:
        """The network ``config`` describes, over ``vocab_size`` tokens (training and loading both build it so)."""
        return cls(vocab_size, emb_dim=config.emb_dim, hidden=config.hidden, layers=config.layers, arch=config.arch,
                   dropout=config.dropout, tie_weights=config.tie_weights, reference_cells=config.reference_cells,
                   forget_bias=config.forget_bias)

    def set_forget_bias(self, value: float) -> None:
        """Make the forget gate's total bias ``value`` in every layer (gate order i, f, g, o)."""
        if self.arch != "lstm":
            raise InputError(f"forget bias applies to arch lstm only, not {self.arch!r}")
        h = self.hidden
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if "bias_ih" in name:
                    p[h:2 * h] = value
                elif "bias_hh" in name:
                    p[h:2 * h] = 0.0

    def init_vectors(self, matrix: np.ndarray, freeze: bool = False) -> None:
        """Copy a ``(vocab, emb_dim)`` matrix into the embedding table; ``freeze`` stops its training."""
        w = self.embedding.weight
        if tuple(matrix.shape) != tuple(w.shape):
            raise InputError(f"init vectors have shape {tuple(matrix.shape)}, the embedding table {tuple(w.shape)}")
        with torch.no_grad():
            w.copy_(torch.as_tensor(matrix, dtype=w.dtype))
        w.requires_grad_(not freeze)

    def forward(self, x: torch.Tensor, state=None):
        emb = self.drop(self.embedding(x))
        out, state = self.rnn(emb, state)
        return self.decoder(self.drop(out)), state


def detach_state(state):
    """Cut the graph at a BPTT window boundary while keeping the values."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
