"""Training the language model: configuration, the epoch loop, evaluation, checkpoints.

SGD with the classic recipe of PyTorch's word_language_model (lr 20, gradient norm clipped at
0.25, learning rate divided by 4 whenever validation perplexity does not improve) is the default;
Adam and a cosine schedule are options.  Each epoch ends with a validation pass, a checkpoint
(model + optimizer, for ``resume``), the weights of the best epoch so far, ``history.json`` and
``loss.png``.  Under ``torchrun`` the same function runs DistributedDataParallel: each process
trains on its own slice of the batch columns (or lines), gradients are averaged, and process 0
writes the files.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from textprep.corpus import iter_lines

from .data import MODES, batchify, bptt_windows, encode_lines, line_batches, n_windows, stream_ids
from .model import ARCHS, RNNLM, detach_state
from .tokenizers import LEVELS, WORD_TOKENIZERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LMConfig:
    level: str = field(default="word", metadata={"help": "tokens: word, bpe or char", "choices": LEVELS})
    mode: str = field(default="stream", metadata={
        "help": "stream: one token stream cut into BPTT windows; lines: each line one <bos>...<eos> sequence",
        "choices": MODES})
    word_tokenizer: str = field(default="pipeline", metadata={
        "help": "word level: textprep pipeline, or whitespace for already tokenized text (PTB)",
        "choices": WORD_TOKENIZERS})
    lang: str = field(default="ru", metadata={"help": "language of the word-level pipeline"})
    min_count: int = field(default=1, metadata={"help": "word/char level: drop rarer tokens to <unk>"})
    max_vocab: int | None = field(default=None, metadata={"help": "word/char level: keep this many tokens at most"})
    arch: str = field(default="lstm", metadata={"help": "lstm, gru, rnn, or ngram (Kneser-Ney)",
                                                "choices": ARCHS + ("ngram",)})
    order: int = field(default=3, metadata={"help": "n-gram order (--arch ngram)"})
    layers: int = field(default=2, metadata={"help": "recurrent layers"})
    hidden: int = field(default=200, metadata={"help": "hidden units per layer"})
    emb_dim: int = field(default=200, metadata={"help": "embedding dimension"})
    dropout: float = field(default=0.2, metadata={"help": "dropout on embeddings, between layers, before output"})
    tie_weights: bool = field(default=False, metadata={"help": "share input and output embeddings"})
    forget_bias: float | None = field(default=None, metadata={
        "help": "LSTM: start the forget-gate bias at this value (Jozefowicz et al. 2015 use 1); default: torch's init"})
    reference_cells: bool = field(default=False, metadata={"help": "use the cells written from the equations"})
    freeze_vectors: bool = field(default=False, metadata={"help": "keep --init-vectors embeddings fixed"})
    optimizer: str = field(default="sgd", metadata={"help": "sgd or adam", "choices": ("sgd", "adam")})
    lr: float | None = field(default=None, metadata={"help": "learning rate (default 20 for sgd, 0.002 for adam)"})
    clip: float = field(default=0.25, metadata={"help": "gradient clipping threshold (0: none)"})
    clip_mode: str = field(default="norm", metadata={"help": "clip the gradient norm or each value",
                                                     "choices": ("norm", "value")})
    schedule: str = field(default="plateau", metadata={
        "help": "plateau: divide lr by --lr-decay when validation does not improve; cosine; none",
        "choices": ("plateau", "cosine", "none")})
    lr_decay: float = field(default=4.0, metadata={"help": "plateau schedule divisor"})
    epochs: int = field(default=6, metadata={"help": "training epochs"})
    batch_size: int = field(default=20, metadata={"help": "batch columns (stream) or lines per batch"})
    eval_batch_size: int = field(default=10, metadata={"help": "batch columns when evaluating a stream"})
    bptt: int = field(default=35, metadata={"help": "tokens per truncated-BPTT window"})
    patience: int = field(default=3, metadata={"help": "stop after this many epochs without validation gain (0: never)"})
    valid_fraction: float = field(default=0.0, metadata={"help": "without --valid: hold out this last fraction of lines"})
    max_minutes: float | None = field(default=None, metadata={"help": "stop training after this many minutes"})
    max_steps: int | None = field(default=None, metadata={"help": "stop each epoch after this many steps"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    amp: bool = field(default=True, metadata={"help": "mixed precision (float16) on CUDA"})

    def __post_init__(self):
        for name, choices in (("level", LEVELS), ("mode", MODES), ("word_tokenizer", WORD_TOKENIZERS),
                              ("arch", ARCHS + ("ngram",)), ("optimizer", ("sgd", "adam")),
                              ("clip_mode", ("norm", "value")), ("schedule", ("plateau", "cosine", "none"))):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        for name in ("layers", "hidden", "emb_dim", "epochs", "batch_size", "eval_batch_size", "bptt",
                     "min_count", "order"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.clip < 0:
            raise ValueError(f"clip must be >= 0, got {self.clip!r}")
        if self.lr_decay < 1:
            raise ValueError(f"lr_decay must be >= 1, got {self.lr_decay!r}")
        if not 0.0 <= self.valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in [0, 1), got {self.valid_fraction!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got {self.patience!r}")
        if self.tie_weights and self.emb_dim != self.hidden:
            raise ValueError(f"tie_weights needs emb_dim == hidden, got emb_dim={self.emb_dim}, hidden={self.hidden}")
        if self.forget_bias is not None and self.arch != "lstm":
            raise ValueError(f"forget_bias applies to arch lstm only, not {self.arch!r}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ValueError(f"max_vocab must be >= 1, got {self.max_vocab!r}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (20.0 if self.optimizer == "sgd" else 0.002)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# -- helpers ----------------------------------------------------------------------------------
def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without it is a clear error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available on this machine (use --device cpu)")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"device: unknown device {device!r} (use auto, cpu or cuda[:N])") from None


def text_chars(lines: Sequence[str]) -> int:
    """Characters of a text, counting one newline per non-empty line (the unit of bits per character)."""
    return sum(len(l) + 1 for l in lines if l.strip())


def read_lines(path) -> list[str]:
    return [l.rstrip("\r\n") for l in iter_lines(path)]


def loss_sum(logits: torch.Tensor, target: torch.Tensor, ignore: int) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), target.reshape(-1),
                           ignore_index=ignore, reduction="sum")


@torch.no_grad()
def evaluate_ids(model: RNNLM, encoded, config: LMConfig, tokenizer, device="cpu") -> tuple[float, int]:
    """Total negative log-likelihood (nats) and the number of predicted tokens."""
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


def build_tokenizer(config: LMConfig, lines: Sequence[str], bpe_model=None):
    from .tokenizers import BPELMTokenizer, VocabTokenizer

    if config.level == "bpe":
        if bpe_model is None:
            raise ValueError("level bpe needs a BPE model directory (--bpe-model DIR, from 'textprep bpe train')")
        return BPELMTokenizer(bpe_model)
    if bpe_model is not None:
        raise ValueError(f"--bpe-model is only used with level bpe, not level {config.level!r}")
    return VocabTokenizer.fit(config.level, lines, config.min_count, config.max_vocab, config.word_tokenizer,
                              config.lang)


def vectors_matrix(path, tokenizer, emb_dim: int, seed: int) -> np.ndarray:
    """The embedding start from a word2vec file, rows aligned to the LM vocabulary."""
    from embeddings.keyedvectors import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(path)
    if kv.vector_size != emb_dim:
        raise ValueError(f"{path}: vectors have dimension {kv.vector_size} but emb_dim is {emb_dim} "
                         f"(pass --emb-dim {kv.vector_size})")
    matrix, missing = kv.embedding_matrix(tokenizer.tokens, seed=seed)
    log.info("init vectors: %d of %d vocabulary tokens found in %s, %d get random rows",
             len(tokenizer) - len(missing), len(tokenizer), path, len(missing))
    return matrix, missing


# -- the training run -----------------------------------------------------------------------
def train_lm(corpus, config: LMConfig, out_dir, valid=None, bpe_model=None, init_vectors=None,
             resume: bool = False, device: str = "auto", progress: bool = True) -> list[dict]:
    """Train on the text file ``corpus`` (one line per document) and write the LM directory ``out_dir``.

    Returns the history: one dict per epoch (losses in nats per token, perplexities, lr, tokens/s).
    """
    from . import runner

    return runner.run(corpus, config, Path(out_dir), valid, bpe_model, init_vectors, resume, device, progress)
