"""Text lines to token ids, and ids to the streams and batches the recurrent language model trains on.

Two ways to cut text into training examples:

* **stream** (truncated backpropagation through time): every line becomes its ids followed by
  ``<eos>``, all lines are concatenated into one long stream, and the stream is cut into
  ``batch_size`` columns.  Training walks down the columns in windows of ``bptt`` tokens; the
  hidden state is carried from one window to the next and detached, so gradients flow back
  ``bptt`` steps at most (Zaremba et al. 2014; PyTorch's word_language_model)::

      stream a b c d e f g h i j k l   -> columns (time x batch, batch=3)
                                           a e i
                                           b f j      window 1: rows 0..bptt-1 -> targets rows 1..bptt
                                           c g k
                                           d h l
* **lines**: every line is one sequence ``<bos> ids <eos>``; a batch pads sequences to the same
  length with ``<pad>``, and padded targets are masked out of the loss.  The hidden state starts
  from zero for each batch.  This suits short texts such as names.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from textprep.corpus import iter_lines
from textprep.errors import InputError


def read_lines(path: str | Path) -> list[str]:
    """The lines of a text file (``-``: standard input) without their line endings."""
    return [line.rstrip("\r\n") for line in iter_lines(path)]


def encode_lines(tokenizer, lines: Iterable[str]) -> list[list[int]]:
    """Encode non-empty lines (line endings stripped) to id lists."""
    out = []
    for line in lines:
        line = line.rstrip("\r\n")
        if line.strip():
            out.append(tokenizer.encode(line))
    return out


def stream_ids(encoded: Sequence[Sequence[int]], eos_id: int) -> np.ndarray:
    """All lines as one int64 stream, each line followed by ``<eos>``."""
    n = sum(len(s) + 1 for s in encoded)
    out = np.empty(n, dtype=np.int64)
    pos = 0
    for s in encoded:
        out[pos:pos + len(s)] = s
        pos += len(s)
        out[pos] = eos_id
        pos += 1
    return out


def batchify(stream: np.ndarray | torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a stream into ``batch_size`` columns: shape ``(len // batch_size, batch_size)``; the tail is dropped."""
    data = torch.as_tensor(stream, dtype=torch.long)
    n = data.numel() // batch_size
    if n < 2:
        raise InputError(f"the text has {data.numel()} tokens, too few for batch_size={batch_size} "
                         "(need at least two tokens per column)")
    return data[: n * batch_size].view(batch_size, n).t().contiguous()


def bptt_windows(data: torch.Tensor, bptt: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(input, target)`` windows of shape ``(<=bptt, batch)``; targets are inputs shifted by one."""
    for i in range(0, data.size(0) - 1, bptt):
        n = min(bptt, data.size(0) - 1 - i)
        yield data[i:i + n], data[i + 1:i + 1 + n]


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """Right-pad id lists into a ``(time, batch)`` tensor."""
    width = max(len(s) for s in seqs)
    out = torch.full((width, len(seqs)), pad_id, dtype=torch.long)
    for j, s in enumerate(seqs):
        out[: len(s), j] = torch.as_tensor(s, dtype=torch.long)
    return out


def line_batches(encoded: Sequence[Sequence[int]], batch_size: int, bos_id: int, eos_id: int, pad_id: int,
                 shuffle: bool = False, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(input, target)`` pairs of shape ``(time, batch)`` from ``<bos> ids <eos>`` sequences.

    Targets at padded positions hold ``pad_id``; the loss ignores them.  Lines of similar length
    are batched together (sorted in buckets) so little compute goes to padding.
    """
    if not encoded:
        raise InputError("no lines to batch (the text is empty)")
    seqs = [[bos_id, *s, eos_id] for s in encoded]
    order = np.arange(len(seqs))
    if shuffle:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(seqs))
        # sort within buckets of 50 batches: shuffled, yet batches of similar lengths
        bucket = batch_size * 50
        order = np.concatenate([sorted(order[i:i + bucket], key=lambda k: len(seqs[k]))
                                for i in range(0, len(order), bucket)])
    batches = []
    for i in range(0, len(order), batch_size):
        chunk = [seqs[k] for k in order[i:i + batch_size]]
        full = pad_batch(chunk, pad_id)
        batches.append((full[:-1], full[1:]))
    if shuffle:
        perm = np.random.default_rng(seed + 1).permutation(len(batches))
        batches = [batches[k] for k in perm]
    return batches

