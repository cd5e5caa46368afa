"""word2vec training in PyTorch: CBOW and skip-gram with negative sampling, on CPU or GPU.

The whole corpus lives on the device as one integer tensor.  Each epoch::

    ids (N,) ──subsample (keep probability, embeddings.pairs)──▶ kept ids (M,)
      └─ blocks of B centre words ─▶ dynamic windows (B, 2W) + k noise words (B, k)
           ─▶ SGD step on the touched rows (embeddings.sgns), learning rate decaying linearly

All sampling runs on the device from one seeded ``torch.Generator``, so a run is
reproducible on the same device and a resumed run continues exactly where the checkpoint
left off.  There is no Python loop per word or per pair, only one per block.  On the CPU,
``workers > 1`` runs Hogwild threads that share the tables (:meth:`BlockTrainer.parallel`).

References: Mikolov et al. 2013 (both papers) and the C tool ``word2vec.c``, whose defaults
are followed (sample 1e-3, window drawn from 1..W, noise exponent 0.75, learning rate
0.025 for skip-gram and 0.05 for CBOW decaying to 1e-4 of the start).
"""
from __future__ import annotations

import logging
import math
import sys
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import torch
from tqdm import tqdm

from ..device import resolve_device
from ..keyedvectors import KeyedVectors
from ..sgns import SGNSTables, cbow_flatten, cbow_step_flat, skipgram_step
from .checkpoint import load_checkpoint, save_checkpoint
from .config import Word2VecConfig, default_batch_size
from .corpus import EncodedCorpus, encode_corpus
from .sampler import DeviceSampler

log = logging.getLogger(__name__)

#: seconds; the interpreter's thread switch interval while Hogwild threads train (see ``BlockTrainer.parallel``)
HOGWILD_SWITCH_INTERVAL = 1e-4
#: blocks whose windows and noise words are drawn in one go (sampling never reads the tables,
#: so drawing ahead changes nothing but the number of small torch calls per block)
SAMPLE_BLOCKS = 16


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
        first_epoch = load_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen)

    ids = torch.as_tensor(corpus.ids, device=device)
    docs = torch.as_tensor(corpus.docs, device=device)
    batch = config.batch_size or default_batch_size(len(vocab), device.type, config.sg)
    workers = config.workers if device.type == "cpu" else 1
    n_words = ids.shape[0]
    run = BlockTrainer(config, tables, sampler, batch, total=n_words * config.epochs)

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
                save_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen, epoch + 1)
    finally:
        torch.set_num_threads(threads_before)
        bar.close()
    elapsed = time.perf_counter() - t0
    trained = (config.epochs - first_epoch) * corpus.n_tokens
    log.info("word2vec: %d epochs in %.1f s (%.0f words/s), last loss %.3f",
             config.epochs - first_epoch, elapsed, trained / max(elapsed, 1e-9), run.loss)
    return KeyedVectors(list(vocab.id_to_token), tables.w_in.cpu().numpy().copy(), counts.tolist())


class BlockTrainer:
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
