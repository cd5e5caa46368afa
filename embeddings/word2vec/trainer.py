"""word2vec training in PyTorch: CBOW and skip-gram with negative sampling, on CPU or GPU.

The corpus arrives in chunks of word ids (the whole of an in-memory ``EncodedCorpus``, or
sentence-aligned pieces of a :mod:`~embeddings.word2vec.cache` file).  Each epoch::

    chunk ids (n,) ──subsample (keep probability, embeddings.pairs)──▶ kept ids (m,)
      └─ blocks of B centre words ─▶ dynamic windows (B, 2W) + k noise words (B, k)
           ─▶ SGD step on the touched rows (embeddings.sgns), learning rate decaying linearly

All sampling runs on the device from one seeded ``torch.Generator``, so a run is
reproducible on the same device and a resumed run continues exactly where the checkpoint
left off.  There is no Python loop per word or per pair, only one per block
(:mod:`~embeddings.word2vec.blocks`).  Under ``torchrun`` each process trains its share of
every chunk and the processes' changes are merged every ``sync_words`` words
(:mod:`~embeddings.word2vec.distributed`).

References: Mikolov et al. 2013 (both papers) and the C tool ``word2vec.c``, whose defaults
are followed (sample 1e-3, window drawn from 1..W, noise exponent 0.75, learning rate
0.025 for skip-gram and 0.05 for CBOW decaying to 1e-4 of the start).
"""
from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from textprep.errors import InputError
from textprep.parallel import available_cpus, resolve_workers
from textprep.progress import progress_bar
from textprep.runlock import DirectoryLock

from .. import interrupt
from ..device import resolve_device
from ..keyedvectors import KeyedVectors
from ..sgns import SGNSTables
from ..threads import fit_torch_threads
from . import forked
from .blocks import BlockTrainer
from .cache import CorpusCache, cached_corpus, full_fingerprint, open_cache
from .checkpoint import load_checkpoint, save_checkpoint
from .config import Word2VecConfig, default_batch_size
from .corpus import EncodedCorpus, encode_corpus
from .distributed import Group, join, leave
from .sampler import DeviceSampler

log = logging.getLogger(__name__)


def train_word2vec(
    token_corpus: Iterable[Sequence[str]] | EncodedCorpus | CorpusCache,
    config: Word2VecConfig = Word2VecConfig(),
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    cache_dir: str | Path | None = None,
    fingerprint: dict | None = None,
) -> KeyedVectors:
    """Train word vectors on token lists (or an encoded corpus); returns the input vectors.

    Token lists are encoded in memory, or, with ``cache_dir``, counted and written to a corpus
    cache there and streamed back in chunks (memory bounded by the vocabulary and a chunk);
    ``fingerprint`` (the identity of the input: file, size, tokenizer settings) lets a later
    run reuse that cache.  With ``checkpoint_dir`` the tables, the random state and the
    vocabulary are saved after every epoch; ``resume=True`` continues from the last saved epoch.
    The checkpoint folder is locked for the run (a second run on it fails at once, naming this
    process), and Ctrl-C stops at the next block, raising :class:`~embeddings.interrupt.Interrupted`
    with the last checkpoint whole.  Under ``torchrun`` every process returns the same averaged vectors.
    """
    group, device_name = join(config.device)
    try:
        with contextlib.ExitStack() as stack:
            if checkpoint_dir is not None and group.main:
                stack.enter_context(DirectoryLock(checkpoint_dir, "word2vec checkpoint directory"))
            stack.enter_context(fit_torch_threads(config.threads))
            return _train(token_corpus, config, checkpoint_dir, resume, progress, cache_dir, fingerprint, group,
                          resolve_device(device_name), stack)
    finally:
        leave(group)


