"""The block loop of word2vec: windows and noise words drawn ahead, one SGD step per block.

:class:`BlockTrainer` holds what the blocks of one run share: the tables, the sampler, the
learning-rate schedule and the progress count.  One thread walks a range of centre words
block by block (:meth:`BlockTrainer.shard`); on the CPU, ``workers > 1`` workers walk
slices of it at once and update the shared tables without locks (Hogwild, Recht et al. 2011,
as the C tool and gensim do): forked processes on Linux (:mod:`.forked`), threads elsewhere
(:meth:`BlockTrainer.parallel`).
"""
from __future__ import annotations

import concurrent.futures
import math
import sys

import torch

from textprep.errors import InputError

from .. import interrupt
from ..sgns import SGNSTables, cbow_flatten, cbow_step_flat, skipgram_step
from .config import Word2VecConfig
from .sampler import DeviceSampler

#: seconds; the interpreter's thread switch interval while Hogwild threads train (see ``BlockTrainer.parallel``)
HOGWILD_SWITCH_INTERVAL = 1e-4
#: blocks whose windows and noise words are drawn in one go (sampling never reads the tables,
#: so drawing ahead changes nothing but the number of small torch calls per block)
SAMPLE_BLOCKS = 16
#: centre words between two looks at the loss (the look that notices a diverged run): every 200
#: blocks of 1,024 words, and at least every block when blocks are larger than this
LOSS_EVERY_WORDS = 200 * 1024


