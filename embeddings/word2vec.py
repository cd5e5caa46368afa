"""word2vec training in PyTorch: CBOW and skip-gram with negative sampling, on CPU or GPU.

The whole corpus lives on the device as one integer tensor.  Each epoch::

    ids (N,) ──subsample (keep probability, embeddings.pairs)──▶ kept ids (M,)
      └─ blocks of B centre words ─▶ dynamic windows (B, 2W) + k noise words (B, k)
           ─▶ SGD step on the touched rows (embeddings.sgns), learning rate decaying linearly

All sampling runs on the device from one seeded ``torch.Generator``, so a run is
reproducible on the same device and a resumed run continues exactly where the checkpoint
left off.  There is no Python loop per word or per pair, only one per block.

References: Mikolov et al. 2013 (both papers) and the C tool ``word2vec.c``, whose defaults
are followed (sample 1e-3, window drawn from 1..W, noise exponent 0.75, learning rate
0.025 for skip-gram and 0.05 for CBOW decaying to 1e-4 of the start).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from textprep.fileio import atomic_path, read_json, write_json
from textprep.vocab import Vocabulary

from .keyedvectors import KeyedVectors
from .pairs import AliasTable, keep_probabilities, noise_distribution
from .sgns import SGNSTables, cbow_step, skipgram_step

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class Word2VecConfig:
    """Settings of one word2vec run (shared by the API and ``embeddings train w2v``)."""

    sg: bool = field(default=True, metadata={"help": "skip-gram (True) or CBOW (False)"})
    dim: int = field(default=100, metadata={"help": "vector dimension"})
    window: int = field(default=5, metadata={"help": "largest window; each centre draws 1..window"})
    negative: int = field(default=5, metadata={"help": "noise words per positive"})
    epochs: int = field(default=5, metadata={"help": "passes over the corpus"})
    min_count: int = field(default=5, metadata={"help": "drop words seen fewer times"})
    max_vocab: int | None = field(default=None, metadata={"help": "keep at most this many most frequent words"})
    sample: float = field(default=1e-3, metadata={"help": "subsampling threshold (0: off)"})
    ns_exponent: float = field(default=0.75, metadata={"help": "power of the unigram noise distribution"})
    lr: float | None = field(default=None, metadata={"help": "start learning rate (default 0.025 skip-gram, 0.05 CBOW)"})
    min_lr_ratio: float = field(default=1e-4, metadata={"help": "learning rate floor as a fraction of the start"})
    batch_size: int | None = field(default=None, metadata={"help": "centre words per step (default 1024 CPU, 16384 GPU)"})
    seed: int = field(default=0, metadata={"help": "random seed (reproducible on the same device)"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N"})
    threads: int = field(default=0, metadata={"help": "CPU threads for torch (0: torch's default)"})

    def __post_init__(self) -> None:
        for name in ("dim", "window", "negative", "epochs", "min_count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("max_vocab", "batch_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if not 0 <= self.sample < 1:
            raise ValueError(f"sample must be in [0, 1), got {self.sample!r}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio!r}")
        if self.threads < 0:
            raise ValueError(f"threads must be >= 0, got {self.threads!r}")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")

    @property
    def start_lr(self) -> float:
        return self.lr if self.lr is not None else (0.025 if self.sg else 0.05)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without one is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested, but CUDA is not available here (use --device cpu or auto)")
    return torch.device(name)


# -- corpus --------------------------------------------------------------------------
@dataclass
class EncodedCorpus:
    """A corpus as arrays: word ids (N,) and document numbers (N,), both int64."""

    vocab: Vocabulary
    ids: np.ndarray
    docs: np.ndarray
    n_tokens: int          # tokens read, out-of-vocabulary ones included

    @property
    def counts(self) -> np.ndarray:
        return np.array([self.vocab.counts[t] for t in self.vocab.id_to_token], dtype=np.int64)


def encode_corpus(
    token_corpus: Iterable[Sequence[str]], min_count: int = 5, max_vocab: int | None = None
) -> EncodedCorpus:
    """One pass over token lists: count, build the vocabulary, keep in-vocabulary ids.

    Words are numbered as they first appear, then renumbered into the vocabulary's order
    (most frequent first) with one array lookup; dropped words vanish, as in the C tool.
    """
    if isinstance(token_corpus, str):
        raise TypeError("train_word2vec expects an iterable of token lists, not a string")
    first_seen: defaultdict[str, int] = defaultdict()
    first_seen.default_factory = first_seen.__len__
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    for doc in token_corpus:
        if isinstance(doc, str):
            raise TypeError("train_word2vec expects token lists; got a string document (tokenize it first)")
        chunks.append(np.fromiter(map(first_seen.__getitem__, doc), dtype=np.int64, count=len(doc)))
        lengths.append(len(doc))
    raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    words = list(first_seen)
    raw_counts = np.bincount(raw, minlength=len(words))
    vocab = Vocabulary.from_counts(
        dict(zip(words, raw_counts.tolist())), min_count=min_count, max_size=max_vocab, specials=()
    )
    if len(vocab) == 0:
        raise ValueError(
            f"no word occurs at least min_count={min_count} times in the corpus "
            f"({raw.size} tokens, {len(words)} distinct words)"
        )
    remap = np.full(len(words), -1, dtype=np.int64)
    for i, w in enumerate(words):
        remap[i] = vocab.token_to_id.get(w, -1)
    docs = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    new = remap[raw]
    keep = new >= 0
    return EncodedCorpus(vocab, new[keep], docs[keep], int(raw.size))


# -- device-side sampling --------------------------------------------------------------
class DeviceSampler:
    """Windows and noise words drawn on the device (torch twins of ``embeddings.pairs``)."""

    def __init__(self, counts: np.ndarray, config: Word2VecConfig, device: torch.device, gen: torch.Generator):
        self.device, self.gen, self.window, self.k = device, gen, config.window, config.negative
        self.keep = torch.as_tensor(keep_probabilities(counts, config.sample), dtype=torch.float32, device=device)
        alias = AliasTable(noise_distribution(counts, config.ns_exponent))
        self.prob = torch.as_tensor(alias.prob, dtype=torch.float32, device=device)
        self.alias = torch.as_tensor(alias.alias, dtype=torch.int64, device=device)
        offs = [o for o in range(-config.window, config.window + 1) if o != 0]
        self.offsets = torch.tensor(offs, dtype=torch.int64, device=device)
        self.abs_offsets = self.offsets.abs()

    def subsample(self, ids: torch.Tensor, docs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = torch.rand(ids.shape, device=self.device, generator=self.gen) < self.keep[ids]
        return ids[keep], docs[keep]

    def windows(
        self, ids: torch.Tensor, docs: torch.Tensor, start: int, stop: int, spans: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Centres ``start..stop-1`` of ``ids``: (centres (B,), context (B, 2W), mask (B, 2W)).

        ``spans`` (B,) are the reduced windows, drawn uniformly from 1..window when not given.
        """
        n = ids.shape[0]
        centre_pos = torch.arange(start, stop, device=self.device)
        if spans is None:
            spans = torch.randint(1, self.window + 1, (stop - start,), device=self.device, generator=self.gen)
        pos = centre_pos.unsqueeze(1) + self.offsets                   # (B, 2W)
        pos_c = pos.clamp(0, n - 1)
        mask = (pos >= 0) & (pos < n) & (self.abs_offsets <= spans.unsqueeze(1))
        mask &= docs[pos_c] == docs[start:stop].unsqueeze(1)
        return ids[start:stop], ids[pos_c], mask

    def negatives(self, positives: torch.Tensor) -> torch.Tensor:
        """(B, k) noise words, redrawn wherever one equals its row's positive."""
        shape = (positives.shape[0], self.k)
        neg = self._draw(shape)
        clash = neg == positives.unsqueeze(1)
        while bool(clash.any()):
            neg = torch.where(clash, self._draw(shape), neg)
            clash = neg == positives.unsqueeze(1)
        return neg

    def _draw(self, shape: tuple[int, int]) -> torch.Tensor:
        bucket = torch.randint(0, self.prob.shape[0], shape, device=self.device, generator=self.gen)
        take = torch.rand(shape, device=self.device, generator=self.gen) < self.prob[bucket]
        return torch.where(take, bucket, self.alias[bucket])


