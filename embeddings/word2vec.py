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
import math
import sys
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
from .sgns import SGNSTables, cbow_flatten, cbow_step_flat, skipgram_step

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
#: seconds; the interpreter's thread switch interval while Hogwild threads train (see ``_Run.parallel``)
HOGWILD_SWITCH_INTERVAL = 1e-4
#: blocks whose windows and noise words are drawn in one go (sampling never reads the tables,
#: so drawing ahead changes nothing but the number of small torch calls per block)
SAMPLE_BLOCKS = 16


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
    batch_size: int | None = field(default=None, metadata={"help": "centre words per step (default: vocabulary/10 within 256..1024 on CPU, ..16384 on GPU; half that for CBOW)"})
    seed: int = field(default=0, metadata={"help": "random seed (reproducible on the same device)"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N"})
    threads: int = field(default=0, metadata={"help": "CPU threads for torch's operations (0: torch's default)"})
    workers: int = field(default=1, metadata={
        "help": "CPU worker threads updating the tables Hogwild-style, like gensim's workers "
                "(more than 1 is faster but not bit-reproducible)"})

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
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a positive integer, got {self.workers!r}")
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


def default_batch_size(vocab_size: int, device: torch.device, sg: bool = True) -> int:
    """Centre words per step when not set: a tenth of the vocabulary, at least 256, at most
    1024 on the CPU (blocks that stay in cache) and 16384 on a GPU (enough work per launch);
    half of that for CBOW.

    Updates to a word seen many times in one block add up from the same stale vectors, so
    blocks that are large next to the vocabulary overshoot (on a 10k-word vocabulary, 1,024
    centre words per block trains as well as gensim; 4,096 diverges).  CBOW starts from twice
    skip-gram's learning rate, so each stale update is twice as large: its blocks are halved
    (on the 18.8M-word English corpus, three seeds: -1.06 analogy points against gensim with
    1,024-word blocks, -0.28 with 512).
    """
    cap = 16384 if device.type == "cuda" else 1024
    size = max(256, min(cap, vocab_size // 10))
    return size if sg else size // 2


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
        self, ids: torch.Tensor, docs: torch.Tensor, start: int, stop: int, spans: torch.Tensor | None = None,
        gen: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Centres ``start..stop-1`` of ``ids``: (centres (B,), context (B, 2W), mask (B, 2W)).

        ``spans`` (B,) are the reduced windows, drawn uniformly from 1..window when not given.
        """
        n = ids.shape[0]
        centre_pos = torch.arange(start, stop, device=self.device)
        if spans is None:
            spans = torch.randint(1, self.window + 1, (stop - start,), device=self.device, generator=gen or self.gen)
        pos = centre_pos.unsqueeze(1) + self.offsets                   # (B, 2W)
        pos_c = pos.clamp(0, n - 1)
        mask = (pos >= 0) & (pos < n) & (self.abs_offsets <= spans.unsqueeze(1))
        mask &= docs[pos_c] == docs[start:stop].unsqueeze(1)
        return ids[start:stop], ids[pos_c], mask

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
    batch = config.batch_size or default_batch_size(len(vocab), device, config.sg)
    workers = config.workers if device.type == "cpu" else 1
    n_words = ids.shape[0]
    run = _Run(config, tables, sampler, batch, total=n_words * config.epochs)

    bar = tqdm(total=run.total, initial=first_epoch * n_words, unit="word", unit_scale=True,
               disable=not progress, desc="word2vec", smoothing=0.1)
    threads_before = torch.get_num_threads()
    t0 = time.perf_counter()
    try:
        if config.threads or workers > 1:
            # Hogwild workers each run single-threaded ops; otherwise torch's own threads.
            torch.set_num_threads(1 if workers > 1 else config.threads)
        for epoch in range(first_epoch, config.epochs):
            kept, kept_docs = sampler.subsample(ids, docs)
            run.start_epoch(epoch, n_words, kept.shape[0])
            if workers == 1:
                run.shard(kept, kept_docs, 0, kept.shape[0], gen, bar)
            else:
                run.parallel(kept, kept_docs, workers, gen, bar)
            if checkpoint_dir is not None:
                _save_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen, epoch + 1)
    finally:
        torch.set_num_threads(threads_before)
        bar.close()
    elapsed = time.perf_counter() - t0
    trained = (config.epochs - first_epoch) * corpus.n_tokens
    log.info("word2vec: %d epochs in %.1f s (%.0f words/s), last loss %.3f",
             config.epochs - first_epoch, elapsed, trained / max(elapsed, 1e-9), run.loss)
    return KeyedVectors(list(vocab.id_to_token), tables.w_in.cpu().numpy().copy(), counts.tolist())


class _Run:
    """The state one training run shares between its blocks (and Hogwild worker threads)."""

    def __init__(self, config: Word2VecConfig, tables: SGNSTables, sampler: DeviceSampler, batch: int, total: int):
        self.config, self.tables, self.sampler, self.batch, self.total = config, tables, sampler, batch, total
        self.step = skipgram_step if config.sg else cbow_step_flat
        self.start_lr = config.start_lr
        self.floor = config.start_lr * config.min_lr_ratio
        self.loss = float("nan")
        self.done_blocks = 0

    def start_epoch(self, epoch: int, n_words: int, n_kept: int) -> None:
        self.base, self.n_words, self.n_kept, self.kept_done = epoch * n_words, n_words, max(n_kept, 1), 0

    def words_done(self) -> int:
        """Raw corpus words covered so far (kept words scaled back to the whole corpus)."""
        return self.base + self.n_words * self.kept_done // self.n_kept

    def shard(self, kept, kept_docs, lo: int, hi: int, gen: torch.Generator, bar=None,
              block: int | None = None) -> None:
        """Train on centres ``lo..hi-1`` of this epoch's kept words, block by block."""
        sampler = self.sampler
        block = block or self.batch
        span = block * SAMPLE_BLOCKS
        for first in range(lo, hi, span):
            last = min(first + span, hi)
            centres, context, mask = sampler.windows(kept, kept_docs, first, last, gen=gen)
            targets = torch.cat([centres.unsqueeze(1), sampler.negatives(centres, gen)], dim=1)
            for args, size, examples in self._blocks(context, mask, targets, block):
                # Linear decay over all epochs, as in the C tool, with a floor at min_lr_ratio.
                lr = max(self.start_lr * (1.0 - self.words_done() / self.total), self.floor)
                report = self.done_blocks % 200 == 0
                loss = self.step(self.tables, *args, lr, with_loss=report)
                self.done_blocks += 1
                self.kept_done += size
                if report and loss is not None:
                    self.loss = float(loss) / max(int(examples()), 1)
                    if not math.isfinite(self.loss):
                        raise ValueError(f"training diverged (loss {self.loss}) with batch_size={self.batch}; "
                                         "use a smaller --batch-size or --lr")
                    if bar is not None:
                        bar.set_postfix(loss=f"{self.loss:.3f}", lr=f"{lr:.5f}", refresh=False)
                if bar is not None:
                    bar.update(self.words_done() - bar.n)

    def _blocks(self, context, mask, targets, block: int):
        """Split drawn windows into blocks: (step arguments, centre words, examples counter)."""
        b = context.shape[0]
        if self.config.sg:
            for s in range(0, b, block):
                e = min(s + block, b)
                yield (context[s:e], mask[s:e], targets[s:e]), e - s, (lambda m=mask[s:e]: m.sum())
            return
        flat_ctx, rows, n_ctx = cbow_flatten(context, mask)
        starts = range(0, b, block)
        # where each block's words start and end in the flat arrays (one host sync per span)
        bounds = [0] + torch.cumsum(n_ctx, 0)[[min(s + block, b) - 1 for s in starts]].tolist()
        for i, s in enumerate(starts):
            e = min(s + block, b)
            f0, f1 = bounds[i], bounds[i + 1]
            yield ((flat_ctx[f0:f1], rows[f0:f1] - s, n_ctx[s:e], targets[s:e]), e - s,
                   (lambda n=n_ctx[s:e]: (n > 0).sum()))

    def parallel(self, kept, kept_docs, workers: int, gen: torch.Generator, bar) -> None:
        """Hogwild (Recht et al. 2011), as the C tool and gensim do: each thread trains on its
        own slice and updates the shared tables without locks.  Faster on several cores, but
        the result then depends on thread timing."""
        import threading

        m = kept.shape[0]
        edges = [m * w // workers for w in range(workers + 1)]
        seeds = torch.randint(0, 2**62, (workers,), generator=gen, device=gen.device).tolist()
        errors: list[BaseException] = []

        def work(w: int) -> None:
            try:
                g = torch.Generator(device=gen.device)
                g.manual_seed(seeds[w])
                # threads share the block: the centre words in flight together stay one block
                self.shard(kept, kept_docs, edges[w], edges[w + 1], g, block=max(1, self.batch // workers))
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(workers)]
        # Each block is a few dozen short torch calls, and each call hands the GIL back and forth.
        # With CPython's default switch interval (5 ms) a thread that wants the GIL back waits out
        # the whole interval, so two threads ran many times slower than one (War and Peace,
        # 559-word blocks: 16.6 s against 1.0 s an epoch); at 0.1 ms they run faster than one.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, HOGWILD_SWITCH_INTERVAL))
        try:
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                threads[0].join(timeout=0.5)
                bar.set_postfix(loss=f"{self.loss:.3f}", refresh=False)
                bar.update(self.words_done() - bar.n)
        finally:
            sys.setswitchinterval(interval)
        if errors:
            raise errors[0]


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
    differs = [k for k in mine if k not in ("device", "threads", "workers") and saved.get(k) != mine[k]]
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
