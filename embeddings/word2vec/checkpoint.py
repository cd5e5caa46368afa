"""word2vec checkpoints: the two tables, the random state and the epochs done, after each epoch.

::

    CHECKPOINT_DIR/
      config.json     the Word2VecConfig of the run (resume refuses other result-shaping settings)
      vocab.json      the vocabulary (resume refuses another corpus's)
      checkpoint.pt   {"w_in", "w_out", "epochs_done", "rng"}: plain tensors, read with weights_only=True
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from textprep.errors import InputError
from textprep.fileio import atomic_write, read_json, write_json
from textprep.vocab import Vocabulary

from ..sgns import SGNSTables
from .config import RUNTIME_FIELDS, Word2VecConfig

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(folder: Path, config: Word2VecConfig, vocab: Vocabulary,
                    tables: SGNSTables, gen: torch.Generator, epochs_done: int) -> None:
    """Write the state after ``epochs_done`` epochs; the tensor file is replaced atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab.save(folder / "vocab.json")
    write_json(folder / "config.json", config.to_dict())
    state = {**{k: v.cpu() for k, v in tables.state_dict().items()},
             "epochs_done": torch.tensor(epochs_done), "rng": gen.get_state().cpu()}
    with atomic_write(folder / CHECKPOINT, "wb") as fh:   # a file object: a full disk keeps its errno
        torch.save(state, fh)
    log.info("checkpoint: %d epochs saved in %s", epochs_done, folder)


def load_checkpoint(folder: Path, config: Word2VecConfig, vocab: Vocabulary,
                    tables: SGNSTables, gen: torch.Generator) -> int:
    """Restore tables and random state; returns the number of epochs already done (0: none saved)."""
    path = folder / CHECKPOINT
    if not path.exists():
        log.info("no checkpoint in %s; starting from scratch", folder)
        return 0
    saved = read_json(folder / "config.json", "checkpoint config")
    if not isinstance(saved, dict):
        raise InputError(f"{folder / 'config.json'}: malformed checkpoint config (not a JSON object)")
    mine = config.to_dict()
    differs = [k for k in mine if k not in RUNTIME_FIELDS and saved.get(k) != mine[k]]
    if differs:
        k = differs[0]
        raise InputError(f"{folder}: checkpoint was made with {k}={saved.get(k)!r}, this run has {k}={mine[k]!r}")
    if Vocabulary.load(folder / "vocab.json").id_to_token != vocab.id_to_token:
        raise InputError(f"{folder}: checkpoint vocabulary differs from this corpus's vocabulary")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files
        raise InputError(f"{path}: unreadable checkpoint ({exc or type(exc).__name__})") from None
    tensors = ("w_in", "w_out", "rng", "epochs_done")
    if not isinstance(state, dict) or not all(isinstance(state.get(k), torch.Tensor) for k in tensors):
        raise InputError(f"{path}: not a word2vec checkpoint (expected the tensors {', '.join(tensors)})")
    try:
        tables.load_state_dict({k: state[k] for k in ("w_in", "w_out")})
        gen.set_state(state["rng"])
        done = int(state["epochs_done"])
    except (InputError, RuntimeError, ValueError) as exc:   # tables of another shape, a foreign random state
        raise InputError(f"{path}: does not fit this run ({' '.join(str(exc).split())})") from None
    log.info("resuming from %s after %d epochs", folder, done)
    return done