# -- training ------------------------------------------------------------------------
def train_word2vec(
    token_corpus: Iterable[Sequence[str]] | EncodedCorpus,
    config: Word2VecConfig = Word2VecConfig(),
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> KeyedVectors:
    """Train word vectors on token lists (or an ``EncodedCorpus``); returns the input vectors.

    With ``checkpoint_dir`` the tables, the random state and the vocabulary are saved after
    every epoch; ``resume=True`` continues from the last saved epoch there.
    """
    device = resolve_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    corpus = token_corpus if isinstance(token_corpus, EncodedCorpus) else encode_corpus(
        token_corpus, config.min_count, config.max_vocab)
    vocab = corpus.vocab
    if len(vocab) < 2:
        raise ValueError(f"negative sampling needs at least 2 words in the vocabulary, got {vocab.id_to_token}")
    counts = corpus.counts
    log.info("word2vec: %d tokens, %d in vocabulary, %d distinct words, device %s",
             corpus.n_tokens, corpus.ids.size, len(vocab), device)

    gen = torch.Generator(device=device)
    gen.manual_seed(config.seed)
    tables = SGNSTables(len(vocab), config.dim, device, gen)
    sampler = DeviceSampler(counts, config, device, gen)
    first_epoch = 0
    if checkpoint_dir is not None and resume:
        first_epoch = _load_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen)

    ids = torch.as_tensor(corpus.ids, device=device)
    docs = torch.as_tensor(corpus.docs, device=device)
    batch = config.batch_size or (16384 if device.type == "cuda" else 1024)
    step = skipgram_step if config.sg else cbow_step
    n_words = ids.shape[0]
    total = n_words * config.epochs
    start_lr, floor = config.start_lr, config.start_lr * config.min_lr_ratio

    bar = tqdm(total=total, initial=first_epoch * n_words, unit="word", unit_scale=True,
               disable=not progress, desc="word2vec", smoothing=0.1)
    t0, loss_value = time.perf_counter(), float("nan")
    for epoch in range(first_epoch, config.epochs):
        kept, kept_docs = sampler.subsample(ids, docs)
        m = kept.shape[0]
        for i, start in enumerate(range(0, m, batch)):
            stop = min(start + batch, m)
            done = epoch * n_words + n_words * stop / m          # raw words covered so far
            lr = max(start_lr * (1.0 - done / total), floor)
            centres, context, mask = sampler.windows(kept, kept_docs, start, stop)
            targets = torch.cat([centres.unsqueeze(1), sampler.negatives(centres)], dim=1)
            report = i % 200 == 0
            loss = step(tables, context, mask, targets, lr, with_loss=report)
            if report and loss is not None:
                examples = mask.sum() if config.sg else (mask.any(1)).sum()
                loss_value = float(loss) / max(int(examples), 1)
                bar.set_postfix(loss=f"{loss_value:.3f}", lr=f"{lr:.5f}", refresh=False)
            bar.update(int(done) - bar.n)
        if checkpoint_dir is not None:
            _save_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen, epoch + 1)
    bar.close()
    elapsed = time.perf_counter() - t0
    trained = (config.epochs - first_epoch) * corpus.n_tokens
    log.info("word2vec: %d epochs in %.1f s (%.0f words/s), last loss %.3f",
             config.epochs - first_epoch, elapsed, trained / max(elapsed, 1e-9), loss_value)
    return KeyedVectors(list(vocab.id_to_token), tables.w_in.cpu().numpy().copy(), counts.tolist())