class BlockTrainer:
    """The state one training run shares between its blocks (and Hogwild workers)."""

    def __init__(self, config: Word2VecConfig, tables: SGNSTables, sampler: DeviceSampler, batch: int, total: int):
        self.config, self.tables, self.sampler, self.batch, self.total = config, tables, sampler, batch, total
        vocab_size, device = sampler.keep.shape[0], torch.device(sampler.device)
        self.update = config.update_for(batch, vocab_size, device.type)
        self.step = step_for(config.sg, self.update, device)
        #: skip-gram blocks of windows of one span (see :func:`span_groups`); the newton update keeps
        #: the blocks of consecutive windows its block sizes were measured with
        self.by_span = config.sg and self.update == "sum"
        self.start_lr = config.block_lr(batch, vocab_size, device.type)
        self.floor = self.start_lr * config.min_lr_ratio
        self.loss = float("nan")
        self.done_blocks = 0
        self.loss_every = max(1, LOSS_EVERY_WORDS // batch)   # blocks between two looks at the loss
        self.stopping = False
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        #: worker processes' shared progress (:mod:`.forked`), and which of its slots this process writes
        self.tally = None
        self.slot = 0

    def start_epoch(self, epoch: int, n_words: int) -> None:
        """A new pass over ``n_words`` corpus words (of all processes together)."""
        self.base, self.chunk_base, self.chunk_words, self.n_kept, self.kept_done = epoch * n_words, 0, 0, 1, 0

    def start_chunk(self, n_words: int, n_kept: int) -> None:
        """A chunk of ``n_words`` corpus words, of which this process trains ``n_kept`` kept centres."""
        self.chunk_base += self.chunk_words
        self.chunk_words, self.n_kept, self.kept_done = n_words, max(n_kept, 1), 0

    def words_done(self) -> int:
        """Corpus words covered so far by all processes (kept words scaled back to the whole chunk:
        every process goes through its share of a chunk at the same pace)."""
        kept_done = self.kept_done if self.tally is None else self.kept_done + self.tally.kept()
        return self.base + self.chunk_base + self.chunk_words * kept_done // self.n_kept

    def _stop_now(self) -> bool:
        return self.stopping or interrupt.pending() or (self.tally is not None and self.tally.stop)

    def shard(self, kept, kept_docs, lo: int, hi: int, gen: torch.Generator, bar=None,
              block: int | None = None) -> None:
        """Train on centres ``lo..hi-1`` of this epoch's kept words, block by block."""
        sampler = self.sampler
        block = block or self.batch
        span = block * SAMPLE_BLOCKS
        for first in range(lo, hi, span):
            last = min(first + span, hi)
            spans = sampler.spans(last - first, gen)
            centres, context, mask = sampler.windows(kept, kept_docs, first, last, spans=spans, gen=gen)
            targets = torch.cat([centres.unsqueeze(1), sampler.negatives(centres, gen)], dim=1)
            for args, size, examples in self._blocks(context, mask, targets, block, spans):
                if self._stop_now():
                    return  # Ctrl-C: the trainer raises at its next safe point, after this chunk
                # Linear decay over all epochs, as in the C tool, with a floor at min_lr_ratio.
                lr = max(self.start_lr * (1.0 - self.words_done() / self.total), self.floor)
                report = self.done_blocks % self.loss_every == 0
                loss = self.step(self.tables, *args, lr, with_loss=report, update=self.update)
                self.done_blocks += 1
                if self.tally is None:
                    self.kept_done += size
                else:
                    self.tally.add(self.slot, size)
                if report and loss is not None:
                    self.loss = float(loss) / max(int(examples()), 1)
                    if not math.isfinite(self.loss):
                        self.diverged(f"loss {self.loss}")
                    if self.tally is not None:
                        self.tally.set_loss(self.slot, self.loss)
                    if bar is not None:
                        bar.set_postfix(loss=f"{self.loss:.3f}", lr=f"{lr:.5f}", refresh=False)
                if bar is not None:
                    bar.update(self.words_done() - bar.n)

    def diverged(self, what: str) -> None:
        raise InputError(f"training diverged ({what}) with batch_size={self.batch}; "
                         "use a smaller --batch-size or --lr")

    def check_tables(self) -> None:
        """Stop with the diverged error if either table holds a value that is not finite (between
        two looks at the loss a run can overflow and then carry NaN through every later block)."""
        for name in ("w_in", "w_out"):
            if not bool(torch.isfinite(getattr(self.tables, name)).all()):
                self.diverged(f"{name} has values that are not finite")

    def _blocks(self, context, mask, targets, block: int, spans: torch.Tensor | None = None):
        """Split drawn windows into blocks: (step arguments, centre words, examples counter).

        Skip-gram blocks with the plain summed update are made of windows of one span (given the
        windows' ``spans``), so that a block's context has ``2 * span`` slots, not ``2 * window``.
        """
        b = context.shape[0]
        if self.config.sg:
            if spans is not None and self.by_span:
                for rows, cols in span_groups(spans, self.config.window):
                    slots = (rows.unsqueeze(1), cols)
                    yield from self._sg_blocks(context[slots], mask[slots], targets[rows], block)
            else:
                yield from self._sg_blocks(context, mask, targets, block)
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

    @staticmethod
    def _sg_blocks(context, mask, targets, block: int):
        b = context.shape[0]
        for s in range(0, b, block):
            e = min(s + block, b)
            yield (context[s:e], mask[s:e], targets[s:e]), e - s, (lambda m=mask[s:e]: m.sum())

    def worker_share(self, kept, kept_docs, lo: int, hi: int, w: int, workers: int, seed: int) -> None:
        """Worker ``w`` of ``workers``: its slice of centres ``lo..hi-1``, from its own generator."""
        g = torch.Generator(device=kept.device)
        g.manual_seed(seed)
        # the workers share the block: the centre words in flight together stay one block
        self.shard(kept, kept_docs, lo + (hi - lo) * w // workers, lo + (hi - lo) * (w + 1) // workers, g,
                   block=max(1, self.batch // workers))

    def parallel(self, kept, kept_docs, lo: int, hi: int, workers: int, gen: torch.Generator, bar) -> None:
        """Centres ``lo..hi-1`` in ``workers`` Hogwild threads: each trains on its own slice and
        updates the shared tables without locks.  Faster on several cores, but the result then
        depends on thread timing."""
        seeds = torch.randint(0, 2**62, (workers,), generator=gen, device=gen.device).tolist()
        errors: list[BaseException] = []

        def work(w: int) -> None:
            try:
                self.worker_share(kept, kept_docs, lo, hi, w, workers, seeds[w])
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        if self._pool is None:
            # one set of threads for the whole run: starting new ones for every chunk left the
            # allocator's per-thread arenas growing with the number of chunks
            self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="hogwild")
        # Each block is a few dozen short torch calls, and each call hands the GIL back and forth.
        # With CPython's default switch interval (5 ms) a thread that wants the GIL back waits out
        # the whole interval, so two threads ran many times slower than one (War and Peace,
        # 559-word blocks: 16.6 s against 1.0 s an epoch); at 0.1 ms they run faster than one.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, HOGWILD_SWITCH_INTERVAL))
        try:
            futures = [self._pool.submit(work, w) for w in range(workers)]
            while concurrent.futures.wait(futures, timeout=0.5).not_done:
                if bar is not None:
                    bar.set_postfix(loss=f"{self.loss:.3f}", refresh=False)
                    bar.update(self.words_done() - bar.n)
        except BaseException:
            self.stopping = True       # the workers leave at their next block
            raise
        finally:
            sys.setswitchinterval(interval)
        if errors:
            raise errors[0]

    def absorb(self, tally) -> None:
        """Take in what worker processes did (their counts are theirs until then)."""
        self.kept_done += tally.kept()
        self.done_blocks += tally.blocks()
        if not math.isnan(tally.loss()):
            self.loss = tally.loss()
        tally.reset()

    def close(self) -> None:
        """Stop the worker threads (after their current block)."""
        self.stopping = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def step_for(sg: bool, update: str, device: torch.device):
    """The step function a run's blocks take: the batched torch step (:mod:`embeddings.sgns`), or
    for the ``online`` update the compiled per-window loop (:mod:`embeddings.sgns_loop`), compiled
    here, before any worker starts, and imported only then (numba takes a while to import)."""
    if update != "online":
        return skipgram_step if sg else cbow_step_flat
    if device.type != "cpu":
        raise InputError(f"block_update=online runs on the CPU only, not on {device.type}: use auto, sum or newton")
    from .. import sgns_loop

    sgns_loop.compile_loops()
    return sgns_loop.skipgram_step_online if sg else sgns_loop.cbow_step_online


def span_groups(spans: torch.Tensor, window: int):
    """Windows grouped by the span drawn for them: per span ``s`` (in increasing order) the
    indices of its windows, in their order, and the slots (columns of a ``(B, 2 * window)``
    context) that a span ``s`` can fill, offsets ``-s..-1, 1..s``.

    A skip-gram step costs as much for a padded slot as for a real one, and spans are drawn
    uniformly from ``1..window``, so padded blocks of ``2 * window`` slots spend about 40 % of
    their input-side work (at window 5) on padding.  Blocks of one span do not, and each window
    is trained exactly as in a padded block; only which windows share a block changes (those of
    one span, spread over the :data:`SAMPLE_BLOCKS` blocks drawn together).
    """
    order = torch.argsort(spans, stable=True)
    sizes = torch.bincount(spans, minlength=window + 1).tolist()
    start = 0
    for s in range(1, window + 1):
        if sizes[s]:
            rows = order[start:start + sizes[s]]
            yield rows, torch.arange(window - s, window + s, device=spans.device)
        start += sizes[s]