def _corpus(token_corpus, config: Word2VecConfig, cache_dir, fingerprint, group: Group):
    if isinstance(token_corpus, (EncodedCorpus, CorpusCache)):
        return token_corpus
    if cache_dir is None:
        return encode_corpus(token_corpus, config.min_count, config.max_vocab)
    args = (token_corpus, cache_dir, config.min_count, config.max_vocab, config.count_cap)
    if group.main:  # one process writes the cache, the others read it
        corpus = cached_corpus(*args, fingerprint=fingerprint if group.world == 1 else (fingerprint or {}))
    group.barrier()
    if not group.main:
        corpus = open_cache(cache_dir, full_fingerprint(fingerprint, config.min_count, config.max_vocab,
                                                        config.count_cap))
        if corpus is None:
            raise InputError(f"{cache_dir}: process {group.rank} cannot read the corpus cache that process 0 "
                             "wrote (is the folder on a file system every process sees?)")
    return corpus


def _train(token_corpus, config: Word2VecConfig, checkpoint_dir, resume: bool, progress: bool, cache_dir,
           fingerprint, group: Group, device: torch.device, guards: contextlib.ExitStack) -> KeyedVectors:
    corpus = _corpus(token_corpus, config, cache_dir, fingerprint, group)
    vocab = corpus.vocab
    if len(vocab) < 2:
        raise InputError(f"negative sampling needs at least 2 words in the vocabulary, got {vocab.id_to_token}")
    counts = corpus.counts
    n_words = corpus.n_ids
    log.info("word2vec: %d tokens, %d in vocabulary, %d distinct words, device %s",
             corpus.n_tokens, n_words, len(vocab), device)

    gen = torch.Generator(device=device)
    gen.manual_seed(config.seed)
    tables = SGNSTables(len(vocab), config.dim, device, gen)
    sampler = DeviceSampler(counts, config, device, gen)
    first_epoch = 0
    if checkpoint_dir is not None and resume:
        first_epoch = load_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen)

    batch = config.batch_size or default_batch_size(len(vocab), device.type, config.sg)
    # Hogwild threads past the CPUs only wait for each other
    workers = min(resolve_workers(config.workers), available_cpus()) if device.type == "cpu" else 1
    run = BlockTrainer(config, tables, sampler, batch, total=n_words * config.epochs)
    log.info("word2vec: blocks of %d centre words, %s update, %d worker(s)", batch, run.update, workers)
    if workers > 1 and forked.available():
        # Hogwild workers as processes (see embeddings.word2vec.forked): the tables they write in shared memory
        tables.w_in, tables.w_out = forked.shared_tensor(tables.w_in), forked.shared_tensor(tables.w_out)
        run.tally = forked.Tally(workers)
    feed = ChunkFeed(corpus, device, config.chunk_words)
    # under torchrun: the tables as last merged, to tell each process's changes apart
    bases = (tables.w_in.clone(), tables.w_out.clone()) if group.world > 1 else None

    bar = progress_bar(total=run.total, initial=first_epoch * n_words, unit="word", unit_scale=True,
                       enabled=progress and group.main, desc="word2vec", smoothing=0.1)
    threads_before = torch.get_num_threads()
    t0 = time.perf_counter()
    if group.world == 1:  # from here Ctrl-C waits for a block's end (several processes: plain Ctrl-C)
        guards.enter_context(interrupt.safe_points())
    try:
        if workers > 1 or (device.type == "cpu" and not config.threads):
            # Hogwild workers each run single-threaded ops, and so does a single worker unless told
            # otherwise: a block's ops are too short to share (with idle OpenMP threads asleep, see
            # embeddings.threads, two threads ran CBOW at half the speed of one on 2 cores)
            torch.set_num_threads(1)
        for epoch in range(first_epoch, config.epochs):
            if group.world > 1:
                # each process draws its own windows; seeded per epoch, so a resumed run draws the same
                gen.manual_seed(config.seed * 1_000_003 + epoch * 1009 + group.rank)
            run.start_epoch(epoch, n_words)
            for ids, docs in feed:
                _train_chunk(run, sampler, ids, docs, group, workers, gen, bar, bases)
                interrupt.stop_if_interrupted(_stopped(f"during epoch {epoch + 1} of {config.epochs}", checkpoint_dir,
                                                       epoch))
            run.check_tables()   # never checkpoint or return a diverged table
            if checkpoint_dir is not None and group.main:
                save_checkpoint(Path(checkpoint_dir), config, vocab, tables, gen, epoch + 1)
            interrupt.stop_if_interrupted(_stopped(f"after epoch {epoch + 1} of {config.epochs}", checkpoint_dir,
                                                   epoch + 1))
    finally:
        run.close()
        torch.set_num_threads(threads_before)
        bar.close()
    elapsed = time.perf_counter() - t0
    trained = (config.epochs - first_epoch) * corpus.n_tokens
    log.info("word2vec: %d epochs in %.1f s (%.0f words/s), last loss %.3f",
             config.epochs - first_epoch, elapsed, trained / max(elapsed, 1e-9), run.loss)
    # the tables end with this call, so the vectors take the input table's memory (a copy only off the CPU)
    return KeyedVectors(list(vocab.id_to_token), tables.w_in.cpu().numpy(), counts.tolist())


