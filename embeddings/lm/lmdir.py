"""The LM directory: everything needed to evaluate, sample or resume a trained model.

::

    LM_DIR/
      config.json        {"format": "embeddings.lm", "version": 1, "config": LMConfig, "tokenizer": {...}, ...}
      vocab.json | bpe/  the tokenizer (a textprep Vocabulary, or a copy of the BPE model directory)
      model.safetensors  the weights of the best epoch (neural models)
      ngram.json         the counts (``--arch ngram``)
      history.json       one record per epoch: the only copy of the history
      loss.png           the loss curves
      checkpoint.pt      model + optimizer state and counters after the last epoch, for ``--resume``

Weights are never pickled: safetensors, or ``torch.save`` of plain tensors and numbers read back
with ``weights_only=True``.

At the end of an epoch ``history.json`` is written first and ``checkpoint.pt`` last: the
checkpoint is the commit point.  After a crash between the two writes the history holds one
record more than the checkpoint; resuming drops it and trains that epoch again, so the
resumed run still matches one that was never interrupted.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from textprep.errors import InputError
from textprep.fileio import atomic_path, atomic_write, read_json, write_json

from .config import LMConfig
from .data import encode_lines
from .evaluate import EvalResult, evaluate_ids, text_chars
from .generate import generate
from .model import RNNLM
from .ngram import KneserNey
from .tokenizers import load_tokenizer

FORMAT = "embeddings.lm"
VERSION = 1
WEIGHTS, HISTORY, CHECKPOINT = "model.safetensors", "history.json", "checkpoint.pt"


# -- config.json --------------------------------------------------------------------------
def write_config(lm_dir: Path, config: LMConfig, tokenizer_meta: dict, extra: dict | None = None) -> None:
    write_json(lm_dir / "config.json", {"format": FORMAT, "version": VERSION, "config": config.to_dict(),
                                        "tokenizer": tokenizer_meta, **(extra or {})})


def read_config(lm_dir: str | Path) -> dict:
    lm_dir = Path(lm_dir)
    if not lm_dir.is_dir():
        raise InputError(f"{lm_dir}: no such LM directory")
    meta = read_json(lm_dir / "config.json", "LM config")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"{lm_dir / 'config.json'}: not a language-model directory (format is not {FORMAT!r})")
    if meta.get("version") != VERSION:
        raise InputError(f"{lm_dir / 'config.json'}: LM format version {meta.get('version')!r} is not supported "
                         f"by this toolkit (it reads version {VERSION}); retrain the model")
    for key in ("config", "tokenizer"):
        if not isinstance(meta.get(key, {}), dict):
            raise InputError(f"{lm_dir / 'config.json'}: malformed LM config ({key!r} is not a JSON object)")
    return meta


# -- weights, history, checkpoint ---------------------------------------------------------
def save_weights(model: torch.nn.Module, path: Path) -> None:
    # tied weights share storage; safetensors wants each tensor stored once and separately
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp))


def load_weights(model: torch.nn.Module, path: Path) -> None:
    try:
        state = load_file(str(path))
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as exc:  # a damaged file, or weights of another shape
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: unreadable weights ({first})") from None


def write_history(lm_dir: Path, history: list[dict]) -> None:
    write_json(lm_dir / HISTORY, history)


def save_checkpoint(lm_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *,
                    epoch: int, best: float, bad: int, lr: float) -> None:
    """What ``resume`` needs besides ``history.json``: written after it, as the epoch's last file."""
    with atomic_write(lm_dir / CHECKPOINT, "wb") as fh:   # a file object: a full disk keeps its errno
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                    "best": best, "bad": bad, "lr": lr}, fh)


def load_checkpoint(lm_dir: Path, device: torch.device) -> dict | None:
    """The checkpoint, with ``history`` holding the records of the epochs it covers; ``None`` if there is none."""
    path = lm_dir / CHECKPOINT
    if not path.exists():
        return None
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files
        raise InputError(f"{path}: unreadable checkpoint ({exc or type(exc).__name__})") from None
    number = (int, float)
    kinds = {"model": dict, "optimizer": dict, "epoch": int, "best": number, "bad": int, "lr": number}
    if not isinstance(ck, dict) or any(not isinstance(ck.get(k), t) for k, t in kinds.items()):
        raise InputError(f"{path}: not a language-model checkpoint (expected {', '.join(kinds)})")
    epoch = int(ck["epoch"])
    records = read_json(lm_dir / HISTORY, "training history") if (lm_dir / HISTORY).exists() else []
    # a record beyond the checkpoint is an epoch whose checkpoint was never written: it trains again
    ck["history"] = [r for r in records if r["epoch"] <= epoch]
    if [r["epoch"] for r in ck["history"]] != list(range(1, epoch + 1)):
        raise InputError(f"{lm_dir / HISTORY}: lacks records of the epochs 1-{epoch} that {CHECKPOINT} has "
                         f"trained (delete {CHECKPOINT} to train from the start)")
    return ck


# -- the loaded model ---------------------------------------------------------------------
class LanguageModel:
    """A loaded LM directory: ``evaluate(lines)`` and ``generate(...)``."""

    def __init__(self, lm_dir: Path, meta: dict, config: LMConfig, tokenizer, model: RNNLM | None = None,
                 ngram: KneserNey | None = None):
        self.lm_dir, self.meta, self.config, self.tokenizer = lm_dir, meta, config, tokenizer
        self.model, self.ngram = model, ngram

    def evaluate(self, lines: Iterable[str], device: str = "cpu") -> EvalResult:
        lines = [line.rstrip("\r\n") for line in lines]
        encoded = encode_lines(self.tokenizer, lines)
        if not encoded:
            raise InputError("the evaluation text is empty")
        chars = text_chars(lines)
        if self.ngram is not None:
            nll, n = self.ngram.score_encoded(encoded, self.config.mode, self.tokenizer)
        else:
            nll, n = evaluate_ids(self.model.to(device), encoded, self.config, self.tokenizer, device)
        return EvalResult(tokens=n, chars=chars, nll=nll)

    def generate(self, prefix: str = "", **kw) -> list[str]:
        return generate(self, prefix=prefix, **kw).texts


def load_lm(lm_dir: str | Path, device: str = "cpu") -> LanguageModel:
    """Load an LM directory written by :func:`embeddings.lm.train_lm`."""
    lm_dir = Path(lm_dir)
    meta = read_config(lm_dir)
    try:
        config = LMConfig(**meta["config"])
    except (TypeError, KeyError) as exc:
        raise InputError(f"{lm_dir / 'config.json'}: malformed LM config ({exc})") from None
    tokenizer = load_tokenizer(lm_dir, meta.get("tokenizer", {}))
    if config.arch == "ngram":
        return LanguageModel(lm_dir, meta, config, tokenizer, ngram=KneserNey.load(lm_dir / "ngram.json"))
    weights = lm_dir / WEIGHTS
    if not weights.is_file():
        raise InputError(f"{lm_dir}: {WEIGHTS} is missing (training did not finish an epoch?)")
    model = RNNLM.from_config(config, len(tokenizer))
    load_weights(model, weights)
    model.to(device).eval()
    return LanguageModel(lm_dir, meta, config, tokenizer, model=model)
