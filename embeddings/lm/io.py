"""The LM directory: everything needed to evaluate or sample a trained model.

::

    LM_DIR/
      config.json        {"format": "embeddings.lm", "version": 1, "config": LMConfig, "tokenizer": {...}, ...}
      vocab.json | bpe/  the tokenizer (a textprep Vocabulary, or a copy of the BPE model directory)
      model.safetensors  the weights of the best epoch (neural models)
      ngram.json         the counts (``--arch ngram``)
      history.json       one record per epoch
      loss.png           the loss curves
      checkpoint.pt      model + optimizer state of the last epoch, for ``--resume`` (a plain state dict)

Weights are never pickled: safetensors, or ``torch.save`` of plain tensors read back with
``weights_only=True``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import torch

from textprep.fileio import atomic_path, read_json, write_json

from .tokenizers import load_tokenizer

FORMAT = "embeddings.lm"
VERSION = 1


def save_weights(model: torch.nn.Module, path: Path) -> None:
    from safetensors.torch import save_file

    # tied weights share storage; safetensors wants each tensor stored once and separately
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp))


def load_weights(model: torch.nn.Module, path: Path) -> None:
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(path)))


def write_config(lm_dir: Path, config, tokenizer_meta: dict, extra: dict | None = None) -> None:
    write_json(lm_dir / "config.json", {"format": FORMAT, "version": VERSION, "config": config.to_dict(),
                                        "tokenizer": tokenizer_meta, **(extra or {})})


def read_config(lm_dir: str | Path) -> dict:
    lm_dir = Path(lm_dir)
    if not lm_dir.is_dir():
        raise ValueError(f"{lm_dir}: no such LM directory")
    meta = read_json(lm_dir / "config.json", "LM config")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{lm_dir / 'config.json'}: not a language-model directory (format is not {FORMAT!r})")
    if meta.get("version") != VERSION:
        raise ValueError(f"{lm_dir / 'config.json'}: LM format version {meta.get('version')!r} is not supported "
                         f"by this toolkit (it reads version {VERSION}); retrain the model")
    return meta


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


class LanguageModel:
    """A loaded LM directory: ``evaluate(lines)`` and ``generate(...)``."""

    def __init__(self, lm_dir: Path, meta: dict, config, tokenizer, model=None, ngram=None):
        self.lm_dir, self.meta, self.config, self.tokenizer = lm_dir, meta, config, tokenizer
        self.model, self.ngram = model, ngram

    @property
    def is_neural(self) -> bool:
        return self.model is not None

    def evaluate(self, lines: Iterable[str], device: str = "cpu") -> EvalResult:
        from .data import encode_lines
        from .train import evaluate_ids, text_chars

        lines = [l.rstrip("\r\n") for l in lines]
        encoded = encode_lines(self.tokenizer, lines)
        if not encoded:
            raise ValueError("the evaluation text is empty")
        chars = text_chars(lines)
        if self.ngram is not None:
            nll, n = self.ngram.score_encoded(encoded, self.config.mode, self.tokenizer)
        else:
            nll, n = evaluate_ids(self.model.to(device), encoded, self.config, self.tokenizer, device)
        return EvalResult(tokens=n, chars=chars, nll=nll)

    def generate(self, prefix: str = "", **kw) -> list[str]:
        from .generate import generate

        return generate(self, prefix=prefix, **kw).texts


def load_lm(lm_dir: str | Path, device: str = "cpu") -> LanguageModel:
    """Load an LM directory written by :func:`embeddings.lm.train.train_lm`."""
    from .model import RNNLM
    from .ngram import KneserNey
    from .train import LMConfig

    lm_dir = Path(lm_dir)
    meta = read_config(lm_dir)
    try:
        config = LMConfig(**meta["config"])
    except (TypeError, KeyError) as exc:
        raise ValueError(f"{lm_dir / 'config.json'}: malformed LM config ({exc})") from None
    tokenizer = load_tokenizer(lm_dir, meta.get("tokenizer", {}))
    if config.arch == "ngram":
        return LanguageModel(lm_dir, meta, config, tokenizer, ngram=KneserNey.load(lm_dir / "ngram.json"))
    weights = lm_dir / "model.safetensors"
    if not weights.is_file():
        raise ValueError(f"{lm_dir}: model.safetensors is missing (training did not finish an epoch?)")
    model = RNNLM(len(tokenizer), config.emb_dim, config.hidden, config.layers, config.arch, config.dropout,
                  config.tie_weights, config.reference_cells)
    load_weights(model, weights)
    model.to(device).eval()
    return LanguageModel(lm_dir, meta, config, tokenizer, model=model)