def _stopped(when: str, checkpoint_dir, epochs_saved: int) -> str:
    """What an interrupted run leaves behind, in one line."""
    if checkpoint_dir is None:
        return f"interrupted {when} (no checkpoint folder: nothing kept)"
    if epochs_saved == 0:
        return f"interrupted {when}, before the first checkpoint in {checkpoint_dir}"
    return f"interrupted {when}; the checkpoint after epoch {epochs_saved} in {checkpoint_dir} is whole"


def _train_chunk(run: BlockTrainer, sampler: DeviceSampler, ids: torch.Tensor, docs: torch.Tensor, group: Group,
                 workers: int, gen: torch.Generator, bar, bases) -> None:
    """Subsample one chunk and train this process's share of its centre words."""
    keep = sampler.keep_mask(ids)
    kept, kept_docs = ids[keep], docs[keep]
    lo, hi = 0, kept.shape[0]
    segments = 1
    if group.world > 1:
        # this process's share of the chunk's positions, as kept-word indices
        raw_lo, raw_hi = group.share(ids.shape[0])
        lo, hi = int(keep[:raw_lo].sum()), int(keep[:raw_hi].sum())
        # the same number of averaging points in every process (collectives must match)
        segments = max(1, math.ceil(ids.shape[0] / run.config.sync_words))
    run.start_chunk(ids.shape[0], hi - lo)
    bounds = [(lo + (hi - lo) * s // segments, lo + (hi - lo) * (s + 1) // segments) for s in range(segments)]

    def merge() -> None:
        group.merge_rows(run.tables.w_in, bases[0])
        group.merge_rows(run.tables.w_out, bases[1])

    if run.tally is not None:          # worker processes (only set up for workers > 1)
        forked.run_forked(run, kept, kept_docs, bounds, workers, gen, bar, merge if bases is not None else None)
        return
    for a, b in bounds:
        if workers == 1:
            run.shard(kept, kept_docs, a, b, gen, bar)
        else:
            run.parallel(kept, kept_docs, a, b, workers, gen, bar)
        if bases is not None:
            merge()


class ChunkFeed:
    """The corpus's chunks as device tensors, once per epoch.

    An in-memory corpus is one chunk, moved to the device once.  A cache is read chunk by chunk;
    on a GPU whose free memory holds the whole corpus several times over, the chunks stay there
    after the first epoch instead of being copied again.
    """

    def __init__(self, corpus, device: torch.device, chunk_words: int):
        self.corpus, self.device, self.chunk_words = corpus, device, chunk_words
        self.resident: list | None = None
        if isinstance(corpus, EncodedCorpus):
            self.resident = [self._to_device(corpus.ids, corpus.docs)]
        elif device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            self._keep = corpus.n_ids * 16 * 4 < free   # ids + docs as int64, with room to spare
        else:
            self._keep = False

    def _to_device(self, ids, docs) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.as_tensor(ids, device=self.device), torch.as_tensor(docs, device=self.device)

    def __iter__(self):
        if self.resident is not None:
            yield from self.resident
            return
        kept = [] if self._keep else None
        for ids, docs in self.corpus.chunks(self.chunk_words):
            pair = self._to_device(ids, docs)
            if kept is not None:
                kept.append(pair)
            yield pair
        if kept is not None:
            self.resident = kept