def _save_checkpoint(folder: Path, config: Word2VecConfig, vocab: Vocabulary,
                     tables: SGNSTables, gen: torch.Generator, epochs_done: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    vocab.save(folder / "vocab.json")
    write_json(folder / "config.json", config.to_dict())
    state = {**{k: v.cpu() for k, v in tables.state_dict().items()},
             "epochs_done": torch.tensor(epochs_done), "rng": gen.get_state().cpu()}
    with atomic_path(folder / CHECKPOINT) as tmp:
        torch.save(state, tmp)
    log.info("checkpoint: %d epochs saved in %s", epochs_done, folder)


def _load_checkpoint(folder: Path, config: Word2VecConfig, vocab: Vocabulary,
                     tables: SGNSTables, gen: torch.Generator) -> int:
    """Restore tables and random state; returns the number of epochs already done."""
    path = folder / CHECKPOINT
    if not path.exists():
        log.info("no checkpoint in %s; starting from scratch", folder)
        return 0
    saved = read_json(folder / "config.json", "checkpoint config")
    mine = config.to_dict()
    differs = [k for k in mine if k not in ("device", "threads") and saved.get(k) != mine[k]]
    if differs:
        k = differs[0]
        raise ValueError(f"{folder}: checkpoint was made with {k}={saved.get(k)!r}, this run has {k}={mine[k]!r}")
    if Vocabulary.load(folder / "vocab.json").id_to_token != vocab.id_to_token:
        raise ValueError(f"{folder}: checkpoint vocabulary differs from this corpus's vocabulary")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged files
        raise ValueError(f"{path}: unreadable checkpoint ({exc})") from None
    tables.load_state_dict({k: state[k] for k in ("w_in", "w_out") if k in state})
    gen.set_state(state["rng"])
    done = int(state["epochs_done"])
    log.info("resuming from %s after %d epochs", folder, done)
    return done
